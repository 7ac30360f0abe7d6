import type { DispensationEvent, EventTopic, MedicationReviewEvent, VaccinationEvent } from '@passerelle/schemas';
import { buildVaccinationNote } from './vaccination-note';
import { buildDispensation } from './dispensation';
import { buildMedicationReview } from './medication-review';
import type { BuiltDocument } from './built-document';
import { PasserelleError } from '@passerelle/errors';

/** A topic this package cannot build a document for. */
export class UnknownTopicError extends PasserelleError {
  readonly code = 'CDA_UNKNOWN_TOPIC';
  readonly errorClass = 'permanent';
  constructor(readonly topic: string) {
    super(`CDA_UNKNOWN_TOPIC: no document type for topic ${topic}`);
  }
}

/**
 * Builds the document an LGO event becomes, with its XDS metadata. The patient identity must have been checked
 * (and found qualified) with @passerelle/ins first. Same event → byte-identical document.
 */
export async function buildDocument(topic: EventTopic | string, event: unknown): Promise<BuiltDocument> {
  switch (topic) {
    case 'lgo.vaccination.v1':
      return buildVaccinationNote(event as VaccinationEvent);
    case 'lgo.dispensation.v1':
      return buildDispensation(event as DispensationEvent);
    case 'lgo.medication-review.v1':
      return buildMedicationReview(event as MedicationReviewEvent);
    default:
      throw new UnknownTopicError(topic);
  }
}
