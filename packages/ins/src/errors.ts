import { PasserelleError } from '@passerelle/errors';

/**
 * Stable codes of every identity failure. The composer parks `IDENTITY_NOT_QUALIFIED` (the pharmacy can qualify the
 * identity and the LGO re-publish) and dead-letters every other code (the event itself is wrong).
 */
export type InsErrorCode =
  | 'INS_MALFORMED'
  | 'INS_KEY_MISMATCH'
  | 'INS_OID_UNKNOWN'
  | 'INS_OID_OBSOLETE'
  | 'INS_OID_TEST_ONLY'
  | 'INS_OID_KIND_MISMATCH'
  | 'INS_TRAIT_MISSING'
  | 'INS_TRAIT_MALFORMED'
  | 'INS_TRAIT_INCONSISTENT'
  | 'IDENTITY_STATUS_UNKNOWN'
  | 'IDENTITY_NOT_QUALIFIED';

/**
 * An identity rule that an event breaks. The message names the field and the rule, never the value: it may be
 * logged and carried in a dead-letter header, and identity values are personal health data.
 */
export class InsError extends PasserelleError {
  override readonly name = 'InsError';
  /** The event itself is wrong: retrying it cannot help (parking is the composer's decision). */
  readonly errorClass = 'permanent';

  constructor(
    readonly code: InsErrorCode,
    /** Path of the offending field, e.g. `patient.ins.matricule` */
    readonly field: string,
    /** The rule broken, in words, without the value */
    readonly rule: string,
  ) {
    super(`${code}: ${field}: ${rule}`);
  }

  /** True when the event should wait for a qualified identity rather than go to the dead-letter topic. */
  get parkable(): boolean {
    return this.code === 'IDENTITY_NOT_QUALIFIED';
  }
}
