import { PasserelleError } from '@passerelle/errors';

/**
 * Errors of the signature package. Each has a stable `code` that the signer service maps to a document status
 * (a certificate problem parks the document until an operator fixes the key store; it is never retried blindly).
 * Messages name the rule and the FINESS (an organisation identifier, not personal data), never a document body
 * or a passphrase.
 */

/** Codes of the checks made before every signature. */
export type CertificateErrorCode =
  | 'CERT_MISSING'
  | 'CERT_UNREADABLE'
  | 'CERT_PASSPHRASE_MISSING'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_KEY_USAGE'
  | 'CERT_UNTRUSTED'
  | 'CERT_WRONG_PHARMACY';

/**
 * A certificate or key that must not be used for the requested signature. Nothing was signed. Transient: it is the
 * key store's problem, not the document's; the document waits (status `parked`) until an operator fixes the store.
 */
export class CertificateError extends PasserelleError {
  readonly code: CertificateErrorCode;
  readonly errorClass = 'transient';
  readonly finess: string;

  constructor(code: CertificateErrorCode, finess: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'CertificateError';
    this.code = code;
    this.finess = finess;
  }
}

/** Codes of problems with the input of a signature (not the certificate). */
export type SignatureInputErrorCode =
  'DOCUMENT_NOT_XML' | 'DOCUMENT_AUTHOR_MISMATCH' | 'INVALID_FINESS' | 'INVALID_UNIQUE_ID' | 'UNSUPPORTED_ALGORITHM';

/** The document or the request cannot be signed as given: a permanent error, retrying will not help. */
export class SignatureInputError extends PasserelleError {
  readonly code: SignatureInputErrorCode;
  readonly errorClass = 'permanent';

  constructor(code: SignatureInputErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SignatureInputError';
    this.code = code;
  }
}
