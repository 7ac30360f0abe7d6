import { InsError } from './errors';

/** Assigning authorities of the INS (REFERENCE §4). */
export const INS_OID = {
  NIR: '1.2.250.1.213.1.4.8',
  NIA: '1.2.250.1.213.1.4.9',
  NIR_TEST: '1.2.250.1.213.1.4.10',
  NIR_DEMO: '1.2.250.1.213.1.4.11',
  /** INS-C, the old computed INS: obsolete, never emitted */
  INS_C: '1.2.250.1.213.1.4.2',
} as const;

export type InsKind = 'NIR' | 'NIA';
export type InsPlatform = 'production' | 'test' | 'demo';

export interface InsAuthority {
  kind: InsKind;
  platform: InsPlatform;
}

const FIELD = 'patient.ins.oid';

/**
 * What an INS OID says: NIR or NIA, production or test/demo. Test and demo OIDs are refused unless the deployment
 * is a test platform. Throws an {@link InsError} (`INS_OID_UNKNOWN`, `INS_OID_OBSOLETE`, `INS_OID_TEST_ONLY`).
 */
export function insAuthority(oid: string, options: { testPlatform: boolean }): InsAuthority {
  switch (oid) {
    case INS_OID.NIR:
      return { kind: 'NIR', platform: 'production' };
    case INS_OID.NIA:
      return { kind: 'NIA', platform: 'production' };
    case INS_OID.NIR_TEST:
    case INS_OID.NIR_DEMO:
      if (!options.testPlatform) {
        throw new InsError('INS_OID_TEST_ONLY', FIELD, 'test and demo INS OIDs are accepted only on a test platform');
      }
      return { kind: 'NIR', platform: oid === INS_OID.NIR_TEST ? 'test' : 'demo' };
    case INS_OID.INS_C:
      throw new InsError('INS_OID_OBSOLETE', FIELD, 'INS-C is obsolete and must not be used');
    default:
      throw new InsError('INS_OID_UNKNOWN', FIELD, 'must be the INS-NIR or INS-NIA OID');
  }
}
