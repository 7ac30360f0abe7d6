import { createHash } from 'node:crypto';

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

/** Each namespace's 16 bytes, parsed once. */
const namespaceBytes = new Map<string, Buffer>();

/**
 * The 16 bytes of the version-5 UUID of `name` in `namespace` (RFC 9562 §5.5): SHA-1 of the namespace's bytes and the
 * name's UTF-8, truncated, with the version and variant bits set. Made here with node:crypto rather than by the uuid
 * package, which parsed the namespace and re-encoded the name at each call: the composer derives about ten ids per
 * document (the package's own v5 stays the oracle of the tests).
 */
function nameBasedBytes(namespace: string, name: string): Buffer {
  let ns = namespaceBytes.get(namespace);
  if (!ns) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(namespace)) throw new TypeError(`not a UUID: ${namespace}`);
    ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
    namespaceBytes.set(namespace, ns);
  }
  // A lone surrogate has no UTF-8: refused (URIError), as the uuid package did, rather than hashed as U+FFFD.
  if (/[\ud800-\udfff]/.test(name)) encodeURIComponent(name);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest();
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return bytes.subarray(0, 16);
}

/** The version-5 UUID of `name` in `namespace` (RFC 9562), lower case. */
export function nameBasedUuid(namespace: string, name: string): string {
  const hex = nameBasedBytes(namespace, name).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `2.25.<the UUID's 128 bits as a decimal>`: a valid `II/@root` and XDS uniqueId (at most 64 characters). */
export function uuidToOid(uuid: string): string {
  return `2.25.${BigInt(`0x${uuid.replace(/-/g, '')}`).toString(10)}`;
}

/** The OID of the version-5 UUID of `name` in `namespace`. */
export function nameBasedOid(namespace: string, name: string): string {
  const bytes = nameBasedBytes(namespace, name);
  return `2.25.${((bytes.readBigUInt64BE(0) << 64n) | bytes.readBigUInt64BE(8)).toString(10)}`;
}

/** An OID as XDS uniqueIds must be (the DMP takes OIDs only), at most 64 characters. */
export function isOid(value: string): boolean {
  return value.length <= 64 && /^[0-2](?:\.(?:0|[1-9]\d*))+$/.test(value);
}
export * from './health-ids';
