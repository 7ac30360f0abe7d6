/**
 * The XDS metadata of a document (REFERENCE §5): what the DMP submission (ITI-41) and the MSSanté XDM archive
 * (METADATA.XML) say about it. Built from the same data as the CDA header, by the same builder, so they cannot
 * disagree. This interface is the contract between the document builders, the signer and the router.
 */
export interface Coded {
  code: string;
  /** OID of the code system (e.g. 2.16.840.1.113883.6.1 for LOINC) */
  codeSystem: string;
  displayName: string;
}

export type DocumentKind = 'vaccination-note' | 'dispensation' | 'medication-review' | 'pharmaceutical-interview';

export interface XdsDocumentMetadata {
  /** A {@link DocumentKind}; typed `string` because the metadata also comes back decoded from Avro, where it is a string */
  kind: string;
  /** XDSDocumentEntry.uniqueId: the CDA document id (an OID, `2.25.<decimal UUID>`) */
  uniqueId: string;
  /** The CDA setId (same for every version of a document) and versionNumber */
  setId: string;
  version: number;
  /** uniqueId of the document this one replaces (relatedDocument RPLC), or null */
  replaces: string | null;
  title: string;
  /** typeCode = the CDA `code` (LOINC) */
  typeCode: Coded;
  /** classCode from TRE_A03 (1.2.250.1.213.1.1.4.1) */
  classCode: Coded;
  formatCode: Coded;
  /** The CDA confidentialityCode first, then DMP flags (MASQUE_PS, INVISIBLE_PATIENT, …; 1.2.250.1.213.1.1.4.13) */
  confidentialityCodes: Coded[];
  /** SA33 Pharmacie d'officine (1.2.250.1.71.4.2.4) */
  healthcareFacilityTypeCode: Coded;
  /** AMBULATOIRE (1.2.250.1.213.1.1.4.9) */
  practiceSettingCode: Coded;
  eventCodes: Coded[];
  languageCode: string;
  mimeType: string;
  /** `<matricule>^^^&<INS OID>&ISO^NH` */
  patientId: string;
  /** HL7 v2 PID fields for XDSDocumentEntry.sourcePatientInfo (personal data: stays in the archive, never in logs) */
  sourcePatientInfo: string[];
  /** `<"8"+RPPS>^<FAMILY>^<Given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS` */
  authorPerson: string;
  /** `<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<"1"+FINESS>` */
  authorInstitution: string;
  /** Author role/speciality as an XDS coded string, e.g. `G15_21^Pharmacien^1.2.250.1.213.1.1.4.5` */
  authorSpecialty: string;
  legalAuthenticator: string;
  /** UTC, `YYYYMMDDHHMMSS` */
  creationTime: string;
  serviceStartTime: string;
  serviceStopTime: string;
  /** SHA-1 of the document bytes (UTF-8), lowercase hex, as XDS requires */
  hash: string;
  /** Size of the document in bytes (UTF-8) */
  size: number;
  /** FINESS of the authoring pharmacy: the signer picks its certificate by this */
  authorFiness: string;
}
