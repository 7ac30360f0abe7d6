import { EVENT_NAMESPACE, nameBasedOid } from '@passerelle/identifiers';

export { uuidToOid, EVENT_NAMESPACE as PASSERELLE_UUID_NAMESPACE } from '@passerelle/identifiers';

/** A deterministic OID for one purpose (`document`, `set`, `section`, …) of one event. */
export function derivedOid(purpose: string, eventId: string): string {
  return nameBasedOid(EVENT_NAMESPACE, `${purpose}:${eventId}`);
}

/** The CDA document id (and XDS uniqueId) of the document built from an event. */
export function documentIdFor(eventId: string): string {
  return derivedOid('document', eventId);
}

/** The setId shared by every version of a document, from the event id of its first version. */
export function setIdFor(originalEventId: string): string {
  return derivedOid('set', originalEventId);
}
