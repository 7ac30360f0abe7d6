import { MssError, type SmtpFailure } from './errors';

/** The fields of a nodemailer error this package reads (nodemailer's `NodemailerError`, less what it does not need). */
export interface TransportFailure {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  permanent?: boolean;
  message?: string;
}

/**
 * The queue id an SMTP server gives in its final 250 reply: `queued as <id>` (Postfix and most MTAs),
 * `id=<id>` (Exim) or `<id> Message accepted`. Undefined when the reply names none.
 */
export function queueIdOf(response: string | undefined): string | undefined {
  const reply = response ?? '';
  const id = /queued as ([A-Za-z0-9._-]+)/i.exec(reply)?.[1] ?? /\bid=([A-Za-z0-9._-]+)/i.exec(reply)?.[1];
  return id && id.length <= 128 ? id : undefined;
}

const SESSION_SET_UP = new Set(['CONN', 'EHLO', 'HELO', 'STARTTLS', 'GREETING']);

// TLS alerts a server sends about the client's certificate (OpenSSL error codes as Node names them). Not
// handshake_failure: a cipher or version mismatch sends it too (that one is MSS_TLS_FAILED).
const CLIENT_CERT_ALERT =
  /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)/;
// The client's own judgement of the server's certificate (Node's verify error codes).
const SERVER_CERT_REFUSED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REJECTED|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)$/;

function enhancedCodeOf(response: string | undefined): string | undefined {
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1];
}

/**
 * One failed SMTP send → one error with its class, decided here from what the transport says (codes, never the
 * server's text, which may echo an address):
 *
 * - the server refused the client certificate (a TLS alert about it, or a 5.7.x / 530 / 535 reply while the session
 *   is being set up, before MAIL FROM) → `CERT_REFUSED_BY_SERVER`, transient (waits for a certificate the operator
 *   accepts);
 * - any other SMTP reply: 4xx (and 503, a command out of sequence) → `MSS_SMTP_TRANSIENT`; 5xx → `MSS_SMTP_REJECTED`,
 *   permanent, with the code;
 * - TLS failures (STARTTLS missing or failing, the server's certificate not trusted) → `MSS_TLS_FAILED`, transient;
 * - connection refused, reset, closed, a timeout, a name not found → `MSS_UNAVAILABLE`, transient;
 * - anything else → `MSS_UNAVAILABLE`, transient: retried through the tiers, then dead-lettered.
 */
export function classifySmtpFailure(err: TransportFailure): MssError {
  const smtpCode = typeof err.responseCode === 'number' && err.responseCode >= 200 ? err.responseCode : undefined;
  const enhancedCode = enhancedCodeOf(err.response);
  const facts: SmtpFailure = {
    ...(smtpCode !== undefined ? { smtpCode } : {}),
    ...(enhancedCode ? { enhancedCode } : {}),
    ...(err.command ? { command: err.command } : {}),
    ...(err.code ? { transportCode: err.code } : {}),
    ...(err.originalCode ? { systemCode: err.originalCode } : {}),
  };
  const where = err.command ? ` at ${err.command}` : '';
  const said = smtpCode !== undefined ? ` ${smtpCode}${enhancedCode ? ` ${enhancedCode}` : ''}` : '';
  const systemCode = err.originalCode ?? '';
  const settingUp = err.command === undefined || SESSION_SET_UP.has(err.command);

  if (CLIENT_CERT_ALERT.test(systemCode) || CLIENT_CERT_ALERT.test(err.message ?? '')) {
    return new MssError(
      'CERT_REFUSED_BY_SERVER',
      `the MSSanté server refused the client certificate (TLS alert ${systemCode || 'in the handshake'})`,
      facts,
    );
  }
  if (smtpCode !== undefined && settingUp && (smtpCode === 530 || smtpCode === 535 || /^[45]\.7\./.test(enhancedCode ?? ''))) {
    return new MssError('CERT_REFUSED_BY_SERVER', `the MSSanté server refused the client's authentication:${said}${where}`, facts);
  }
  if (smtpCode !== undefined && smtpCode >= 400) {
    const permanent = err.permanent ?? (smtpCode >= 500 && smtpCode !== 503);
    return permanent
      ? new MssError('MSS_SMTP_REJECTED', `the MSSanté server rejected the mail:${said}${where}`, facts)
      : new MssError('MSS_SMTP_TRANSIENT', `the MSSanté server deferred the mail:${said}${where}`, facts);
  }
  if (err.code === 'ETLS' || SERVER_CERT_REFUSED.test(systemCode) || /^ERR_SSL_|^ERR_TLS_/.test(systemCode)) {
    return new MssError('MSS_TLS_FAILED', `TLS with the MSSanté server failed (${systemCode || err.code || 'STARTTLS'})${where}`, facts);
  }
  return new MssError('MSS_UNAVAILABLE', `the MSSanté server is unreachable (${systemCode || err.code || 'unknown'})${where}`, facts);
}
