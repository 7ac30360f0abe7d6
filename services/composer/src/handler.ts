import { buildDocument, documentIdFor } from '@passerelle/cda';
import { checkPatientIdentity } from '@passerelle/ins';
import { childTraceparent, H, PermanentError, type Failure, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import { failureStatus, familyOfTopic, statusRecord, usageHeaders, type PrescriptionKind, type TopicNames } from '@passerelle/pipeline';
import type { ComposedDocument, EventByFamily } from '@passerelle/schemas';

export type LgoEventValue = EventByFamily[keyof EventByFamily];

export interface ComposerConfig {
  topics: TopicNames;
  /** Test and demo INS OIDs are accepted only on a test platform (DESIGN §3) */
  testPlatform: boolean;
  now?: () => number;
}

/**
 * An LGO event becomes a CDA document with its XDS metadata, or a status:
 * - identity not qualified → parked (`identity-not-qualified`): the pharmacy qualifies it and the LGO re-publishes;
 * - any other identity rule broken → permanent error (dead letter, with the code);
 * - otherwise → `documents.composed`, keyed like the event (one patient's documents stay in order).
 */
export function composerHandler(cfg: ComposerConfig) {
  const now = cfg.now ?? Date.now;
  return async (record: InputRecord<LgoEventValue>): Promise<OutputRecord[]> => {
    const source = familyOfTopic(record.topic);
    if (!source) throw new PermanentError('UNKNOWN_TOPIC', `no event family for topic ${record.topic}`);
    const event = record.value;
    const documentId = documentIdFor(event.eventId);
    const usage = usageHeaders(usageFactsOfEvent(event));
    const ids = { ...usage, [H.eventId]: event.eventId, [H.documentId]: documentId };
    const check = checkPatientIdentity(event.patient, { testPlatform: cfg.testPlatform });
    if (!check.ok) {
      if (check.error.parkable) {
        const parked = statusRecord(cfg.topics.status, {
          documentId,
          eventId: event.eventId,
          state: 'parked',
          stage: 'composer',
          detail: 'identity-not-qualified',
          at: now(),
          carry: usage,
        });
        return [parked.record];
      }
      throw new PermanentError(check.error.code, check.error.message, { cause: check.error });
    }
    const { xml, metadata } = await buildDocument(source.family, event as never, check.identity);
    const composed = statusRecord(cfg.topics.status, {
      documentId,
      eventId: event.eventId,
      state: 'composed',
      stage: 'composer',
      at: now(),
      carry: usage,
    });
    const prescriber = 'dispensation' in event ? (event.dispensation.prescription?.prescriber.mssanteAddress ?? null) : null;
    const value: ComposedDocument = {
      eventId: event.eventId,
      occurredAt: event.occurredAt,
      sourceTopic: source.topic,
      documentXml: xml,
      metadata,
      routing: {
        insMatricule: event.patient.ins.matricule,
        mssanteConsent: event.patient.mssanteConsent,
        dmpOpposition: event.patient.dmpOpposition,
        identityQualified: true,
        pharmacyDmpEnrolled: event.pharmacy.dmpEnrolled,
        pharmacyMssanteAddress: event.pharmacy.mssanteAddress,
        pharmacyName: event.pharmacy.name,
        recipients: event.recipients.map((r) => ({ mssanteAddress: r.mssanteAddress, role: r.role })),
        prescriberMssanteAddress: prescriber,
      },
      history: [composed.entry],
    };
    return [
      {
        topic: cfg.topics.composed,
        key: record.key,
        value,
        headers: { ...ids, [H.traceparent]: childTraceparent(record.headers[H.traceparent]) },
      },
      composed.record,
    ];
  };
}

/** The status of an event that failed: retrying or dead-lettered, with the error code (never the value). */
export function composerFailureStatus(cfg: Pick<ComposerConfig, 'topics'>) {
  return (f: Failure<LgoEventValue>): OutputRecord[] => {
    const eventId = f.record.value?.eventId ?? f.record.headers[H.eventId];
    return failureStatus(cfg.topics.status, 'composer', f, {
      eventId,
      documentId: eventId ? documentIdFor(eventId) : undefined,
      carry: f.record.value ? usageHeaders(usageFactsOfEvent(f.record.value)) : undefined,
    });
  };
}

/**
 * What the usage indicators count of an event (its pharmacy, its document's kind, a dispensation's prescription),
 * carried as headers from here on: never the patient. The kind is the builder's (`@passerelle/cda` chooses a review's
 * document type the same way), known before the document is built, so that a parked event is counted too.
 */
export function usageFactsOfEvent(event: LgoEventValue): { finess: string; kind: string; prescription?: PrescriptionKind } {
  const finess = event.pharmacy.finess;
  if ('dispensation' in event) {
    const p = event.dispensation.prescription;
    return { finess, kind: 'dispensation', prescription: !p ? 'none' : p.ePrescriptionId ? 'e-prescription' : 'paper' };
  }
  if ('review' in event) {
    return { finess, kind: event.review.kind === 'ENTRETIEN_PHARMACEUTIQUE' ? 'pharmaceutical-interview' : 'medication-review' };
  }
  return { finess, kind: 'vaccination-note' };
}
