import { v5 as uuidv5 } from 'uuid';

/**
 * Every id Passerelle derives rather than draws: a name-based UUID (version 5, RFC 9562) of a fixed namespace and a
 * name, written as an OID under the `2.25` arc (ITU-T X.667). Derived, so that the same event rebuilds the same
 * document, signature and submission set, whichever service builds them and however often (DESIGN §5).
 */

/** Namespace of the ids derived from an event id (document, setId, sections…). Fixed forever. */
export const EVENT_NAMESPACE = 'f84b1398-9f2d-4b9c-b517-90e090efa684';
/** Namespace of the ids derived from a document's uniqueId (its submission set). Fixed forever. */
export const SUBMISSION_SET_NAMESPACE = 'd926b9b6-57b8-4ff7-966a-29685f5f45e6';

/**
 * Namespace of the Message-IDs of MSSanté mails, derived from a document's uniqueId and a recipient: a mail sent again
 * (after a crash, a retry) carries the same Message-ID, so that the receiver can recognise it. Fixed forever.
 */
export const MSS_MESSAGE_NAMESPACE = '5b0e7c39-4a8e-4f0f-9d2c-3f6a1e8b7d42';

/** The version-5 UUID of `name` in `namespace` (RFC 9562), lower case. */
export function nameBasedUuid(namespace: string, name: string): string {
  return uuidv5(name, namespace);
}

/** `2.25.<the UUID's 128 bits as a decimal>`: a valid `II/@root` and XDS uniqueId (at most 64 characters). */
export function uuidToOid(uuid: string): string {
  return `2.25.${BigInt(`0x${uuid.replace(/-/g, '')}`).toString(10)}`;
}

/** The OID of the version-5 UUID of `name` in `namespace`. */
export function nameBasedOid(namespace: string, name: string): string {
  return uuidToOid(uuidv5(name, namespace));
}

/** An OID as XDS uniqueIds must be (the DMP takes OIDs only), at most 64 characters. */
export function isOid(value: string): boolean {
  return value.length <= 64 && /^[0-2](?:\.(?:0|[1-9]\d*))+$/.test(value);
}
export * from './health-ids';
