import type { QualifiedIdentity } from '@passerelle/ins';
import type { DispensationEvent, DispensationLine } from '@passerelle/schemas';
import { csValue, type XmlWriter } from './xml-writer';
import { frenchDate, hl7Date, hl7Timestamp } from './hl7-time';
import { derivedOid } from './document-id';
import { DOCUMENT_TYPES } from './document-types';
import { OID, addr, clinicalDocument, personName, pharmacyTelecoms, rppsId, finessId, type CommonEvent } from './header';
import { xdsMetadata } from './metadata';
import type { BuiltDocument } from './built-document';

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
function sectionAuthor(w: XmlWriter, event: CommonEvent): void {
  w.el('author', {}, () => {
    w.el('time', { value: hl7Timestamp(event.occurredAt) });
    w.el('assignedAuthor', { classCode: 'ASSIGNED' }, () => {
      w.el('id', { extension: rppsId(event.author.rpps), root: OID.RPPS });
      w.el('code', { code: 'G15_21', codeSystem: OID.PROFESSION, displayName: 'Pharmacien' });
      addr(w, event.pharmacy.address);
      pharmacyTelecoms(w, event.pharmacy);
      w.el('assignedPerson', {}, () => personName(w, event.author.givenName, event.author.familyName));
      w.el('representedOrganization', {}, () => {
        w.el('id', { extension: finessId(event.pharmacy.finess), root: OID.STRUCTURE });
        w.text('name', event.pharmacy.name);
        pharmacyTelecoms(w, event.pharmacy);
        addr(w, event.pharmacy.address);
      });
    });
  });
}

function quantityValue(n: number): string | null {
  return Number.isFinite(n) && n >= 0 ? String(n) : null;
}

/** An IHE instruction act (patient medication instructions, dispenser's notes) pointing at its narrative. */
function instruction(w: XmlWriter, templateIds: readonly string[], code: string, reference: string): void {
  w.el('entryRelationship', { inversionInd: 'true', typeCode: 'SUBJ' }, () =>
    w.el('act', { classCode: 'ACT', moodCode: 'INT' }, () => {
      for (const root of templateIds) w.el('templateId', { root });
      w.el('code', { code, codeSystem: '1.3.6.1.4.1.19376.1.5.3.2', codeSystemName: 'IHEActCode' });
      w.el('text', {}, () => w.el('reference', { value: reference }));
      w.el('statusCode', { code: 'completed' });
    }),
  );
}

function supplyEntry(w: XmlWriter, event: DispensationEvent, line: DispensationLine, i: number): void {
  const ref = `med-${i + 1}`;
  const p = line.product;
  const value = quantityValue(line.quantity.value);
  const unit = csValue(line.quantity.unit);
  const cip13 = csValue(p.cip13);
  const ucd = csValue(p.ucd);
  const originalText = (reference: string) => w.el('originalText', {}, () => w.el('reference', { value: reference }));
  w.el('entry', {}, () =>
    w.el('supply', { classCode: 'SPLY', moodCode: 'EVN' }, () => {
      w.el('templateId', { root: '2.16.840.1.113883.10.20.1.34' });
      w.el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7.3' });
      w.el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.4' });
      w.el('templateId', { root: '1.2.250.1.213.1.1.3.204' });
      w.el('id', { root: derivedOid(`supply-${i + 1}`, event.eventId) });
      w.el('text', {}, () => w.el('reference', { value: `#${ref}` }));
      w.el('quantity', value !== null ? { unit, value } : { nullFlavor: 'UNK' });
      w.el('product', {}, () =>
        w.el('manufacturedProduct', { classCode: 'MANU' }, () => {
          w.el('templateId', { root: '2.16.840.1.113883.10.20.1.53' });
          w.el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7.2' });
          w.el('templateId', { root: '1.2.250.1.213.1.1.3.43' });
          w.el('manufacturedMaterial', { classCode: 'MMAT', determinerCode: 'KIND' }, () => {
            w.el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.1' });
            if (cip13 || ucd) {
              w.el('code', {}, () => {
                originalText(`#${ref}`);
                if (cip13)
                  w.el('translation', { code: cip13, codeSystem: '1.2.250.1.213.2.3.2', codeSystemName: 'CIP', displayName: p.label });
                if (ucd) w.el('translation', { code: ucd, codeSystem: '1.2.250.1.213.2.3.3', codeSystemName: 'UCD', displayName: p.label });
              });
            } else w.el('code', { nullFlavor: 'NA' }, () => originalText(`#${ref}`));
            w.text('name', p.label);
          });
        }),
      );
      if (line.posology) {
        instruction(
          w,
          ['2.16.840.1.113883.10.20.1.49', '1.3.6.1.4.1.19376.1.5.3.1.4.3', '1.2.250.1.213.1.1.3.33'],
          'PINSTRUCT',
          `#${ref}-instruction`,
        );
      }
      // The CI-SIS supply template requires the dispenser's notes whenever the entry has any relationship.
      const substituted = line.substitution === 'GENERIC' || line.substitution === 'THERAPEUTIC';
      if (line.posology || substituted) {
        instruction(
          w,
          ['2.16.840.1.113883.10.20.1.43', '1.3.6.1.4.1.19376.1.5.3.1.4.3.1', '1.2.250.1.213.1.1.3.207'],
          'FINSTRUCT',
          `#${ref}-notes`,
        );
      }
      if (substituted) {
        w.el('entryRelationship', { typeCode: 'COMP' }, () =>
          w.el('act', { classCode: 'ACT', moodCode: 'EVN' }, () => {
            w.el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.9.2' });
            w.el('templateId', { root: '1.2.250.1.213.1.1.3.206' });
            const said = () => originalText(`#${ref}-substitution`);
            if (line.substitution === 'GENERIC') {
              w.el(
                'code',
                { code: 'G', codeSystem: SUBSTITUTION_SYSTEM, displayName: 'Substitution autorisée par un produit générique' },
                said,
              );
            }
            // A therapeutic substitution has no code in the CI-SIS value set (N, G): say it in words only.
            else w.el('code', { nullFlavor: 'OTH' }, said);
            w.el('statusCode', { code: 'completed' });
          }),
        );
      }
    }),
  );
}

/** The dispenser's note on a line: what was handed over, and any substitution. */
function dispenserNote(line: DispensationLine): string {
  const substitution = line.substitution === 'NONE' ? '' : ` ; ${SUBSTITUTION_LABEL[line.substitution] ?? line.substitution}`;
  return `Délivré : ${line.quantity.value} ${line.quantity.unit} de ${line.product.label}${substitution}`;
}

const COLUMNS = ['Médicament', 'Code', 'Quantité délivrée', 'Posologie', 'Substitution', 'Notes du dispensateur'];

function narrative(w: XmlWriter, event: DispensationEvent, day: string): void {
  const d = event.dispensation;
  const rx = d.prescription;
  const prescriber = rx
    ? `Prescription du Dr ${rx.prescriber.givenName} ${rx.prescriber.familyName} (RPPS ${rx.prescriber.rpps})` +
      (rx.prescribedAt ? ` du ${frenchDate(hl7Date(rx.prescribedAt))}` : '') +
      (rx.ePrescriptionId ? `, ordonnance numérique ${rx.ePrescriptionId}` : '')
    : 'Dispensation sans prescription';
  const cell = (text: string, id: string) => w.el('td', {}, () => w.text('content', text, { ID: id }));
  w.el('text', {}, () => {
    w.text('paragraph', `Dispensation du ${frenchDate(day)}. ${prescriber}.`);
    w.el('table', { border: '0' }, () => {
      w.el('thead', {}, () => w.el('tr', {}, () => COLUMNS.forEach((h) => w.text('th', h))));
      w.el('tbody', {}, () =>
        d.lines.forEach((line, i) => {
          const ref = `med-${i + 1}`;
          const codes = [line.product.cip13 && `CIP ${line.product.cip13}`, line.product.ucd && `UCD ${line.product.ucd}`]
            .filter(Boolean)
            .join(', ');
          w.el('tr', {}, () => {
            cell(line.product.label, ref);
            w.text('td', codes);
            w.text('td', `${line.quantity.value} ${line.quantity.unit}`);
            if (line.posology) cell(line.posology, `${ref}-instruction`);
            else w.el('td');
            cell(SUBSTITUTION_LABEL[line.substitution] ?? line.substitution, `${ref}-substitution`);
            cell(dispenserNote(line), `${ref}-notes`);
          });
        }),
      );
    });
  });
}

/** Builds a Dispensation médicamenteuse (eDISP-MED 2024.01, IHE PHARM DIS) and its XDS metadata. */
export function buildDispensation(event: DispensationEvent, identity: QualifiedIdentity): BuiltDocument {
  const type = DOCUMENT_TYPES.dispensation;
  const day = hl7Date(event.dispensation.dispensedAt) ?? hl7Timestamp(event.occurredAt).slice(0, 8);
  // The prescriber stays in the narrative only: the CI-SIS participant template requires the prescriber's
  // profession code, which the event does not carry (physician, dentist, midwife…).
  const xml = clinicalDocument(event, { type, serviceTime: day, identity }, (w) =>
    w.el('component', {}, () =>
      w.el('structuredBody', {}, () =>
        w.el('component', {}, () =>
          w.el('section', { classCode: 'DOCSECT', moodCode: 'EVN' }, () => {
            w.el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.2.3' });
            w.el('templateId', { root: '2.16.840.1.113883.10.20.1.8' });
            w.el('templateId', { root: '1.2.250.1.213.1.1.2.236' });
            w.el('id', { root: derivedOid('section', event.eventId) });
            w.el('code', {
              code: '60590-7',
              codeSystem: '2.16.840.1.113883.6.1',
              codeSystemName: 'LOINC',
              displayName: 'Médicaments délivrés',
            });
            w.text('title', 'Médicaments délivrés');
            narrative(w, event, day);
            sectionAuthor(w, event);
            event.dispensation.lines.forEach((line, i) => supplyEntry(w, event, line, i));
          }),
        ),
      ),
    ),
  );
  return { kind: type.kind, xml, metadata: xdsMetadata(event, identity, type, xml, day) };
}
