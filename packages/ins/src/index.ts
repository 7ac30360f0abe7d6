export { InsError, type InsErrorCode } from './errors';
export { parseMatricule, controlKey, type ParsedMatricule } from './matricule';
export { INS_OID, insAuthority, type InsAuthority, type InsKind, type InsPlatform } from './oid';
export {
  checkPatientIdentity,
  assertPatientIdentity,
  IDENTITY_STATUSES,
  type PatientIdentity,
  type IdentityCheckOptions,
  type CheckedIdentity,
  type QualifiedIdentity,
  type IdentityTraits,
  type IdentityCheck,
} from './identity';
