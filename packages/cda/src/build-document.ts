import type { QualifiedIdentity } from '@passerelle/ins';
import type { EventByFamily, EventFamily } from '@passerelle/schemas';
import { PasserelleError } from '@passerelle/errors';
import { buildVaccinationNote } from './vaccination-note';
import { buildDispensation } from './dispensation';
import { buildMedicationReview } from './medication-review';
import type { BuiltDocument } from './built-document';

/** A family this package has no builder for. */
export class UnknownFamilyError extends PasserelleError {
  readonly code = 'CDA_UNKNOWN_FAMILY';
  readonly errorClass = 'permanent';
  constructor(readonly family: string) {
    super(`CDA_UNKNOWN_FAMILY: no document builder for the event family ${family}`);
  }
}

/** The builder of each event family of the catalogue (the compiler asks for one when a family is added). */
const BUILDERS: { [F in EventFamily]: (event: EventByFamily[F], identity: QualifiedIdentity) => BuiltDocument | Promise<BuiltDocument> } = {
  vaccination: buildVaccinationNote,
  dispensation: buildDispensation,
  medicationReview: buildMedicationReview,
};

/**
 * Builds the document an LGO event of `family` becomes, with its XDS metadata, for the patient's qualified identity
 * (what `checkPatientIdentity` of @passerelle/ins returned for the event's patient: nothing else has the type).
 * Same event → byte-identical document.
 */
export async function buildDocument<F extends EventFamily>(
  family: F,
  event: EventByFamily[F],
  identity: QualifiedIdentity,
): Promise<BuiltDocument> {
  const build = (BUILDERS as Record<string, ((e: unknown, i: QualifiedIdentity) => BuiltDocument | Promise<BuiltDocument>) | undefined>)[
    family
  ];
  if (!build) throw new UnknownFamilyError(family);
  return build(event, identity);
}
