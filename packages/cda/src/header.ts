import { NATIONAL_ID_OID, organisationId, professionalId } from '@passerelle/identifiers';
import type { QualifiedIdentity } from '@passerelle/ins';
import type { Address, Pharmacist, Pharmacy, VaccinationEvent } from '@passerelle/schemas';
import { XmlWriter, type Attrs } from './xml-writer';
import { hl7Date, hl7Timestamp } from './hl7-time';
import { derivedOid, documentIdFor, setIdFor } from './document-id';
import type { DocumentType } from './document-types';

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
export function addr(w: XmlWriter, address: Address): void {
  const lines = address.lines.map((l) => l.trim()).filter((l) => l !== '');
  w.el('addr', {}, () => {
    if (lines.length > 0) w.text('streetName', lines[0] as string);
    if (lines.length > 1) w.text('additionalLocator', lines.slice(1).join(', '));
    if (address.postalCode.trim() !== '') w.text('postalCode', address.postalCode);
    if (address.city.trim() !== '') w.text('city', address.city);
    if (address.country && address.country !== 'FR') w.text('country', address.country);
  });
}

/** Telecom addresses of the pharmacy: phone (digits and +) and MSSanté mailbox, as `value` attributes. */
function telecomValues(pharmacy: Pharmacy): string[] {
  const out: string[] = [];
  const phone = pharmacy.telecom?.replace(/[^\d+]/g, '');
  if (phone) out.push(`tel:${phone}`);
  if (pharmacy.mssanteAddress.trim() !== '') out.push(`mailto:${pharmacy.mssanteAddress.trim()}`);
  return out;
}

/** Telecom addresses of the pharmacy (`first`: the first one only, where the schema takes one). */
export function pharmacyTelecoms(w: XmlWriter, pharmacy: Pharmacy, first = false): void {
  for (const value of first ? telecomValues(pharmacy).slice(0, 1) : telecomValues(pharmacy)) w.el('telecom', { use: 'WP', value });
}

export function personName(w: XmlWriter, given: string, family: string): void {
  w.el('name', {}, () => {
    w.text('given', given);
    w.text('family', family);
  });
}

function coded(c: { code: string; displayName: string; codeSystem: string }): Attrs {
  return { code: c.code, codeSystem: c.codeSystem, displayName: c.displayName };
}

/** The pharmacy as representedOrganization (author, legal authenticator, performers). */
export function pharmacyOrganization(w: XmlWriter, pharmacy: Pharmacy, withSetting: boolean): void {
  w.el('representedOrganization', {}, () => {
    w.el('id', { extension: finessId(pharmacy.finess), root: OID.STRUCTURE });
    w.text('name', pharmacy.name);
    pharmacyTelecoms(w, pharmacy);
    addr(w, pharmacy.address);
    if (withSetting) w.el('standardIndustryClassCode', coded(AMBULATORY));
  });
}

/** The pharmacist's identity and professional context, shared by assignedAuthor / assignedEntity. */
function pharmacistParts(w: XmlWriter, event: CommonEvent): void {
  w.el('id', { extension: rppsId(event.author.rpps), root: OID.RPPS });
  w.el('code', coded(professionCode(event.author)));
  addr(w, event.pharmacy.address);
  pharmacyTelecoms(w, event.pharmacy);
  w.el('assignedPerson', {}, () => personName(w, event.author.givenName, event.author.familyName));
}

export function assignedAuthor(w: XmlWriter, event: CommonEvent): void {
  w.el('assignedAuthor', { classCode: 'ASSIGNED' }, () => {
    pharmacistParts(w, event);
    pharmacyOrganization(w, event.pharmacy, true);
  });
}

export function assignedEntity(w: XmlWriter, event: CommonEvent): void {
  w.el('assignedEntity', {}, () => {
    pharmacistParts(w, event);
    pharmacyOrganization(w, event.pharmacy, true);
  });
}

/**
 * The patient, from the qualified identity: INS as id, birth name and given names with the BR qualifier, used names
 * with CL, sex, birth date, INSEE birth place (REFERENCE §4).
 */
export function recordTarget(w: XmlWriter, identity: QualifiedIdentity): void {
  const patient = identity.traits;
  const birthTime = hl7Date(patient.birthDate);
  const gender = GENDER[patient.sex] ?? { code: 'UN', displayName: 'Inconnu' };
  w.el('recordTarget', {}, () =>
    w.el('patientRole', {}, () => {
      w.el('id', { extension: identity.matricule, root: identity.oid });
      w.el('patient', { classCode: 'PSN' }, () => {
        w.el('name', {}, () => {
          w.text('family', patient.birthFamilyName, { qualifier: 'BR' });
          w.text('given', patient.birthGivenNames);
          w.text('given', patient.firstGivenName, { qualifier: 'BR' });
          if (patient.usedFamilyName?.trim()) w.text('family', patient.usedFamilyName, { qualifier: 'CL' });
          if (patient.usedGivenName?.trim()) w.text('given', patient.usedGivenName, { qualifier: 'CL' });
        });
        w.el('administrativeGenderCode', { code: gender.code, codeSystem: OID.GENDER, displayName: gender.displayName });
        w.el('birthTime', birthTime ? { value: birthTime } : { nullFlavor: 'UNK' });
        w.el('birthplace', {}, () => w.el('place', {}, () => w.el('addr', {}, () => w.text('county', patient.birthPlace))));
      });
    }),
  );
}

export interface HeaderParts {
  type: DocumentType;
  /** Date (YYYYMMDD) or timestamp of the documented act */
  serviceTime: string;
  /** Writes the header elements that sit between legalAuthenticator and documentationOf (participant, inFulfillmentOf) */
  participants?: (w: XmlWriter) => void;
  /** The patient, as `@passerelle/ins` checked it */
  identity: QualifiedIdentity;
}

export interface Versioning {
  id: string;
  setId: string;
  version: number;
  replaces: string | null;
}

// The header, the XDS metadata and a review's PDF each ask for them (two or three SHA-1 and BigInt each): the last
// event's are kept, by the fields they derive from (an event may be changed and built again).
let last: { eventId: string; key: string; value: Versioning } | undefined;

/** The version facts of a document, from the event's correction (or version 1). */
export function versioning(event: CommonEvent): Versioning {
  const c = event.correction;
  const key = c ? `${c.originalEventId}\n${c.replacedEventId}\n${c.versionNumber}` : '';
  if (last?.eventId === event.eventId && last.key === key) return last.value;
  const value = {
    id: documentIdFor(event.eventId),
    setId: setIdFor(c ? c.originalEventId : event.eventId),
    version: c ? c.versionNumber : 1,
    replaces: c ? documentIdFor(c.replacedEventId) : null,
  };
  last = { eventId: event.eventId, key, value };
  return value;
}

/**
 * The CI-SIS header (REFERENCE §3), in the order the CDA schema requires: every element from realmCode to
 * componentOf. The caller writes the body component after it.
 */
export function header(w: XmlWriter, event: CommonEvent, parts: HeaderParts): void {
  const { type } = parts;
  const v = versioning(event);
  const time = hl7Timestamp(event.occurredAt);
  const level = event.confidentiality.level;
  const loinc = { code: type.code.code, codeSystem: type.code.codeSystem, codeSystemName: 'LOINC', displayName: type.code.displayName };
  w.el('realmCode', { code: 'FR' });
  w.el('typeId', { extension: 'POCD_HD000040', root: '2.16.840.1.113883.1.3' });
  for (const t of type.templateIds) w.el('templateId', { extension: t.extension, root: t.root });
  w.el('id', { root: v.id });
  w.el('code', loinc);
  w.text('title', type.title);
  w.el('effectiveTime', { value: time });
  w.el('confidentialityCode', { code: level, codeSystem: OID.CONFIDENTIALITY, displayName: CONFIDENTIALITY[level] ?? 'Normal' });
  w.el('languageCode', { code: 'fr-FR' });
  w.el('setId', { root: v.setId });
  w.el('versionNumber', { value: v.version });
  recordTarget(w, parts.identity);
  w.el('author', {}, () => {
    w.el('time', { value: time });
    assignedAuthor(w, event);
  });
  w.el('custodian', {}, () =>
    w.el('assignedCustodian', {}, () =>
      w.el('representedCustodianOrganization', {}, () => {
        w.el('id', { extension: finessId(event.pharmacy.finess), root: OID.STRUCTURE });
        w.text('name', event.pharmacy.name);
        pharmacyTelecoms(w, event.pharmacy, true);
        addr(w, event.pharmacy.address);
      }),
    ),
  );
  w.el('legalAuthenticator', {}, () => {
    w.el('time', { value: time });
    w.el('signatureCode', { code: 'S' });
    assignedEntity(w, event);
  });
  parts.participants?.(w);
  w.el('documentationOf', {}, () =>
    w.el('serviceEvent', { classCode: 'ACT' }, () => {
      w.el('code', loinc);
      w.el('effectiveTime', {}, () => w.el('low', { value: parts.serviceTime }));
      w.el('performer', { typeCode: 'PRF' }, () => assignedEntity(w, event));
    }),
  );
  if (v.replaces) {
    const replaces = v.replaces;
    w.el('relatedDocument', { typeCode: 'RPLC' }, () => w.el('parentDocument', {}, () => w.el('id', { root: replaces })));
  }
  w.el('componentOf', {}, () =>
    w.el('encompassingEncounter', {}, () => {
      w.el('id', { root: derivedOid('encounter', event.eventId) });
      w.el('code', { code: 'AMB', codeSystem: OID.ACT_CODE, displayName: 'Ambulatoire (hors établissement)' });
      w.el('effectiveTime', {}, () => w.el('low', { value: parts.serviceTime }));
      w.el('location', {}, () =>
        w.el('healthCareFacility', {}, () => {
          w.el('id', { extension: finessId(event.pharmacy.finess), root: OID.STRUCTURE });
          w.el('code', coded(PHARMACY_FACILITY));
          w.el('location', {}, () => {
            w.text('name', event.pharmacy.name);
            addr(w, event.pharmacy.address);
          });
        }),
      );
    }),
  );
}

/**
 * A whole document: the root element with its namespaces, the header, then the body `body` writes. The canonical
 * UTF-8 bytes of it.
 */
export function clinicalDocument(event: CommonEvent, parts: HeaderParts, body: (w: XmlWriter) => void): Buffer {
  return XmlWriter.document('ClinicalDocument', { '': 'urn:hl7-org:v3', xsi: 'http://www.w3.org/2001/XMLSchema-instance' }, (w) => {
    header(w, event, parts);
    body(w);
  });
}
