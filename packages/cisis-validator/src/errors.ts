/** Stable codes for what can stop a validation run (not a document's failures: those are results). */
export type ValidatorErrorCode =
  | 'CISIS_KIT_MISSING'
  | 'TOOLCHAIN_MISSING'
  | 'XMLLINT_FAILED'
  | 'SCHEMATRON_COMPILE_FAILED'
  | 'SCHEMATRON_RUN_FAILED';

/**
 * A validation run could not be carried out (kit or tool missing, a tool crashed).
 * Messages name paths and tools, never document content.
 */
export class ValidatorError extends Error {
  override readonly name = 'ValidatorError';
  constructor(
    readonly code: ValidatorErrorCode,
    message: string,
  ) {
    super(message);
  }
}
