import { createHash } from 'node:crypto';
import { SignatureInputError } from './errors';

/** UUID namespace of Passerelle's derived submission-set ids (a constant: changing it changes every derived id). */
export const SUBMISSION_SET_NAMESPACE = 'd926b9b6-57b8-4ff7-966a-29685f5f45e6';

/** An OID as XDS uniqueIds must be (the DMP takes OIDs only), at most 64 characters. */
export function isOid(value: string): boolean {
  return value.length <= 64 && /^[0-2](?:\.(?:0|[1-9]\d*))+$/.test(value);
}

function uuidV5(namespace: string, name: string): Buffer {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return bytes;
}

/**
 * The uniqueId of the submission set that carries a document: `2.25.<UUIDv5(namespace, document uniqueId) as a
 * decimal integer>` (ITU-T X.667 OIDs under 2.25). Derived, not random, so that the signature, the DMP submission
 * and the MSSanté XDM archive, built by different services and rebuilt on replay, all name the same submission set.
 */
export function submissionSetIdFor(documentUniqueId: string): string {
  if (!isOid(documentUniqueId)) throw new SignatureInputError('INVALID_UNIQUE_ID', 'document uniqueId must be an OID');
  return `2.25.${BigInt(`0x${uuidV5(SUBMISSION_SET_NAMESPACE, documentUniqueId).toString('hex')}`).toString(10)}`;
}
