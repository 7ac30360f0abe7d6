import type { Headers } from '@passerelle/kafka-runtime';

/**
 * What the usage indicators need to know about a document beyond its status, carried as headers on every record of
 * the document from the composer on (the stages copy their input's headers), and on each of its status records.
 *
 * Headers rather than fields of `documents.status`: every stage already forwards its input's headers, so only the
 * composer (which reads the event) sets them and the status records copy them, without touching the Avro schemas of
 * the records between the stages. None of them is personal data: the pharmacy's FINESS (an establishment), the
 * document's kind, and whether a dispensation was on prescription (and an e-prescription) — never the patient.
 */
export const USAGE_HEADERS = {
  /** The FINESS of the pharmacy that wrote the document: the key of the usage counters */
  finess: 'pharmacy-finess',
  /** vaccination-note, dispensation, medication-review, pharmaceutical-interview */
  kind: 'document-kind',
  /** On a dispensation only: `none` (no prescription), `paper` (a prescription without e-prescription id), `e-prescription` */
  prescription: 'prescription',
} as const;

export type PrescriptionKind = 'none' | 'paper' | 'e-prescription';

export interface UsageFacts {
  finess: string;
  kind: string;
  prescription?: PrescriptionKind;
}

/** The usage headers of a document, to put on its records. */
export function usageHeaders(facts: UsageFacts): Headers {
  return {
    [USAGE_HEADERS.finess]: facts.finess,
    [USAGE_HEADERS.kind]: facts.kind,
    ...(facts.prescription ? { [USAGE_HEADERS.prescription]: facts.prescription } : {}),
  };
}

/** The usage headers found among a record's headers (to copy onto a status record), and only them. */
export function carriedUsageHeaders(headers: Headers | undefined): Headers {
  const out: Headers = {};
  for (const name of Object.values(USAGE_HEADERS)) {
    const v = headers?.[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The usage facts a record's headers tell, if they name the pharmacy and the kind. */
export function usageFactsOf(headers: Headers): UsageFacts | undefined {
  const finess = headers[USAGE_HEADERS.finess];
  const kind = headers[USAGE_HEADERS.kind];
  if (!finess || !kind) return undefined;
  const p = headers[USAGE_HEADERS.prescription];
  const prescription = p === 'none' || p === 'paper' || p === 'e-prescription' ? p : undefined;
  return { finess, kind, ...(prescription ? { prescription } : {}) };
}
