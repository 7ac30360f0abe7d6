import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, PasserelleError, PermanentError, TransientError } from './errors';

describe('the error contract', () => {
  it('carries a code, a class, whether it is retryable, and the cause', () => {
    const cause = new Error('socket hang up');
    const transient = new TransientError('REGISTRY_UNAVAILABLE', 'schema registry unavailable', { cause });
    expect(transient).toBeInstanceOf(PasserelleError);
    expect(transient).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', errorClass: 'transient', retryable: true, cause });
    expect(transient.name).toBe('TransientError');

    const permanent = new PermanentError('NOT_AVRO', 'value is not Avro');
    expect(permanent).toMatchObject({ code: 'NOT_AVRO', errorClass: 'permanent', retryable: false, message: 'value is not Avro' });
  });

  it('a subclass states its own class', () => {
    class Parked extends PasserelleError {
      readonly code = 'TEST_PARKED';
      readonly errorClass = 'transient';
    }
    const err = new Parked('waits');
    expect(err).toBeInstanceOf(PasserelleError);
    expect(err).toMatchObject({ name: 'Parked', code: 'TEST_PARKED', retryable: true });
  });

  it('a configuration error names the variable and what it accepts, in one line, never the value', () => {
    const err = new ConfigError('PASSERELLE_SIGNATURE_HASH', 'must be one of sha1, sha256, sha512');
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', errorClass: 'permanent', variable: 'PASSERELLE_SIGNATURE_HASH' });
    expect(err.message).toBe('PASSERELLE_SIGNATURE_HASH must be one of sha1, sha256, sha512');
  });

  it('foreign errors are not ours, even with a code', () => {
    expect(Object.assign(new Error('EACCES'), { code: 'EACCES' })).not.toBeInstanceOf(PasserelleError);
  });

  it('depends on nothing, so that every package can import it without a cycle', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
  });
});
