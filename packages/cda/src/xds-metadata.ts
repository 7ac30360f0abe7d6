/**
 * The XDS metadata of a document (REFERENCE §5): what the DMP submission (ITI-41) and the MSSanté XDM archive
 * (METADATA.XML) say about it. Built from the same data as the CDA header, by the same builder, so they cannot
 * disagree. It is the contract between the document builders, the signer and the router, and it travels in the
 * pipeline's records: its one definition is the Avro record `XdsDocumentMetadata`
 * (schemas/avro/documents.composed.avsc), whose generated type this is. Field by field:
 * - `uniqueId`: the CDA document id, an OID `2.25.<decimal UUID>`; `setId` and `version`: the CDA setId and
 *   versionNumber; `replaces`: the uniqueId of the document replaced (relatedDocument RPLC), or null;
 * - `typeCode` = the CDA `code` (LOINC); `classCode` from TRE_A03 (1.2.250.1.213.1.1.4.1); `confidentialityCodes`:
 *   the CDA one first, then the DMP flags (MASQUE_PS, INVISIBLE_PATIENT, …; 1.2.250.1.213.1.1.4.13);
 *   `healthcareFacilityTypeCode` SA33 (1.2.250.1.71.4.2.4); `practiceSettingCode` AMBULATOIRE (1.2.250.1.213.1.1.4.9);
 * - `patientId` `<matricule>^^^&<INS OID>&ISO^NH`; `sourcePatientInfo`: HL7 v2 PID fields (personal data: stays in
 *   the archive, never in logs); `authorPerson`, `authorInstitution`, `authorSpecialty`, `legalAuthenticator`: XCN/XON
 *   strings; `authorFiness`: the signer picks the pharmacy's certificate by it;
 * - times UTC `YYYYMMDDHHMMSS`; `hash`: SHA-1 of the document's UTF-8 bytes, lowercase hex; `size` in bytes.
 */
export type { Coded, XdsDocumentMetadata } from '@passerelle/schemas';

export type DocumentKind = 'vaccination-note' | 'dispensation' | 'medication-review' | 'pharmaceutical-interview';
