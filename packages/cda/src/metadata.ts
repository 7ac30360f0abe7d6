import { createHash } from 'node:crypto';
import type { Coded, XdsDocumentMetadata } from './xds-metadata';
import type { QualifiedIdentity } from '@passerelle/ins';
import type { DocumentType } from './document-types';
import {
  AMBULATORY,
  CONFIDENTIALITY,
  OID,
  PHARMACY_FACILITY,
  finessId,
  professionCode,
  rppsId,
  versioning,
  type CommonEvent,
} from './header';
import { xdsTimestamp } from './hl7-time';

const DMP_FLAGS_SYSTEM = '1.2.250.1.213.1.1.4.13';

/** HL7 v2 escaping of the XCN/XON/CX component separators, so a name cannot break the field structure. */
function v2(value: string): string {
  return value.replace(/\\/g, '\\E\\').replace(/\^/g, '\\S\\').replace(/&/g, '\\T\\').replace(/~/g, '\\R\\').replace(/\|/g, '\\F\\');
}

/** `YYYYMMDD` (service dates) or the document time when the event's date was unusable. */
const dateOrTime = (hl7: string): string => hl7.replace(/[+-]\d{4}$/, '');

/**
 * The XDS metadata of a document (REFERENCE §5), from the same event data as its CDA header, plus the hash and
 * size of the exact bytes (computed here, once: the bytes travel as they are).
 */
export function xdsMetadata(
  event: CommonEvent,
  identity: QualifiedIdentity,
  type: DocumentType,
  bytes: Buffer,
  serviceTime: string,
): XdsDocumentMetadata {
  const v = versioning(event);
  const c = event.confidentiality;
  const confidentialityCodes: Coded[] = [
    { code: c.level, codeSystem: OID.CONFIDENTIALITY, displayName: CONFIDENTIALITY[c.level] ?? 'Normal' },
  ];
  if (c.maskedFromProfessionals) {
    confidentialityCodes.push({ code: 'MASQUE_PS', codeSystem: DMP_FLAGS_SYSTEM, displayName: 'Masqué aux professionnels de santé' });
  }
  if (c.invisibleToPatient) {
    confidentialityCodes.push({ code: 'INVISIBLE_PATIENT', codeSystem: DMP_FLAGS_SYSTEM, displayName: 'Non visible par le patient' });
  }
  if (c.invisibleToLegalRepresentatives) {
    confidentialityCodes.push({
      code: 'INVISIBLE_REPRESENTANTS_LEGAUX',
      codeSystem: DMP_FLAGS_SYSTEM,
      displayName: 'Non visible par les représentants légaux du patient',
    });
  }
  const p = identity.traits;
  const a = event.author;
  const profession = professionCode(a);
  const authorPerson = `${rppsId(a.rpps)}^${v2(a.familyName)}^${v2(a.givenName)}^^^^^^&${OID.RPPS}&ISO^D^^^IDNPS`;
  const sex = p.sex === 'U' ? 'U' : p.sex;
  const birth = p.birthDate.replace(/-/g, '');
  return {
    kind: type.kind,
    uniqueId: v.id,
    setId: v.setId,
    version: v.version,
    replaces: v.replaces,
    title: type.title,
    typeCode: type.code,
    classCode: type.classCode,
    formatCode: type.formatCode,
    confidentialityCodes,
    healthcareFacilityTypeCode: PHARMACY_FACILITY,
    practiceSettingCode: AMBULATORY,
    eventCodes: [],
    languageCode: 'fr-FR',
    mimeType: 'text/xml',
    patientId: `${identity.matricule}^^^&${identity.oid}&ISO^NH`,
    sourcePatientInfo: [
      `PID-3|${identity.matricule}^^^&${identity.oid}&ISO^NH`,
      `PID-5|${v2(p.birthFamilyName)}^${v2(p.firstGivenName)}^${v2(p.birthGivenNames)}^^^^L`,
      `PID-7|${/^\d{8}$/.test(birth) ? birth : ''}`,
      `PID-8|${sex}`,
    ],
    authorPerson,
    authorInstitution: `${v2(event.pharmacy.name)}^^^^^&${OID.STRUCTURE}&ISO^IDNST^^^${finessId(event.pharmacy.finess)}`,
    authorSpecialty: `${profession.code}^${profession.displayName}^${profession.codeSystem}`,
    legalAuthenticator: authorPerson,
    creationTime: xdsTimestamp(event.occurredAt),
    serviceStartTime: dateOrTime(serviceTime),
    serviceStopTime: dateOrTime(serviceTime),
    hash: createHash('sha1').update(bytes).digest('hex'),
    size: bytes.length,
    authorFiness: event.pharmacy.finess,
  };
}
