import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { xmlsecVerify } from '../test/xmlsec1';
import { CertificateError } from './errors';
import { KeyStore } from './key-store';
import { createTestPki, BROKEN_VARIANTS, type BrokenVariant, type TestPki } from '@passerelle/testing';
import { signSubmission } from './xades';

// A pass-through spy on node:crypto's sign, to prove that a refused certificate signs nothing.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, sign: jest.fn(actual.sign) };
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const signMock = (require('node:crypto') as { sign: jest.Mock }).sign;
// A pass-through spy on statSync, to prove that signing makes no system call once a pharmacy is loaded.
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...actual, statSync: jest.fn(actual.statSync) };
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const statSyncMock = (require('node:fs') as { statSync: jest.Mock }).statSync;

jest.setTimeout(120_000);

const FINESS = '750100208';
const CISIS_DIR = process.env.CISIS_DIR ?? resolve(__dirname, '../../../../shared/spec/cisis');
const DOCUMENT = readFileSync(join(resolve(CISIS_DIR, '../dmp'), 'TD2.1-DocumentME2.xml'));
const DOCUMENT_ID = '1.2.250.1.999.1.1.7898.4.9956570902';

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'key-store-test-'));
  pki = await createTestPki(join(dir, 'pki'), [FINESS, '690000011']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => signMock.mockClear());

const sign = (keyStore: KeyStore, finess = FINESS) =>
  signSubmission({ documentXml: DOCUMENT, documentUniqueId: DOCUMENT_ID, finess }, keyStore);

/** A fresh key-store directory holding copies of `<FINESS>.p12` + `.pass` from `from`. */
function keyStoreDirFrom(from: string, name: string): string {
  const target = join(dir, name);
  mkdirSync(target, { recursive: true });
  copyFileSync(join(from, `${FINESS}.p12`), join(target, `${FINESS}.p12`));
  copyFileSync(join(from, `${FINESS}.pass`), join(target, `${FINESS}.pass`));
  return target;
}

describe('certificate checks before every signature', () => {
  it('a valid certificate signs, for every pharmacy of the store', () => {
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env: {} });
    expect(sign(keyStore).signerFiness).toBe(FINESS);
    expect(sign(keyStore, '690000011').signerFiness).toBe('690000011');
    expect(signMock).toHaveBeenCalledTimes(2);
  });

  const expected: Record<BrokenVariant, string> = {
    expired: 'CERT_EXPIRED',
    'not-yet-valid': 'CERT_NOT_YET_VALID',
    'wrong-key-usage': 'CERT_KEY_USAGE',
    'auth-cli': 'CERT_KEY_USAGE',
    'other-pharmacy': 'CERT_WRONG_PHARMACY',
    'untrusted-issuer': 'CERT_UNTRUSTED',
  };
  it.each(BROKEN_VARIANTS.map((v) => [v, expected[v]]))('refuses the %s variant with %s and signs nothing', (variant, code) => {
    const keyStore = new KeyStore({ dir: pki.broken[variant as BrokenVariant] as string, trustAnchors: pki.trustDir, env: {} });
    let error: unknown;
    try {
      sign(keyStore);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CertificateError);
    expect(error).toMatchObject({ code, finess: FINESS });
    expect(signMock).not.toHaveBeenCalled();
  });

  it('every broken variant fails with a different message (distinct, clear errors)', () => {
    const messages = BROKEN_VARIANTS.map((variant) => {
      const keyStore = new KeyStore({ dir: pki.broken[variant] as string, trustAnchors: pki.trustDir, env: {} });
      try {
        keyStore.signingCredential(FINESS);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(new Set(messages).size).toBe(BROKEN_VARIANTS.length);
  });

  it("lists every pharmacy of the directory with its certificate's end of validity, for the expiry gauge", async () => {
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env: {} });
    const expiries = await keyStore.expiries();
    expect([...expiries.keys()].sort()).toEqual(['690000011', FINESS]);
    expect(expiries.get(FINESS)).toBe(keyStore.signingCredential(FINESS).chain[0]?.notAfter.getTime());
    expect(expiries.get(FINESS)).toBeGreaterThan(Date.now());
    // Expired: in, in the past (the alert says so); untrusted: out (its next signature says why).
    const expired = await new KeyStore({ dir: pki.broken.expired as string, trustAnchors: pki.trustDir, env: {} }).expiries();
    expect(expired.get(FINESS)).toBeLessThan(Date.now());
    expect(
      (await new KeyStore({ dir: pki.broken['untrusted-issuer'] as string, trustAnchors: pki.trustDir, env: {} }).expiries()).size,
    ).toBe(0);
    expect((await new KeyStore({ dir: join(dir, 'no-such-dir'), trustAnchors: pki.trustDir, env: {} }).expiries()).size).toBe(0);
    expect(signMock).not.toHaveBeenCalled();
  });

  it('refuses a pharmacy without a PKCS#12 file (CERT_MISSING)', () => {
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env: {} });
    expect(() => sign(keyStore, '130000017')).toThrow(expect.objectContaining({ code: 'CERT_MISSING' }));
    expect(signMock).not.toHaveBeenCalled();
  });

  it('reads the passphrase from the environment first, and refuses a wrong or missing one', () => {
    const target = keyStoreDirFrom(pki.keyStoreDir, 'passphrases');
    rmSync(join(target, `${FINESS}.pass`));
    const variable = `PASSERELLE_P12_PASSPHRASE_${FINESS}`;
    expect(() => sign(new KeyStore({ dir: target, trustAnchors: pki.trustDir, env: {} }))).toThrow(
      expect.objectContaining({ code: 'CERT_PASSPHRASE_MISSING' }),
    );
    expect(() => sign(new KeyStore({ dir: target, trustAnchors: pki.trustDir, env: { [variable]: 'wrong' } }))).toThrow(
      expect.objectContaining({ code: 'CERT_UNREADABLE' }),
    );
    const keyStore = new KeyStore({ dir: target, trustAnchors: pki.trustDir, env: { [variable]: pki.passphrase(FINESS) } });
    expect(sign(keyStore).signerFiness).toBe(FINESS);
    expect(signMock).toHaveBeenCalledTimes(1);
  });

  it('refuses a corrupt file (CERT_UNREADABLE) and does not put the passphrase in the message', () => {
    const target = keyStoreDirFrom(pki.keyStoreDir, 'corrupt');
    writeFileSync(join(target, `${FINESS}.p12`), Buffer.from('not a PKCS#12 file'));
    const keyStore = new KeyStore({ dir: target, trustAnchors: pki.trustDir, env: {} });
    let message = '';
    try {
      sign(keyStore);
    } catch (e) {
      expect(e).toMatchObject({ code: 'CERT_UNREADABLE' });
      message = (e as Error).message;
    }
    expect(message).not.toContain(pki.passphrase(FINESS));
    expect(message).not.toBe('');
  });
});

describe('rotation without restart', () => {
  const signerCertificate = (signatureXml: string) => /<X509Certificate>([^<]+)<\/X509Certificate>/.exec(signatureXml)?.[1];

  it("replacing a pharmacy's PKCS#12 file is picked up by the running key store", async () => {
    const target = keyStoreDirFrom(pki.broken.expired as string, 'rotation');
    const keyStore = new KeyStore({ dir: target, trustAnchors: pki.trustDir, env: {}, rotationCheckMs: 0 });
    expect(() => sign(keyStore)).toThrow(expect.objectContaining({ code: 'CERT_EXPIRED' }));

    // The operator installs a valid certificate the usual way: write beside, then rename over the old file.
    copyFileSync(join(pki.keyStoreDir, `${FINESS}.p12`), join(target, `${FINESS}.p12.new`));
    renameSync(join(target, `${FINESS}.p12.new`), join(target, `${FINESS}.p12`));
    await keyStore.refresh(); // what the timer does every rotationCheckMs
    const first = sign(keyStore);
    const installed = sign(new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env: {} }));
    expect(signerCertificate(first.signatureXml)).toBe(signerCertificate(installed.signatureXml));

    // Renewal: a new key and certificate for the same FINESS, copied in place (same inode, new content).
    copyFileSync(join(pki.renewedDir as string, `${FINESS}.p12`), join(target, `${FINESS}.p12`));
    await keyStore.refresh();
    const second = sign(keyStore);
    expect(signerCertificate(second.signatureXml)).not.toBe(signerCertificate(first.signatureXml));

    // The renewed signature is as good as the first for xmlsec1.
    const verdict = xmlsecVerify({
      signatureXml: second.signatureXml,
      document: DOCUMENT,
      documentUniqueId: DOCUMENT_ID,
      submissionSetUniqueId: second.submissionSetUniqueId,
      trustedPem: [pki.rootPem],
    });
    expect(verdict.signedInfo).toEqual({ ok: 2, all: 2 });
    expect(verdict.manifestReferences.get(`urn:oid:${DOCUMENT_ID}`)).toBe('succeeded');

    // Removing the file withdraws the pharmacy at the next check.
    rmSync(join(target, `${FINESS}.p12`));
    await keyStore.refresh();
    expect(() => sign(keyStore)).toThrow(expect.objectContaining({ code: 'CERT_MISSING' }));
  });

  it('its timer finds a rotation by itself, and signing makes no system call between checks', async () => {
    const target = keyStoreDirFrom(pki.keyStoreDir, 'rotation-timer');
    const keyStore = new KeyStore({ dir: target, trustAnchors: pki.trustDir, env: {}, rotationCheckMs: 20 });
    try {
      const before = signerCertificate(sign(keyStore).signatureXml);
      statSyncMock.mockClear();
      for (let i = 0; i < 20; i += 1) sign(keyStore);
      expect(statSyncMock).not.toHaveBeenCalled();

      copyFileSync(join(pki.renewedDir as string, `${FINESS}.p12`), join(target, `${FINESS}.p12`));
      // Waits for the timer (bounded: a store that never looks again fails here).
      let after = before;
      for (let tries = 0; tries < 500 && after === before; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        after = signerCertificate(sign(keyStore).signatureXml);
      }
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
    } finally {
      keyStore.close();
    }
  });
});

describe('what the key store keeps', () => {
  it('per pharmacy, only the key and the chain as a signature carries it; the CA certificates once for all', () => {
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env: {}, rotationCheckMs: 0 });
    const a = keyStore.signingCredential(FINESS);
    const b = keyStore.signingCredential('690000011');
    expect(Object.keys(a).sort()).toEqual(['chain', 'finess', 'privateKey']);
    expect(a.privateKey.type).toBe('private');
    for (const cert of a.chain) {
      expect(Object.keys(cert).sort()).toEqual(['der', 'derBase64', 'issuerName', 'notAfter', 'notBefore', 'serialNumber', 'sha256']);
    }
    expect(a.chain.length).toBeGreaterThan(1);
    expect(a.chain[0]).not.toBe(b.chain[0]);
    // The same issuing CA, the same object.
    expect(a.chain.slice(1)).toEqual(b.chain.slice(1));
    a.chain.slice(1).forEach((ca, i) => expect(ca).toBe(b.chain[i + 1]));
    // A DER buffer of its own, not a view of a shared pool that would keep the pool alive.
    expect(a.chain[0]!.der.byteLength).toBe(a.chain[0]!.der.buffer.byteLength);
  });
});
