import { ConfigError, PasserelleError, PermanentError, TransientError, isPasserelleError } from './errors';

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
    expect(isPasserelleError(err)).toBe(true);
    expect(err).toMatchObject({ name: 'Parked', code: 'TEST_PARKED', retryable: true });
  });

  it('a configuration error names the variable and what it accepts, in one line, never the value', () => {
    const err = new ConfigError('PASSERELLE_SIGNATURE_HASH', 'must be one of sha1, sha256, sha512');
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', errorClass: 'permanent', variable: 'PASSERELLE_SIGNATURE_HASH' });
    expect(err.message).toBe('PASSERELLE_SIGNATURE_HASH must be one of sha1, sha256, sha512');
  });

  it('foreign errors are not ours', () => {
    expect(isPasserelleError(Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe(false);
    expect(isPasserelleError('a string')).toBe(false);
  });
});
