import { PasserelleError } from '@passerelle/errors';

/** Stable codes of what can go wrong while building or reading an XDM archive. */
export type XdmErrorCode =
  'XDM_INVALID_XML_CHARACTER' | 'XDM_HASH_MISMATCH' | 'XDM_SIZE_MISMATCH' | 'XDM_INVALID_INPUT' | 'XDM_INVALID_ARCHIVE';

/**
 * A permanent error: the same input always fails the same way. Messages name the field and the rule, never a
 * value (values are personal health data).
 */
export class XdmError extends PasserelleError {
  override readonly name = 'XdmError';
  readonly errorClass = 'permanent';
  constructor(
    readonly code: XdmErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
