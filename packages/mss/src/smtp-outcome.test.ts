import { classifySmtpFailure, queueIdOf, type TransportFailure } from './smtp-outcome';

describe('classifySmtpFailure', () => {
  it.each([
    [
      { code: 'EMESSAGE', responseCode: 451, response: '451 4.3.0 try later', command: 'DATA', permanent: false },
      'MSS_SMTP_TRANSIENT',
      true,
    ],
    [
      { code: 'EENVELOPE', responseCode: 452, response: '452 4.2.2 mailbox full <279035121518989@patient.mssante.fr>', command: 'RCPT TO' },
      'MSS_SMTP_TRANSIENT',
      true,
    ],
    [
      { code: 'EMESSAGE', responseCode: 550, response: '550 5.1.1 unknown <a@b.mssante.fr>', command: 'DATA', permanent: true },
      'MSS_SMTP_REJECTED',
      false,
    ],
    [{ code: 'EENVELOPE', responseCode: 554, response: '554 5.6.0 refused', command: 'RCPT TO' }, 'MSS_SMTP_REJECTED', false],
    [
      { code: 'EPROTOCOL', responseCode: 503, response: '503 5.5.1 bad sequence', command: 'MAIL FROM', permanent: false },
      'MSS_SMTP_TRANSIENT',
      true,
    ],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }, 'MSS_UNAVAILABLE', true],
    [{ code: 'ETIMEDOUT', command: 'CONN' }, 'MSS_UNAVAILABLE', true],
    [{ code: 'ECONNECTION', command: 'CONN' }, 'MSS_UNAVAILABLE', true],
    [{ code: 'EDNS', originalCode: 'ENOTFOUND' }, 'MSS_UNAVAILABLE', true],
    [{ code: 'ETLS', command: 'CONN' }, 'MSS_TLS_FAILED', true],
    [{ code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', command: 'CONN' }, 'MSS_TLS_FAILED', true],
    [{ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN' }, 'MSS_TLS_FAILED', true],
    [{ code: 'ESOCKET', originalCode: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', command: 'CONN' }, 'CERT_REFUSED_BY_SERVER', true],
    [{ code: 'ESOCKET', originalCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }, 'CERT_REFUSED_BY_SERVER', true],
    [{ code: 'ESOCKET', originalCode: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', command: 'CONN' }, 'MSS_TLS_FAILED', true],
    [
      { code: 'ECONNECTION', responseCode: 535, response: '535 5.7.8 certificate refused', command: 'EHLO' },
      'CERT_REFUSED_BY_SERVER',
      true,
    ],
    [
      { code: 'ECONNECTION', responseCode: 530, response: '530 5.7.0 certificate required', command: 'CONN' },
      'CERT_REFUSED_BY_SERVER',
      true,
    ],
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.7.1 sender not allowed', command: 'MAIL FROM' }, 'MSS_SMTP_REJECTED', false],
  ])('%j → %s', (failure: TransportFailure, code, retryable) => {
    const err = classifySmtpFailure(failure);
    expect(err).toMatchObject({ code, retryable });
    expect(err.smtp.smtpCode).toBe(failure.responseCode);
    // The server's text may echo an address (an INS for a patient): never in the error.
    expect(err.message).not.toMatch(/@|279035121518989|unknown|refused <|mailbox full/);
  });

  it('keeps the codes, the command and the enhanced status as data', () => {
    expect(classifySmtpFailure({ code: 'EMESSAGE', responseCode: 550, response: '550 5.1.1 no such user', command: 'DATA' }).smtp).toEqual({
      smtpCode: 550,
      enhancedCode: '5.1.1',
      command: 'DATA',
      transportCode: 'EMESSAGE',
    });
  });
});

describe('queueIdOf', () => {
  it.each([
    ['250 2.0.0 Ok: queued as 4FkQ2x0y1Zz', '4FkQ2x0y1Zz'],
    ['250 2.6.0 Ok: queued as A1B2C3', 'A1B2C3'],
    ['250 OK id=1rX7aB-0004Zq-2c', '1rX7aB-0004Zq-2c'],
    ['250 2.0.0 OK', undefined],
    [undefined, undefined],
  ])('%s → %s', (response, id) => {
    expect(queueIdOf(response)).toBe(id);
  });
});
