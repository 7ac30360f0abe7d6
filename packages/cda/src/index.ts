export * from './xds-metadata';
export type { BuiltDocument } from './built-document';
export { buildDocument, UnknownFamilyError } from './build-document';
export { buildVaccinationNote } from './vaccination-note';
export { buildDispensation } from './dispensation';
export { buildMedicationReview } from './medication-review';
export { documentIdFor, setIdFor, uuidToOid, PASSERELLE_UUID_NAMESPACE } from './document-id';
export { DOCUMENT_TYPES, type DocumentType } from './document-types';
