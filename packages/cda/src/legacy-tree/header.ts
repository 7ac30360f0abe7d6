import { NATIONAL_ID_OID, organisationId, professionalId } from '@passerelle/identifiers';
import type { QualifiedIdentity } from '@passerelle/ins';
import type { Address, Pharmacist, Pharmacy, VaccinationEvent } from '@passerelle/schemas';
import { el, textEl, type XmlElement } from './xml-tree';
import { hl7Date, hl7Timestamp } from '../hl7-time';
import { derivedOid, documentIdFor, setIdFor } from '../document-id';
import type { DocumentType } from '../document-types';

/**
 * The fields every LGO event shares that the header is made of. Not the patient: a document's patient is the qualified
 * identity `@passerelle/ins` returned, never the event's fields as they came.
 */
export type CommonEvent = Pick<
  VaccinationEvent,
  'eventId' | 'occurredAt' | 'correction' | 'pharmacy' | 'author' | 'recipients' | 'confidentiality'
>;

export const OID = {
  RPPS: NATIONAL_ID_OID.PERSON,
  STRUCTURE: NATIONAL_ID_OID.ORGANISATION,
  PROFESSION: '1.2.250.1.213.1.1.4.5',
  FACILITY_TYPE: '1.2.250.1.71.4.2.4',
  PRACTICE_SETTING: '1.2.250.1.213.1.1.4.9',
  GENDER: '2.16.840.1.113883.5.1',
  CONFIDENTIALITY: '2.16.840.1.113883.5.25',
  ACT_CODE: '2.16.840.1.113883.5.4',
} as const;

export const PHARMACY_FACILITY = { code: 'SA33', displayName: "Pharmacie d'officine", codeSystem: OID.FACILITY_TYPE };
export const AMBULATORY = { code: 'AMBULATOIRE', displayName: 'Ambulatoire', codeSystem: OID.PRACTICE_SETTING };
const GENDER: Record<string, { code: string; displayName: string }> = {
  F: { code: 'F', displayName: 'Féminin' },
  M: { code: 'M', displayName: 'Masculin' },
  U: { code: 'UN', displayName: 'Inconnu' },
};
export const CONFIDENTIALITY: Record<string, string> = { N: 'Normal', R: 'Restreint', V: 'Très restreint' };

/** Professional identifier: "8" + RPPS (REFERENCE §3). */
export const rppsId = professionalId;
/** Organisation identifier: "1" + FINESS. */
export const finessId = organisationId;

export function professionCode(author: Pharmacist): { code: string; displayName: string; codeSystem: string } {
  return author.role === 'TITULAIRE'
    ? { code: 'G15_21/A', displayName: "Pharmacien titulaire d'officine", codeSystem: OID.PROFESSION }
    : { code: 'G15_21', displayName: 'Pharmacien', codeSystem: OID.PROFESSION };
}

/**
 * An address. The CI-SIS address template takes either free lines (streetAddressLine) or parts, never both; the
 * event's lines are unparsed, so the first goes in streetName and the others in additionalLocator.
 */
export function addr(address: Address): XmlElement {
  const lines = address.lines.map((l) => l.trim()).filter((l) => l !== '');
  return el(
    'addr',
    {},
    lines.length > 0 && textEl('streetName', lines[0] as string),
    lines.length > 1 && textEl('additionalLocator', lines.slice(1).join(', ')),
    address.postalCode.trim() !== '' && textEl('postalCode', address.postalCode),
    address.city.trim() !== '' && textEl('city', address.city),
    address.country && address.country !== 'FR' && textEl('country', address.country),
  );
}

/** Telecom addresses of the pharmacy: phone (digits and +) and MSSanté mailbox. */
export function pharmacyTelecoms(pharmacy: Pharmacy): XmlElement[] {
  const out: XmlElement[] = [];
  const phone = pharmacy.telecom?.replace(/[^\d+]/g, '');
  if (phone) out.push(el('telecom', { value: `tel:${phone}`, use: 'WP' }));
  if (pharmacy.mssanteAddress.trim() !== '') out.push(el('telecom', { value: `mailto:${pharmacy.mssanteAddress.trim()}`, use: 'WP' }));
  return out;
}

export function personName(given: string, family: string): XmlElement {
  return el('name', {}, textEl('given', given), textEl('family', family));
}

function coded(c: { code: string; displayName: string; codeSystem: string }): Record<string, string> {
  return { code: c.code, displayName: c.displayName, codeSystem: c.codeSystem };
}

/** The pharmacy as representedOrganization (author, legal authenticator, performers). */
export function pharmacyOrganization(pharmacy: Pharmacy, withSetting: boolean): XmlElement {
  return el(
    'representedOrganization',
    {},
    el('id', { root: OID.STRUCTURE, extension: finessId(pharmacy.finess) }),
    textEl('name', pharmacy.name),
    pharmacyTelecoms(pharmacy),
    addr(pharmacy.address),
    withSetting && el('standardIndustryClassCode', coded(AMBULATORY)),
  );
}

/** The pharmacist's identity and professional context, shared by assignedAuthor / assignedEntity. */
function pharmacistParts(event: CommonEvent): XmlElement[] {
  return [
    el('id', { root: OID.RPPS, extension: rppsId(event.author.rpps) }),
    el('code', coded(professionCode(event.author))),
    addr(event.pharmacy.address),
    ...pharmacyTelecoms(event.pharmacy),
    el('assignedPerson', {}, personName(event.author.givenName, event.author.familyName)),
  ];
}

export function assignedAuthor(event: CommonEvent): XmlElement {
  return el('assignedAuthor', { classCode: 'ASSIGNED' }, pharmacistParts(event), pharmacyOrganization(event.pharmacy, true));
}

export function assignedEntity(event: CommonEvent): XmlElement {
  return el('assignedEntity', {}, pharmacistParts(event), pharmacyOrganization(event.pharmacy, true));
}

/**
 * The patient, from the qualified identity: INS as id, birth name and given names with the BR qualifier, used names
 * with CL, sex, birth date, INSEE birth place (REFERENCE §4).
 */
export function recordTarget(identity: QualifiedIdentity): XmlElement {
  const patient = identity.traits;
  const birthTime = hl7Date(patient.birthDate);
  const used = [
    patient.usedFamilyName?.trim() && textEl('family', patient.usedFamilyName, { qualifier: 'CL' }),
    patient.usedGivenName?.trim() && textEl('given', patient.usedGivenName, { qualifier: 'CL' }),
  ];
  const gender = GENDER[patient.sex] ?? { code: 'UN', displayName: 'Inconnu' };
  return el(
    'recordTarget',
    {},
    el(
      'patientRole',
      {},
      el('id', { root: identity.oid, extension: identity.matricule }),
      el(
        'patient',
        { classCode: 'PSN' },
        el(
          'name',
          {},
          textEl('family', patient.birthFamilyName, { qualifier: 'BR' }),
          textEl('given', patient.birthGivenNames),
          textEl('given', patient.firstGivenName, { qualifier: 'BR' }),
          used,
        ),
        el('administrativeGenderCode', { ...gender, codeSystem: OID.GENDER }),
        birthTime ? el('birthTime', { value: birthTime }) : el('birthTime', { nullFlavor: 'UNK' }),
        el('birthplace', {}, el('place', {}, el('addr', {}, textEl('county', patient.birthPlace)))),
      ),
    ),
  );
}

export interface HeaderParts {
  type: DocumentType;
  /** Date (YYYYMMDD) or timestamp of the documented act */
  serviceTime: string;
  /** Header elements that sit between legalAuthenticator and documentationOf (participant, inFulfillmentOf) */
  participants?: XmlElement[];
  /** The patient, as `@passerelle/ins` checked it */
  identity: QualifiedIdentity;
}

/** The version facts of a document, from the event's correction (or version 1). */
export function versioning(event: CommonEvent): { id: string; setId: string; version: number; replaces: string | null } {
  const c = event.correction;
  return {
    id: documentIdFor(event.eventId),
    setId: setIdFor(c ? c.originalEventId : event.eventId),
    version: c ? c.versionNumber : 1,
    replaces: c ? documentIdFor(c.replacedEventId) : null,
  };
}

/**
 * The CI-SIS header (REFERENCE §3), in the order the CDA schema requires: every element from realmCode to
 * componentOf. The caller appends the body component.
 */
export function header(event: CommonEvent, parts: HeaderParts): XmlElement[] {
  const { type } = parts;
  const v = versioning(event);
  const time = hl7Timestamp(event.occurredAt);
  const level = event.confidentiality.level;
  return [
    el('realmCode', { code: 'FR' }),
    el('typeId', { root: '2.16.840.1.113883.1.3', extension: 'POCD_HD000040' }),
    type.templateIds.map((t) => el('templateId', { root: t.root, extension: t.extension })),
    el('id', { root: v.id }),
    el('code', { ...coded(type.code), codeSystemName: 'LOINC' }),
    textEl('title', type.title),
    el('effectiveTime', { value: time }),
    el('confidentialityCode', { code: level, displayName: CONFIDENTIALITY[level] ?? 'Normal', codeSystem: OID.CONFIDENTIALITY }),
    el('languageCode', { code: 'fr-FR' }),
    el('setId', { root: v.setId }),
    el('versionNumber', { value: v.version }),
    recordTarget(parts.identity),
    el('author', {}, el('time', { value: time }), assignedAuthor(event)),
    el(
      'custodian',
      {},
      el(
        'assignedCustodian',
        {},
        el(
          'representedCustodianOrganization',
          {},
          el('id', { root: OID.STRUCTURE, extension: finessId(event.pharmacy.finess) }),
          textEl('name', event.pharmacy.name),
          pharmacyTelecoms(event.pharmacy)[0],
          addr(event.pharmacy.address),
        ),
      ),
    ),
    el('legalAuthenticator', {}, el('time', { value: time }), el('signatureCode', { code: 'S' }), assignedEntity(event)),
    parts.participants ?? [],
    el(
      'documentationOf',
      {},
      el(
        'serviceEvent',
        { classCode: 'ACT' },
        el('code', { ...coded(type.code), codeSystemName: 'LOINC' }),
        el('effectiveTime', {}, el('low', { value: parts.serviceTime })),
        el('performer', { typeCode: 'PRF' }, assignedEntity(event)),
      ),
    ),
    v.replaces && el('relatedDocument', { typeCode: 'RPLC' }, el('parentDocument', {}, el('id', { root: v.replaces }))),
    el(
      'componentOf',
      {},
      el(
        'encompassingEncounter',
        {},
        el('id', { root: derivedOid('encounter', event.eventId) }),
        el('code', { code: 'AMB', displayName: 'Ambulatoire (hors établissement)', codeSystem: OID.ACT_CODE }),
        el('effectiveTime', {}, el('low', { value: parts.serviceTime })),
        el(
          'location',
          {},
          el(
            'healthCareFacility',
            {},
            el('id', { root: OID.STRUCTURE, extension: finessId(event.pharmacy.finess) }),
            el('code', coded(PHARMACY_FACILITY)),
            el('location', {}, textEl('name', event.pharmacy.name), addr(event.pharmacy.address)),
          ),
        ),
      ),
    ),
  ]
    .flat()
    .filter((e): e is XmlElement => Boolean(e));
}

/** The root element with its namespaces. */
export function clinicalDocument(children: XmlElement[], extraNamespaces: Record<string, string> = {}): XmlElement {
  return el(
    'ClinicalDocument',
    {
      xmlns: 'urn:hl7-org:v3',
      'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      ...extraNamespaces,
    },
    children,
  );
}
