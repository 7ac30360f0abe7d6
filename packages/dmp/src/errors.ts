import { PasserelleError, type ErrorClass } from '@passerelle/errors';

/**
 * Errors of a DMP delivery, in the project's one error contract (a stable code, permanent or transient, the cause).
 * The class is decided here, where the DMP's answer or the transport failure is read, never from message text.
 * Messages carry the DMP's error code and a text stripped of personal data (see {@link scrubDmpText}); never an INS,
 * a name, a birth date or a document body.
 */

/** Codes the gateway raises itself, before or around the exchange (the DMP's own codes are kept as they come). */
export type TransportErrorCode =
  'DMP_TIMEOUT' | 'DMP_UNREACHABLE' | 'DMP_TLS' | 'DMP_HTTP_5XX' | 'DMP_HTTP_STATUS' | 'DMP_SOAP_FAULT' | 'DMP_ANSWER_UNREADABLE';

/** Codes of the AUTH_CLI checks made before any connection. */
export type ClientCertificateErrorCode =
  | 'AUTH_CLI_MISSING'
  | 'AUTH_CLI_UNREADABLE'
  | 'AUTH_CLI_EXPIRED'
  | 'AUTH_CLI_NOT_YET_VALID'
  | 'AUTH_CLI_UNTRUSTED'
  | 'AUTH_CLI_KEY_USAGE'
  | 'AUTH_CLI_WRONG_PHARMACY'
  | 'AUTH_CLI_SAME_KEY_AS_SIGN';

/** The exchange failed or the DMP refused the submission. `dmpCode` is the DMP's code when it gave one. */
export class DmpDeliveryError extends PasserelleError {
  constructor(
    readonly code: string,
    readonly errorClass: ErrorClass,
    message: string,
    readonly dmpCode?: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/**
 * The pharmacy's AUTH_CLI certificate must not be used: nothing was sent, no connection was opened. Transient like
 * the signer's certificate errors: the submission is not at fault; it waits until an operator installs a valid
 * certificate (the status says which check failed).
 */
export class ClientCertificateError extends PasserelleError {
  readonly errorClass = 'transient';
  constructor(
    readonly code: ClientCertificateErrorCode,
    readonly finess: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** The submission cannot be turned into a request (a bug upstream, not the DMP's answer): permanent. */
export class DmpRequestError extends PasserelleError {
  readonly errorClass = 'permanent';
  constructor(
    readonly code: 'DMP_REQUEST_INVALID' | 'VIHF_INVALID_INPUT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

// An INS matricule (13 characters, Corsica's 2A/2B allowed, + 2-digit key), a CX patient id, an RPPS/ADELI, a date.
const PERSONAL_PATTERNS: readonly RegExp[] = [
  /[^\s^"'<>]*\^\^\^&[0-9.]+&ISO(\^[A-Z]*)?(\^\^[0-9]*)?/g, // CX identifiers (patient ids, author ids)
  /\b[12][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2A|2B|[0-9]{2})[0-9]{6}[0-9]{2}\b/gi, // INS-NIR / NIA matricule + key
  /\b[0-9]{11,15}\b/g, // any long number: RPPS, NIR without key, phone numbers
  /\b(19|20)[0-9]{2}-?(0[1-9]|1[0-2])-?(0[1-9]|[12][0-9]|3[01])\b/g, // dates (birth dates)
];

/**
 * A DMP error text without personal data: identifiers, long numbers and dates are replaced by `[…]`, and what remains
 * is cut to 200 characters of one line. The DMP echoes the patient id in some texts (e.g. "Patient 2790…^^^&… inconnu").
 */
export function scrubDmpText(text: string): string {
  let out = text.replace(/\s+/g, ' ').trim();
  for (const pattern of PERSONAL_PATTERNS) out = out.replace(pattern, '[…]');
  return out.length > 200 ? `${out.slice(0, 199)}…` : out;
}
