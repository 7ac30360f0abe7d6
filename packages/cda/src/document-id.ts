import { v5 as uuidv5 } from 'uuid';

/**
 * Namespace of every UUIDv5 Passerelle derives from an event id. Fixed forever: changing it would change every
 * document id, and reprocessing an event must rebuild the same document with the same id (DESIGN §5).
 */
export const PASSERELLE_UUID_NAMESPACE = 'f84b1398-9f2d-4b9c-b517-90e090efa684';

/**
 * An OID under the `2.25` arc, made from a UUID (ITU-T X.667): `2.25.<the UUID's 128 bits as a decimal>`.
 * No registered arc is needed, and it is a valid `II/@root` and XDS uniqueId (at most 64 characters).
 */
export function uuidToOid(uuid: string): string {
  return `2.25.${BigInt(`0x${uuid.replace(/-/g, '')}`).toString(10)}`;
}

/** A deterministic OID for one purpose (`document`, `set`, `section`, …) of one event. */
export function derivedOid(purpose: string, eventId: string): string {
  return uuidToOid(uuidv5(`${purpose}:${eventId}`, PASSERELLE_UUID_NAMESPACE));
}

/** The CDA document id (and XDS uniqueId) of the document built from an event. */
export function documentIdFor(eventId: string): string {
  return derivedOid('document', eventId);
}

/** The setId shared by every version of a document, from the event id of its first version. */
export function setIdFor(originalEventId: string): string {
  return derivedOid('set', originalEventId);
}
