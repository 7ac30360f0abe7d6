import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@passerelle/errors';
import { loadSignerConfig } from './config';

describe('loadSignerConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signer-config-'));
  const file = join(dir, 'not-a-directory');
  writeFileSync(file, '');
  const base = { PASSERELLE_KEYSTORE_DIR: dir, PASSERELLE_TRUST_DIR: dir };
  const refused = (env: NodeJS.ProcessEnv) => {
    try {
      loadSignerConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads the key store, the trust anchors and the hash (sha256 by default)', () => {
    expect(loadSignerConfig(base)).toEqual({ keyStoreDir: dir, trustDir: dir, hash: 'sha256' });
    expect(loadSignerConfig({ ...base, PASSERELLE_SIGNATURE_HASH: 'sha1' }).hash).toBe('sha1');
    expect(loadSignerConfig({ ...base, PASSERELLE_SIGNATURE_HASH: 'sha512' }).hash).toBe('sha512');
  });

  it('refuses a hash it cannot sign with, instead of dead-lettering every document', () => {
    expect(refused({ ...base, PASSERELLE_SIGNATURE_HASH: 'sha384' })).toBe(
      'PASSERELLE_SIGNATURE_HASH must be one of sha1, sha256, sha512 (default sha256)',
    );
    expect(refused({ ...base, PASSERELLE_SIGNATURE_HASH: 'SHA256' })).toMatch(/^PASSERELLE_SIGNATURE_HASH must be one of/);
  });

  it('needs both directories, existing', () => {
    expect(refused({ PASSERELLE_TRUST_DIR: dir })).toMatch(/^PASSERELLE_KEYSTORE_DIR is required: the directory of <FINESS>\.p12 files/);
    expect(refused({ PASSERELLE_KEYSTORE_DIR: dir })).toMatch(/^PASSERELLE_TRUST_DIR is required: /);
    expect(refused({ ...base, PASSERELLE_KEYSTORE_DIR: join(dir, 'missing') })).toMatch(
      /^PASSERELLE_KEYSTORE_DIR must be an existing directory/,
    );
    expect(refused({ ...base, PASSERELLE_TRUST_DIR: file })).toMatch(/^PASSERELLE_TRUST_DIR must be an existing directory/);
  });
});
