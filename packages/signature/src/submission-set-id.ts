import { isOid, nameBasedOid, SUBMISSION_SET_NAMESPACE } from '@passerelle/identifiers';
import { SignatureInputError } from './errors';

export { isOid, SUBMISSION_SET_NAMESPACE } from '@passerelle/identifiers';

/**
 * The uniqueId of the submission set that carries a document: `2.25.<UUIDv5(namespace, document uniqueId) as a
 * decimal integer>` (ITU-T X.667 OIDs under 2.25). Derived, not random, so that the signature, the DMP submission
 * and the MSSanté XDM archive, built by different services and rebuilt on replay, all name the same submission set.
 */
export function submissionSetIdFor(documentUniqueId: string): string {
  if (!isOid(documentUniqueId)) throw new SignatureInputError('INVALID_UNIQUE_ID', 'document uniqueId must be an OID');
  return nameBasedOid(SUBMISSION_SET_NAMESPACE, documentUniqueId);
}
