import { PasserelleError } from '@passerelle/errors';

/**
 * Codes of the MSSanté delivery. Certificate problems found before connecting keep the signer's codes
 * (`CERT_EXPIRED`, `CERT_NOT_YET_VALID`, `CERT_UNTRUSTED`, `CERT_KEY_USAGE`, `CERT_UNREADABLE`: a
 * `CertificateError` of @passerelle/signature), so that a stage maps every `CERT_*` code to `waiting-for-certificate`.
 */
export type MssErrorCode =
  /** The record cannot be sent as it is (addresses, headers, attachment): permanent */
  | 'MSS_INVALID_MESSAGE'
  /** A patient mailbox, but the record does not carry a qualified INS for it: the mail never leaves. Permanent */
  | 'MSS_PATIENT_NOT_QUALIFIED'
  /** The patient mailbox is not the INS the archive carries (receivers answer 904): permanent */
  | 'MSS_PATIENT_INS_MISMATCH'
  /** The server answered 4xx: try again later */
  | 'MSS_SMTP_TRANSIENT'
  /** The server answered 5xx: this mail will never be accepted as it is */
  | 'MSS_SMTP_REJECTED'
  /** Connection refused, reset or closed, name not resolved, a timeout: the operator is unreachable */
  | 'MSS_UNAVAILABLE'
  /** STARTTLS not offered or failed, the server's certificate not trusted: nothing was sent in clear */
  | 'MSS_TLS_FAILED'
  /** The server refused the pharmacy's client certificate (TLS alert or 5.7.x at session set-up) */
  | 'CERT_REFUSED_BY_SERVER'
  /** Not attempted: an earlier recipient of the same message met an unreachable operator */
  | 'MSS_NOT_ATTEMPTED';

/** What a failed SMTP exchange said, without the server's text (it may echo an address, i.e. an INS). */
export interface SmtpFailure {
  /** The SMTP reply code (e.g. 451, 550), when the server answered */
  smtpCode?: number;
  /** The enhanced status code of the reply (RFC 3463, e.g. 5.1.1), when it had one */
  enhancedCode?: string;
  /** The SMTP command in flight (CONN, EHLO, MAIL FROM, RCPT TO, DATA…) */
  command?: string;
  /** nodemailer's code (ECONNECTION, ETLS, ETIMEDOUT, EENVELOPE, EMESSAGE…) and the system's (ECONNREFUSED…) */
  transportCode?: string;
  systemCode?: string;
}

/**
 * An MSSanté delivery error. Its message names the rule, the SMTP code and the command, never an address, a server
 * reply or a value of the record: it can be logged and put in headers and statuses.
 */
export class MssError extends PasserelleError {
  override readonly name = 'MssError';
  readonly errorClass: 'permanent' | 'transient';

  constructor(
    readonly code: MssErrorCode,
    message: string,
    readonly smtp: SmtpFailure = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.errorClass = PERMANENT.has(code) ? 'permanent' : 'transient';
  }
}

const PERMANENT: ReadonlySet<MssErrorCode> = new Set([
  'MSS_INVALID_MESSAGE',
  'MSS_PATIENT_NOT_QUALIFIED',
  'MSS_PATIENT_INS_MISMATCH',
  'MSS_SMTP_REJECTED',
]);
