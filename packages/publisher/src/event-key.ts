import { createHash, createHmac } from 'node:crypto';

/** The two fields a key is made of: who keeps the patient's file (the pharmacy) and the LGO's id for the patient. */
export interface KeySource {
  pharmacy: { finess: string };
  patient: { localId: string };
}

/** Versioned so that a future change of recipe cannot collide with keys made by this one. */
const DOMAIN = 'passerelle/lgo-key/v1';

/**
 * The Kafka key of an event: 32 hex characters (128 bits) of SHA-256 over the pharmacy's FINESS and the LGO's local
 * patient id. All of one patient's events at one pharmacy share it, so they land on one partition, in order; it
 * carries neither the INS, nor a name, nor the local id itself.
 *
 * A local id is often a counter, so a plain hash can be reversed by whoever knows the FINESS and tries every id:
 * pass `secret` (the same for every publisher of a pharmacy) to make it an HMAC that only its holders can recompute.
 */
export function eventKey(event: KeySource, secret?: string | Buffer): string {
  // NUL separators: no FINESS/local-id pair can be re-cut into another one.
  const material = `${DOMAIN}\u0000${event.pharmacy.finess}\u0000${event.patient.localId}`;
  const digest = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  return digest.update(material, 'utf8').digest('hex').slice(0, 32);
}
