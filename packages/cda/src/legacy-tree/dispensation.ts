import type { QualifiedIdentity } from '@passerelle/ins';
import type { DispensationEvent, DispensationLine } from '@passerelle/schemas';
import { csValue, el, serialize, textEl, type XmlElement } from './xml-tree';
import { frenchDate, hl7Date, hl7Timestamp } from '../hl7-time';
import { derivedOid } from '../document-id';
import { DOCUMENT_TYPES } from '../document-types';
import { OID, addr, clinicalDocument, header, personName, pharmacyTelecoms, rppsId, finessId, type CommonEvent } from './header';
import { xdsMetadata } from '../metadata';
import type { BuiltDocument } from '../built-document';

const SUBSTITUTION_SYSTEM = '2.16.840.1.113883.5.1070';

const SUBSTITUTION_LABEL: Record<string, string> = {
  NONE: 'Aucune',
  GENERIC: 'Substitution par un produit générique',
  THERAPEUTIC: 'Substitution thérapeutique',
};

/**
 * The dispensing pharmacist as section author. The eDISP-MED rule wants the profession code G15_21 here, whatever
 * the header says (a titulaire is a pharmacist).
 */
function sectionAuthor(event: CommonEvent): XmlElement {
  return el(
    'author',
    {},
    el('time', { value: hl7Timestamp(event.occurredAt) }),
    el(
      'assignedAuthor',
      { classCode: 'ASSIGNED' },
      el('id', { root: OID.RPPS, extension: rppsId(event.author.rpps) }),
      el('code', { code: 'G15_21', displayName: 'Pharmacien', codeSystem: OID.PROFESSION }),
      addr(event.pharmacy.address),
      pharmacyTelecoms(event.pharmacy),
      el('assignedPerson', {}, personName(event.author.givenName, event.author.familyName)),
      el(
        'representedOrganization',
        {},
        el('id', { root: OID.STRUCTURE, extension: finessId(event.pharmacy.finess) }),
        textEl('name', event.pharmacy.name),
        pharmacyTelecoms(event.pharmacy),
        addr(event.pharmacy.address),
      ),
    ),
  );
}

function quantityValue(n: number): string | null {
  return Number.isFinite(n) && n >= 0 ? String(n) : null;
}

function supplyEntry(event: DispensationEvent, line: DispensationLine, i: number): XmlElement {
  const ref = `med-${i + 1}`;
  const p = line.product;
  const value = quantityValue(line.quantity.value);
  const unit = csValue(line.quantity.unit);
  const cip13 = csValue(p.cip13);
  const ucd = csValue(p.ucd);
  const translations = [
    cip13 && el('translation', { code: cip13, displayName: p.label, codeSystem: '1.2.250.1.213.2.3.2', codeSystemName: 'CIP' }),
    ucd && el('translation', { code: ucd, displayName: p.label, codeSystem: '1.2.250.1.213.2.3.3', codeSystemName: 'UCD' }),
  ];
  const substitution =
    line.substitution === 'GENERIC'
      ? el(
          'code',
          { code: 'G', displayName: 'Substitution autorisée par un produit générique', codeSystem: SUBSTITUTION_SYSTEM },
          el('originalText', {}, el('reference', { value: `#${ref}-substitution` })),
        )
      : // A therapeutic substitution has no code in the CI-SIS value set (N, G): say it in words only.
        line.substitution === 'THERAPEUTIC'
        ? el('code', { nullFlavor: 'OTH' }, el('originalText', {}, el('reference', { value: `#${ref}-substitution` })))
        : null;
  return el(
    'entry',
    {},
    el(
      'supply',
      { classCode: 'SPLY', moodCode: 'EVN' },
      el('templateId', { root: '2.16.840.1.113883.10.20.1.34' }),
      el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7.3' }),
      el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.4' }),
      el('templateId', { root: '1.2.250.1.213.1.1.3.204' }),
      el('id', { root: derivedOid(`supply-${i + 1}`, event.eventId) }),
      el('text', {}, el('reference', { value: `#${ref}` })),
      value !== null ? el('quantity', { value, unit }) : el('quantity', { nullFlavor: 'UNK' }),
      el(
        'product',
        {},
        el(
          'manufacturedProduct',
          { classCode: 'MANU' },
          el('templateId', { root: '2.16.840.1.113883.10.20.1.53' }),
          el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7.2' }),
          el('templateId', { root: '1.2.250.1.213.1.1.3.43' }),
          el(
            'manufacturedMaterial',
            { classCode: 'MMAT', determinerCode: 'KIND' },
            el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.1' }),
            translations.some(Boolean)
              ? el('code', {}, el('originalText', {}, el('reference', { value: `#${ref}` })), translations)
              : el('code', { nullFlavor: 'NA' }, el('originalText', {}, el('reference', { value: `#${ref}` }))),
            textEl('name', p.label),
          ),
        ),
      ),
      line.posology &&
        el(
          'entryRelationship',
          { typeCode: 'SUBJ', inversionInd: 'true' },
          el(
            'act',
            { classCode: 'ACT', moodCode: 'INT' },
            el('templateId', { root: '2.16.840.1.113883.10.20.1.49' }),
            el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.3' }),
            el('templateId', { root: '1.2.250.1.213.1.1.3.33' }),
            el('code', { code: 'PINSTRUCT', codeSystem: '1.3.6.1.4.1.19376.1.5.3.2', codeSystemName: 'IHEActCode' }),
            el('text', {}, el('reference', { value: `#${ref}-instruction` })),
            el('statusCode', { code: 'completed' }),
          ),
        ),
      // The CI-SIS supply template requires the dispenser's notes whenever the entry has any relationship.
      (line.posology || substitution) &&
        el(
          'entryRelationship',
          { typeCode: 'SUBJ', inversionInd: 'true' },
          el(
            'act',
            { classCode: 'ACT', moodCode: 'INT' },
            el('templateId', { root: '2.16.840.1.113883.10.20.1.43' }),
            el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.3.1' }),
            el('templateId', { root: '1.2.250.1.213.1.1.3.207' }),
            el('code', { code: 'FINSTRUCT', codeSystem: '1.3.6.1.4.1.19376.1.5.3.2', codeSystemName: 'IHEActCode' }),
            el('text', {}, el('reference', { value: `#${ref}-notes` })),
            el('statusCode', { code: 'completed' }),
          ),
        ),
      substitution &&
        el(
          'entryRelationship',
          { typeCode: 'COMP' },
          el(
            'act',
            { classCode: 'ACT', moodCode: 'EVN' },
            el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.9.2' }),
            el('templateId', { root: '1.2.250.1.213.1.1.3.206' }),
            substitution,
            el('statusCode', { code: 'completed' }),
          ),
        ),
    ),
  );
}

/** The dispenser's note on a line: what was handed over, and any substitution. */
function dispenserNote(line: DispensationLine): string {
  const substitution = line.substitution === 'NONE' ? '' : ` ; ${SUBSTITUTION_LABEL[line.substitution] ?? line.substitution}`;
  return `Délivré : ${line.quantity.value} ${line.quantity.unit} de ${line.product.label}${substitution}`;
}

function narrative(event: DispensationEvent, day: string): XmlElement {
  const d = event.dispensation;
  const rows: XmlElement[] = [];
  d.lines.forEach((line, i) => {
    const ref = `med-${i + 1}`;
    const codes = [line.product.cip13 && `CIP ${line.product.cip13}`, line.product.ucd && `UCD ${line.product.ucd}`]
      .filter(Boolean)
      .join(', ');
    rows.push(
      el(
        'tr',
        {},
        el('td', {}, textEl('content', line.product.label, { ID: ref })),
        textEl('td', codes),
        textEl('td', `${line.quantity.value} ${line.quantity.unit}`),
        el('td', {}, line.posology ? textEl('content', line.posology, { ID: `${ref}-instruction` }) : null),
        el('td', {}, textEl('content', SUBSTITUTION_LABEL[line.substitution] ?? line.substitution, { ID: `${ref}-substitution` })),
        el('td', {}, textEl('content', dispenserNote(line), { ID: `${ref}-notes` })),
      ),
    );
  });
  const rx = d.prescription;
  const prescriber = rx
    ? `Prescription du Dr ${rx.prescriber.givenName} ${rx.prescriber.familyName} (RPPS ${rx.prescriber.rpps})` +
      (rx.prescribedAt ? ` du ${frenchDate(hl7Date(rx.prescribedAt))}` : '') +
      (rx.ePrescriptionId ? `, ordonnance numérique ${rx.ePrescriptionId}` : '')
    : 'Dispensation sans prescription';
  return el(
    'text',
    {},
    textEl('paragraph', `Dispensation du ${frenchDate(day)}. ${prescriber}.`),
    el(
      'table',
      { border: '0' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Médicament', 'Code', 'Quantité délivrée', 'Posologie', 'Substitution', 'Notes du dispensateur'].map((h) => textEl('th', h)),
        ),
      ),
      el('tbody', {}, rows),
    ),
  );
}

/** Builds a Dispensation médicamenteuse (eDISP-MED 2024.01, IHE PHARM DIS) and its XDS metadata. */
export function buildDispensation(event: DispensationEvent, identity: QualifiedIdentity): BuiltDocument {
  const type = DOCUMENT_TYPES.dispensation;
  const day = hl7Date(event.dispensation.dispensedAt) ?? hl7Timestamp(event.occurredAt).slice(0, 8);
  const section = el(
    'section',
    { classCode: 'DOCSECT', moodCode: 'EVN' },
    el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.2.3' }),
    el('templateId', { root: '2.16.840.1.113883.10.20.1.8' }),
    el('templateId', { root: '1.2.250.1.213.1.1.2.236' }),
    el('id', { root: derivedOid('section', event.eventId) }),
    el('code', { code: '60590-7', displayName: 'Médicaments délivrés', codeSystem: '2.16.840.1.113883.6.1', codeSystemName: 'LOINC' }),
    textEl('title', 'Médicaments délivrés'),
    narrative(event, day),
    sectionAuthor(event),
    event.dispensation.lines.map((line, i) => supplyEntry(event, line, i)),
  );
  const body = el('component', {}, el('structuredBody', {}, el('component', {}, section)));
  const children = [
    // The prescriber stays in the narrative only: the CI-SIS participant template requires the prescriber's
    // profession code, which the event does not carry (physician, dentist, midwife…).
    ...header(event, { type, serviceTime: day, identity }),
    body,
  ];
  const xml = serialize(clinicalDocument(children));
  return { kind: type.kind, xml, metadata: xdsMetadata(event, identity, type, xml, day) };
}
