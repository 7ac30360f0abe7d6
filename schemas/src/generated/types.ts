// Generated from schemas/avro/*.avsc by schemas/scripts/generate-types.ts. Do not edit.
// `Name` is a record as decoded (every field present); `NameInput` as a producer may write it (fields with an
// Avro default may be left out).

/** A vaccine administered at the pharmacy (→ Note de vaccination, VAC-NOTE) */
export interface VaccinationEvent {
  /** UUID chosen by the LGO; the document id derives from it */
  eventId: string;
  /** When it happened at the counter (epoch ms) */
  occurredAt: number;
  correction: null | Correction;
  pharmacy: Pharmacy;
  author: Pharmacist;
  patient: Patient;
  /** MSSanté recipients named by the pharmacist */
  recipients: Recipient[];
  confidentiality: Confidentiality;
  vaccination: Vaccination;
}

/** Present when this event corrects an earlier one: the document replaces the earlier version (relatedDocument RPLC) */
export interface Correction {
  /** Event id of the first version (fixes the document's setId) */
  originalEventId: string;
  /** Event id of the version being replaced */
  replacedEventId: string;
  /** Version number of the new document (2 or more) */
  versionNumber: number;
}

/** The officine (a legal entity identified by its FINESS) */
export interface Pharmacy {
  /** FINESS number of the establishment (9 characters) */
  finess: string;
  name: string;
  address: Address;
  /** Phone number, e.g. +33 1 23 45 67 89 */
  telecom: null | string;
  /** The pharmacy's MSSanté mailbox (sender of its messages) */
  mssanteAddress: string;
  /** The pharmacy is enrolled to feed the DMP */
  dmpEnrolled: boolean;
}

export interface Address {
  /** Street lines, in order */
  lines: string[];
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2 country code */
  country: string;
}

/** The author: a pharmacist with an RPPS number */
export interface Pharmacist {
  /** RPPS number (11 digits) */
  rpps: string;
  familyName: string;
  givenName: string;
  role: PharmacistRole;
}

/** PHARMACIEN = G15_21, TITULAIRE = G15_21/A (titulaire d'officine) */
export type PharmacistRole = 'PHARMACIEN' | 'TITULAIRE';

/** The patient, with the five strict traits of the INS identity */
export interface Patient {
  /** The LGO's own patient id (never leaves the pipeline except hashed in the Kafka key) */
  localId: string;
  ins: Ins;
  /** Nom de naissance */
  birthFamilyName: string;
  /** All birth given names, in order, separated by spaces (as returned by INSi) */
  birthGivenNames: string;
  /** Premier prénom de naissance */
  firstGivenName: string;
  /** YYYY-MM-DD */
  birthDate: string;
  sex: Sex;
  /** INSEE code of the birth commune (5 characters, 99xxx for a birth abroad) */
  birthPlace: string;
  /** Nom utilisé */
  usedFamilyName: null | string;
  /** Prénom utilisé */
  usedGivenName: null | string;
  identityStatus: IdentityStatus;
  /** The patient opposed feeding the DMP */
  dmpOpposition: boolean;
  /** The patient asked to receive the document in the Mon espace santé mailbox */
  mssanteConsent: boolean;
}

/** Identifiant national de santé */
export interface Ins {
  /** NIR or NIA: 13 characters followed by the 2-digit key (15 characters) */
  matricule: string;
  /** Assigning authority: 1.2.250.1.213.1.4.8 (NIR), 1.2.250.1.213.1.4.9 (NIA); 4.10/4.11 on test platforms only */
  oid: string;
}

export type Sex = 'F' | 'M' | 'U';

export type IdentityStatus = 'PROVISOIRE' | 'RECUPEREE' | 'VALIDEE' | 'QUALIFIEE';

export interface Recipient {
  mssanteAddress: string;
  role: RecipientRole;
  rpps: null | string;
  displayName: null | string;
}

export type RecipientRole = 'TREATING_PHYSICIAN' | 'PRESCRIBER' | 'OTHER_PROFESSIONAL';

export interface Confidentiality {
  level: ConfidentialityLevel;
  /** DMP flag MASQUE_PS */
  maskedFromProfessionals: boolean;
  /** DMP flag INVISIBLE_PATIENT */
  invisibleToPatient: boolean;
  /** DMP flag INVISIBLE_REPRESENTANTS_LEGAUX */
  invisibleToLegalRepresentatives: boolean;
}

/** HL7 Confidentiality (2.16.840.1.113883.5.25) */
export type ConfidentialityLevel = 'N' | 'R' | 'V';

export interface Vaccination {
  vaccine: Vaccine;
  lotNumber: string;
  /** Rank of the dose in the schedule */
  doseNumber: null | number;
  doseQuantity: null | Quantity;
  /** Route of administration, HL7 RouteOfAdministration code (e.g. IM, SC, NASINHL) */
  route: null | string;
  /** Administration site, HL7 ActSite code (e.g. LA left arm, RA right arm) */
  site: null | string;
  /** YYYY-MM-DD */
  administeredAt: string;
  comment: null | string;
}

export interface Vaccine {
  /** CIS code (1.2.250.1.213.2.3.1) */
  cis: string;
  /** ATC code (2.16.840.1.113883.6.73) */
  atc: string;
  /** ATC label */
  atcLabel: string;
  /** Product name */
  label: string;
}

export interface Quantity {
  value: number;
  /** UCUM unit, e.g. mL */
  unit: string;
}

/** Medicines dispensed at the counter (→ Dispensation médicamenteuse, eDISP-MED) */
export interface DispensationEvent {
  /** UUID chosen by the LGO; the document id derives from it */
  eventId: string;
  /** When it happened at the counter (epoch ms) */
  occurredAt: number;
  correction: null | Correction;
  pharmacy: Pharmacy;
  author: Pharmacist;
  patient: Patient;
  /** MSSanté recipients named by the pharmacist */
  recipients: Recipient[];
  confidentiality: Confidentiality;
  dispensation: Dispensation;
}

export interface Dispensation {
  /** YYYY-MM-DD */
  dispensedAt: string;
  prescription: null | Prescription;
  /** At least one line */
  lines: DispensationLine[];
}

export interface Prescription {
  /** Identifier of the e-prescription (ordonnance numérique) */
  ePrescriptionId: null | string;
  /** YYYY-MM-DD */
  prescribedAt: null | string;
  prescriber: Prescriber;
}

export interface Prescriber {
  rpps: string;
  familyName: string;
  givenName: string;
  mssanteAddress: null | string;
}

export interface DispensationLine {
  product: Product;
  quantity: DispensedQuantity;
  /** Posology as free text */
  posology: null | string;
  substitution: Substitution;
}

export interface Product {
  /** CIP13 presentation code (1.2.250.1.213.2.3.2) */
  cip13: null | string;
  /** UCD code (1.2.250.1.213.2.3.3) */
  ucd: null | string;
  label: string;
}

export interface DispensedQuantity {
  value: number;
  /** UCUM or EDQM unit, e.g. {boite} */
  unit: string;
}

/** HL7 ActSubstanceAdminSubstitutionCode N, G, TE */
export type Substitution = 'NONE' | 'GENERIC' | 'THERAPEUTIC';

/** A bilan partagé de médication (→ 56445-0) or a pharmaceutical interview (→ 78601-2) */
export interface MedicationReviewEvent {
  /** UUID chosen by the LGO; the document id derives from it */
  eventId: string;
  /** When it happened at the counter (epoch ms) */
  occurredAt: number;
  correction: null | Correction;
  pharmacy: Pharmacy;
  author: Pharmacist;
  patient: Patient;
  /** MSSanté recipients named by the pharmacist */
  recipients: Recipient[];
  confidentiality: Confidentiality;
  review: MedicationReview;
}

export interface MedicationReview {
  kind: ReviewKind;
  /** Theme of an interview (e.g. anticoagulants oraux, asthme) */
  topic: null | string;
  /** YYYY-MM-DD */
  performedAt: string;
  medications: ReviewedMedication[];
  /** Findings (problems identified) */
  findings: string[];
  /** Recommendations to the physician and the patient */
  recommendations: string[];
  conclusion: null | string;
}

export type ReviewKind = 'BILAN_PARTAGE_MEDICATION' | 'ENTRETIEN_PHARMACEUTIQUE';

export interface ReviewedMedication {
  label: string;
  cip13: null | string;
  posology: null | string;
  comment: null | string;
}

/** documents.composed: a CDA document built from an LGO event */
export interface ComposedDocument {
  eventId: string;
  occurredAt: number;
  sourceTopic: string;
  /** The CDA document: its canonical (C14N 1.0) UTF-8 bytes, exactly what metadata.hash and metadata.size describe */
  documentXml: Buffer;
  metadata: XdsDocumentMetadata;
  routing: RoutingFacts;
  /** The document's lifecycle so far */
  history: StatusEntry[];
}

/** REFERENCE §5; mirrors packages/cda/src/xds-metadata.ts */
export interface XdsDocumentMetadata {
  /** vaccination-note, dispensation, medication-review or pharmaceutical-interview */
  kind: string;
  uniqueId: string;
  setId: string;
  version: number;
  replaces: null | string;
  title: string;
  typeCode: Coded;
  classCode: Coded;
  formatCode: Coded;
  confidentialityCodes: Coded[];
  healthcareFacilityTypeCode: Coded;
  practiceSettingCode: Coded;
  eventCodes: Coded[];
  languageCode: string;
  mimeType: string;
  patientId: string;
  sourcePatientInfo: string[];
  authorPerson: string;
  authorInstitution: string;
  authorSpecialty: string;
  legalAuthenticator: string;
  creationTime: string;
  serviceStartTime: string;
  serviceStopTime: string;
  hash: string;
  size: number;
  authorFiness: string;
}

export interface Coded {
  code: string;
  /** OID of the code system */
  codeSystem: string;
  displayName: string;
}

/** What the router needs to know of the event (DESIGN §4) */
export interface RoutingFacts {
  /** Qualified INS matricule: the patient's MSSanté address is <matricule>@patient.mssante.fr */
  insMatricule: string;
  mssanteConsent: boolean;
  dmpOpposition: boolean;
  identityQualified: boolean;
  pharmacyDmpEnrolled: boolean;
  pharmacyMssanteAddress: string;
  pharmacyName: string;
  recipients: RoutingRecipient[];
  prescriberMssanteAddress: null | string;
}

export interface RoutingRecipient {
  mssanteAddress: string;
  /** TREATING_PHYSICIAN, PRESCRIBER or OTHER_PROFESSIONAL */
  role: string;
}

export interface StatusEntry {
  state: string;
  stage: string;
  at: number;
  /** An error code or a destination; never personal data */
  detail: null | string;
  /** On an entry written for a failure (retrying, parked, dead-lettered): which failure of the record it is, 1 for the first; null otherwise */
  attempt: null | number;
}

/** documents.signed: a composed document with its IHE DSG signature */
export interface SignedDocument {
  eventId: string;
  occurredAt: number;
  sourceTopic: string;
  /** The CDA document: its canonical (C14N 1.0) UTF-8 bytes, exactly what metadata.hash and metadata.size describe */
  documentXml: Buffer;
  metadata: XdsDocumentMetadata;
  routing: RoutingFacts;
  submissionSetUniqueId: string;
  /** The enveloping XAdES-BES signature document, UTF-8 */
  signatureXml: Buffer;
  /** Fingerprint of the pharmacy's SIGN certificate */
  signerCertificateSha256: string;
  history: StatusEntry[];
}

/** dmp.submissions: what the DMP gateway sends as ITI-41 */
export interface DmpSubmission {
  eventId: string;
  occurredAt: number;
  documentId: string;
  /** The CDA document: its canonical (C14N 1.0) UTF-8 bytes, exactly what metadata.hash and metadata.size describe */
  documentXml: Buffer;
  metadata: XdsDocumentMetadata;
  submissionSetUniqueId: string;
  /** ebRIM SubmitObjectsRequest: submission set, document entry, signature entry, associations */
  submissionSetXml: string;
  /** The enveloping XAdES-BES signature document, UTF-8 */
  signatureXml: Buffer;
  /** The document's status history up to its routing, so that a gateway's status record tells the whole story (compaction keeps only the last record of a document) */
  history: StatusEntry[];
}

/** mss.messages: a mail for the MSSanté gateway */
export interface MssMessage {
  eventId: string;
  occurredAt: number;
  documentId: string;
  audience: Audience;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** X-MSS-* headers */
  headers: Record<string, string>;
  attachmentName: string;
  /** The IHE XDM ZIP */
  attachment: Buffer;
  /** The FINESS of the sending pharmacy: its AUTH_CLI credential (for the client certificate) is filed under it. Empty in records written before it existed */
  authorFiness: string;
  /** The document's status history so far (the router's entries): the gateway's status carries it */
  history: StatusEntry[];
}

export type Audience = 'patient' | 'professionals';

/** documents.status (compacted, keyed by document id): a document's current state and history */
export interface DocumentStatus {
  documentId: string;
  eventId: string;
  /** One of the STATES of schemas/src/catalogue.ts (composed, signed, routed, delivered, retrying, waiting-for-certificate, parked, dead-lettered, replayed) */
  state: string;
  stage: string;
  at: number;
  /** Error code or routes; never personal data */
  detail: null | string;
  history: StatusEntry[];
}

/** dead-letters.replayed (compacted, keyed by <dead-letter topic>:<partition>:<offset>): a dead letter that was replayed, so that a replay never runs twice */
export interface DeadLetterReplay {
  /** <dead-letter topic>:<partition>:<offset> */
  deadLetter: string;
  originTopic: string;
  errorCode: string;
  replayedAt: number;
}

/** A vaccine administered at the pharmacy (→ Note de vaccination, VAC-NOTE) */
export interface VaccinationEventInput {
  /** UUID chosen by the LGO; the document id derives from it */
  eventId: string;
  /** When it happened at the counter (epoch ms) */
  occurredAt: number;
  correction?: null | CorrectionInput;
  pharmacy: PharmacyInput;
  author: PharmacistInput;
  patient: PatientInput;
  /** MSSanté recipients named by the pharmacist */
  recipients?: RecipientInput[];
  confidentiality?: ConfidentialityInput;
  vaccination: VaccinationInput;
}

/** Present when this event corrects an earlier one: the document replaces the earlier version (relatedDocument RPLC) */
export interface CorrectionInput {
  /** Event id of the first version (fixes the document's setId) */
  originalEventId: string;
  /** Event id of the version being replaced */
  replacedEventId: string;
  /** Version number of the new document (2 or more) */
  versionNumber: number;
}

/** The officine (a legal entity identified by its FINESS) */
export interface PharmacyInput {
  /** FINESS number of the establishment (9 characters) */
  finess: string;
  name: string;
  address: AddressInput;
  /** Phone number, e.g. +33 1 23 45 67 89 */
  telecom?: null | string;
  /** The pharmacy's MSSanté mailbox (sender of its messages) */
  mssanteAddress: string;
  /** The pharmacy is enrolled to feed the DMP */
  dmpEnrolled?: boolean;
}

export interface AddressInput {
  /** Street lines, in order */
  lines: string[];
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2 country code */
  country?: string;
}

/** The author: a pharmacist with an RPPS number */
export interface PharmacistInput {
  /** RPPS number (11 digits) */
  rpps: string;
  familyName: string;
  givenName: string;
  role?: PharmacistRole;
}

/** The patient, with the five strict traits of the INS identity */
export interface PatientInput {
  /** The LGO's own patient id (never leaves the pipeline except hashed in the Kafka key) */
  localId: string;
  ins: InsInput;
  /** Nom de naissance */
  birthFamilyName: string;
  /** All birth given names, in order, separated by spaces (as returned by INSi) */
  birthGivenNames: string;
  /** Premier prénom de naissance */
  firstGivenName: string;
  /** YYYY-MM-DD */
  birthDate: string;
  sex: Sex;
  /** INSEE code of the birth commune (5 characters, 99xxx for a birth abroad) */
  birthPlace: string;
  /** Nom utilisé */
  usedFamilyName?: null | string;
  /** Prénom utilisé */
  usedGivenName?: null | string;
  identityStatus: IdentityStatus;
  /** The patient opposed feeding the DMP */
  dmpOpposition?: boolean;
  /** The patient asked to receive the document in the Mon espace santé mailbox */
  mssanteConsent?: boolean;
}

/** Identifiant national de santé */
export interface InsInput {
  /** NIR or NIA: 13 characters followed by the 2-digit key (15 characters) */
  matricule: string;
  /** Assigning authority: 1.2.250.1.213.1.4.8 (NIR), 1.2.250.1.213.1.4.9 (NIA); 4.10/4.11 on test platforms only */
  oid: string;
}

export interface RecipientInput {
  mssanteAddress: string;
  role: RecipientRole;
  rpps?: null | string;
  displayName?: null | string;
}

export interface ConfidentialityInput {
  level?: ConfidentialityLevel;
  /** DMP flag MASQUE_PS */
  maskedFromProfessionals?: boolean;
  /** DMP flag INVISIBLE_PATIENT */
  invisibleToPatient?: boolean;
  /** DMP flag INVISIBLE_REPRESENTANTS_LEGAUX */
  invisibleToLegalRepresentatives?: boolean;
}

export interface VaccinationInput {
  vaccine: VaccineInput;
  lotNumber: string;
  /** Rank of the dose in the schedule */
  doseNumber?: null | number;
  doseQuantity?: null | QuantityInput;
  /** Route of administration, HL7 RouteOfAdministration code (e.g. IM, SC, NASINHL) */
  route?: null | string;
  /** Administration site, HL7 ActSite code (e.g. LA left arm, RA right arm) */
  site?: null | string;
  /** YYYY-MM-DD */
  administeredAt: string;
  comment?: null | string;
}

export interface VaccineInput {
  /** CIS code (1.2.250.1.213.2.3.1) */
  cis: string;
  /** ATC code (2.16.840.1.113883.6.73) */
  atc: string;
  /** ATC label */
  atcLabel: string;
  /** Product name */
  label: string;
}

export interface QuantityInput {
  value: number;
  /** UCUM unit, e.g. mL */
  unit: string;
}

/** Medicines dispensed at the counter (→ Dispensation médicamenteuse, eDISP-MED) */
export interface DispensationEventInput {
  /** UUID chosen by the LGO; the document id derives from it */
  eventId: string;
  /** When it happened at the counter (epoch ms) */
  occurredAt: number;
  correction?: null | CorrectionInput;
  pharmacy: PharmacyInput;
  author: PharmacistInput;
  patient: PatientInput;
  /** MSSanté recipients named by the pharmacist */
  recipients?: RecipientInput[];
  confidentiality?: ConfidentialityInput;
  dispensation: DispensationInput;
}

export interface DispensationInput {
  /** YYYY-MM-DD */
  dispensedAt: string;
  prescription?: null | PrescriptionInput;
  /** At least one line */
  lines: DispensationLineInput[];
}

export interface PrescriptionInput {
  /** Identifier of the e-prescription (ordonnance numérique) */
  ePrescriptionId?: null | string;
  /** YYYY-MM-DD */
  prescribedAt?: null | string;
  prescriber: PrescriberInput;
}

export interface PrescriberInput {
  rpps: string;
  familyName: string;
  givenName: string;
  mssanteAddress?: null | string;
}

export interface DispensationLineInput {
  product: ProductInput;
  quantity: DispensedQuantityInput;
  /** Posology as free text */
  posology?: null | string;
  substitution?: Substitution;
}

export interface ProductInput {
  /** CIP13 presentation code (1.2.250.1.213.2.3.2) */
  cip13?: null | string;
  /** UCD code (1.2.250.1.213.2.3.3) */
  ucd?: null | string;
  label: string;
}

export interface DispensedQuantityInput {
  value: number;
  /** UCUM or EDQM unit, e.g. {boite} */
  unit: string;
}

/** A bilan partagé de médication (→ 56445-0) or a pharmaceutical interview (→ 78601-2) */
export interface MedicationReviewEventInput {
  /** UUID chosen by the LGO; the document id derives from it */
  eventId: string;
  /** When it happened at the counter (epoch ms) */
  occurredAt: number;
  correction?: null | CorrectionInput;
  pharmacy: PharmacyInput;
  author: PharmacistInput;
  patient: PatientInput;
  /** MSSanté recipients named by the pharmacist */
  recipients?: RecipientInput[];
  confidentiality?: ConfidentialityInput;
  review: MedicationReviewInput;
}

export interface MedicationReviewInput {
  kind: ReviewKind;
  /** Theme of an interview (e.g. anticoagulants oraux, asthme) */
  topic?: null | string;
  /** YYYY-MM-DD */
  performedAt: string;
  medications?: ReviewedMedicationInput[];
  /** Findings (problems identified) */
  findings?: string[];
  /** Recommendations to the physician and the patient */
  recommendations?: string[];
  conclusion?: null | string;
}

export interface ReviewedMedicationInput {
  label: string;
  cip13?: null | string;
  posology?: null | string;
  comment?: null | string;
}

/** documents.composed: a CDA document built from an LGO event */
export interface ComposedDocumentInput {
  eventId: string;
  occurredAt: number;
  sourceTopic: string;
  /** The CDA document: its canonical (C14N 1.0) UTF-8 bytes, exactly what metadata.hash and metadata.size describe */
  documentXml: Buffer;
  metadata: XdsDocumentMetadataInput;
  routing: RoutingFactsInput;
  /** The document's lifecycle so far */
  history?: StatusEntryInput[];
}

/** REFERENCE §5; mirrors packages/cda/src/xds-metadata.ts */
export interface XdsDocumentMetadataInput {
  /** vaccination-note, dispensation, medication-review or pharmaceutical-interview */
  kind: string;
  uniqueId: string;
  setId: string;
  version: number;
  replaces?: null | string;
  title: string;
  typeCode: CodedInput;
  classCode: CodedInput;
  formatCode: CodedInput;
  confidentialityCodes: CodedInput[];
  healthcareFacilityTypeCode: CodedInput;
  practiceSettingCode: CodedInput;
  eventCodes: CodedInput[];
  languageCode: string;
  mimeType: string;
  patientId: string;
  sourcePatientInfo: string[];
  authorPerson: string;
  authorInstitution: string;
  authorSpecialty: string;
  legalAuthenticator: string;
  creationTime: string;
  serviceStartTime: string;
  serviceStopTime: string;
  hash: string;
  size: number;
  authorFiness: string;
}

export interface CodedInput {
  code: string;
  /** OID of the code system */
  codeSystem: string;
  displayName: string;
}

/** What the router needs to know of the event (DESIGN §4) */
export interface RoutingFactsInput {
  /** Qualified INS matricule: the patient's MSSanté address is <matricule>@patient.mssante.fr */
  insMatricule: string;
  mssanteConsent: boolean;
  dmpOpposition: boolean;
  identityQualified: boolean;
  pharmacyDmpEnrolled: boolean;
  pharmacyMssanteAddress: string;
  pharmacyName: string;
  recipients: RoutingRecipientInput[];
  prescriberMssanteAddress?: null | string;
}

export interface RoutingRecipientInput {
  mssanteAddress: string;
  /** TREATING_PHYSICIAN, PRESCRIBER or OTHER_PROFESSIONAL */
  role: string;
}

export interface StatusEntryInput {
  state: string;
  stage: string;
  at: number;
  /** An error code or a destination; never personal data */
  detail?: null | string;
  /** On an entry written for a failure (retrying, parked, dead-lettered): which failure of the record it is, 1 for the first; null otherwise */
  attempt?: null | number;
}

/** documents.signed: a composed document with its IHE DSG signature */
export interface SignedDocumentInput {
  eventId: string;
  occurredAt: number;
  sourceTopic: string;
  /** The CDA document: its canonical (C14N 1.0) UTF-8 bytes, exactly what metadata.hash and metadata.size describe */
  documentXml: Buffer;
  metadata: XdsDocumentMetadataInput;
  routing: RoutingFactsInput;
  submissionSetUniqueId: string;
  /** The enveloping XAdES-BES signature document, UTF-8 */
  signatureXml: Buffer;
  /** Fingerprint of the pharmacy's SIGN certificate */
  signerCertificateSha256: string;
  history?: StatusEntryInput[];
}

/** dmp.submissions: what the DMP gateway sends as ITI-41 */
export interface DmpSubmissionInput {
  eventId: string;
  occurredAt: number;
  documentId: string;
  /** The CDA document: its canonical (C14N 1.0) UTF-8 bytes, exactly what metadata.hash and metadata.size describe */
  documentXml: Buffer;
  metadata: XdsDocumentMetadataInput;
  submissionSetUniqueId: string;
  /** ebRIM SubmitObjectsRequest: submission set, document entry, signature entry, associations */
  submissionSetXml: string;
  /** The enveloping XAdES-BES signature document, UTF-8 */
  signatureXml: Buffer;
  /** The document's status history up to its routing, so that a gateway's status record tells the whole story (compaction keeps only the last record of a document) */
  history?: StatusEntryInput[];
}

/** mss.messages: a mail for the MSSanté gateway */
export interface MssMessageInput {
  eventId: string;
  occurredAt: number;
  documentId: string;
  audience: Audience;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** X-MSS-* headers */
  headers: Record<string, string>;
  attachmentName: string;
  /** The IHE XDM ZIP */
  attachment: Buffer;
  /** The FINESS of the sending pharmacy: its AUTH_CLI credential (for the client certificate) is filed under it. Empty in records written before it existed */
  authorFiness?: string;
  /** The document's status history so far (the router's entries): the gateway's status carries it */
  history?: StatusEntryInput[];
}

/** documents.status (compacted, keyed by document id): a document's current state and history */
export interface DocumentStatusInput {
  documentId: string;
  eventId: string;
  /** One of the STATES of schemas/src/catalogue.ts (composed, signed, routed, delivered, retrying, waiting-for-certificate, parked, dead-lettered, replayed) */
  state: string;
  stage: string;
  at: number;
  /** Error code or routes; never personal data */
  detail?: null | string;
  history?: StatusEntryInput[];
}

/** dead-letters.replayed (compacted, keyed by <dead-letter topic>:<partition>:<offset>): a dead letter that was replayed, so that a replay never runs twice */
export interface DeadLetterReplayInput {
  /** <dead-letter topic>:<partition>:<offset> */
  deadLetter: string;
  originTopic: string;
  errorCode: string;
  replayedAt: number;
}
