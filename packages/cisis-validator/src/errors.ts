import { PasserelleError } from '@passerelle/errors';

/** Stable codes for what can stop a validation run (not a document's failures: those are results). */
export type ValidatorErrorCode =
  'CISIS_KIT_MISSING' | 'TOOLCHAIN_MISSING' | 'XMLLINT_FAILED' | 'SCHEMATRON_COMPILE_FAILED' | 'SCHEMATRON_RUN_FAILED';

/**
 * A validation run could not be carried out (kit or tool missing, a tool crashed).
 * Messages name paths and tools, never document content. Transient: it says nothing about the document, and the
 * same run succeeds once the kit or the tool is in place.
 */
export class ValidatorError extends PasserelleError {
  override readonly name = 'ValidatorError';
  readonly errorClass = 'transient';
  constructor(
    readonly code: ValidatorErrorCode,
    message: string,
  ) {
    super(message);
  }
}
