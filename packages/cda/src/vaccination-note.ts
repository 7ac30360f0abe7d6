import type { QualifiedIdentity } from '@passerelle/ins';
import type { VaccinationEvent } from '@passerelle/schemas';
import { csValue, type XmlWriter } from './xml-writer';
import { frenchDate, hl7Date, hl7Timestamp } from './hl7-time';
import { derivedOid } from './document-id';
import { DOCUMENT_TYPES } from './document-types';
import { assignedAuthor, assignedEntity, clinicalDocument } from './header';
import { xdsMetadata } from './metadata';
import type { BuiltDocument } from './built-document';

const EDQM = '0.4.0.127.0.16.1.1.2.1';
const SNOMED = '2.16.840.1.113883.6.96';

/**
 * HL7 RouteOfAdministration codes (what the LGO sends) → JDV_ImmunizationRouteCodes_CISIS (EDQM). A route outside
 * the value set is written as a nullFlavor with the LGO's code in the narrative, rather than a wrong code.
 */
const ROUTES: Record<string, { code: string; displayName: string }> = {
  IM: { code: '20035000', displayName: 'Voie intramusculaire' },
  IDINJ: { code: '20030000', displayName: 'Voie intradermique' },
  ID: { code: '20030000', displayName: 'Voie intradermique' },
  SQ: { code: '20066000', displayName: 'Voie sous-cutanée' },
  SC: { code: '20066000', displayName: 'Voie sous-cutanée' },
  PO: { code: '20053000', displayName: 'Voie orale' },
  IPINHL: { code: '20020000', displayName: 'Voie inhalée' },
  ORINHL: { code: '20020000', displayName: 'Voie inhalée' },
};

/** HL7 ActSite codes → JDV_ImmunizationApproachSiteCode_CISIS (SNOMED CT). */
const SITES: Record<string, { code: string; displayName: string }> = {
  LA: { code: '16217701000119102', displayName: 'deltoïde gauche' },
  LD: { code: '16217701000119102', displayName: 'deltoïde gauche' },
  RA: { code: '16217661000119109', displayName: 'deltoïde droit' },
  RD: { code: '16217661000119109', displayName: 'deltoïde droit' },
  LLFA: { code: '66480008', displayName: 'avant-bras gauche' },
  RLFA: { code: '64262003', displayName: 'avant-bras droit' },
  LT: { code: '61396006', displayName: 'cuisse gauche' },
  RT: { code: '11207009', displayName: 'cuisse droite' },
  LVL: { code: '61396006', displayName: 'cuisse gauche' },
  RVL: { code: '11207009', displayName: 'cuisse droite' },
  LG: { code: '723979003', displayName: 'fesse gauche' },
  RG: { code: '723980000', displayName: 'fesse droite' },
};

const ROUTE_LABELS: Record<string, string> = { NASINHL: 'Voie nasale', NASAL: 'Voie nasale', TRNSDERM: 'Voie transdermique' };

const COLUMNS = [
  'Date',
  'Vaccin',
  'Lot n°',
  'Rang',
  'Dose',
  "Voie d'administration",
  "Région d'administration",
  'Commentaire',
  'Vaccinateur',
];

/** Builds a Note de vaccination (VAC-NOTE 2023.01) and its XDS metadata. */
export function buildVaccinationNote(event: VaccinationEvent, identity: QualifiedIdentity): BuiltDocument {
  const type = DOCUMENT_TYPES['vaccination-note'];
  const v = event.vaccination;
  // The administration date is required at day precision by the VAC-NOTE rules; if the LGO sent an unusable
  // value, the day of the event stands in for it.
  const day = hl7Date(v.administeredAt) ?? hl7Timestamp(event.occurredAt).slice(0, 8);
  const route = v.route ? ROUTES[v.route.toUpperCase()] : undefined;
  const site = v.site ? SITES[v.site.toUpperCase()] : undefined;
  const routeLabel = route?.displayName ?? (v.route ? (ROUTE_LABELS[v.route.toUpperCase()] ?? v.route) : '');
  const siteLabel = site?.displayName ?? v.site ?? '';
  const dose = v.doseQuantity ? `${v.doseQuantity.value} ${v.doseQuantity.unit}` : '';
  const cis = csValue(v.vaccine.cis);
  const atc = csValue(v.vaccine.atc);
  const vaccinator = `${event.author.givenName} ${event.author.familyName}`;

  const cells: (string | ((w: XmlWriter) => void))[] = [
    frenchDate(day),
    (w) => w.text('content', `${v.vaccine.label} (${v.vaccine.atcLabel})`, { ID: 'vac-1' }),
    v.lotNumber,
    v.doseNumber === null ? '' : String(v.doseNumber),
    dose,
    routeLabel,
    site ? (w: XmlWriter) => w.text('content', siteLabel, { ID: 'vac-1-site' }) : siteLabel,
    v.comment ? (w: XmlWriter) => w.text('content', v.comment as string, { ID: 'vac-1-comment' }) : '',
    vaccinator,
  ];
  const narrative = (w: XmlWriter): void =>
    w.el('text', {}, () =>
      w.el('table', { border: '0' }, () => {
        w.el('thead', {}, () => w.el('tr', {}, () => COLUMNS.forEach((h) => w.text('th', h))));
        w.el('tbody', {}, () =>
          w.el('tr', {}, () => cells.forEach((c) => (typeof c === 'string' ? w.text('td', c) : w.el('td', {}, () => c(w))))),
        );
      }),
    );

  const entry = (w: XmlWriter): void =>
    w.el('entry', {}, () =>
      w.el('substanceAdministration', { classCode: 'SBADM', moodCode: 'EVN', negationInd: 'false' }, () => {
        w.el('templateId', { root: '2.16.840.1.113883.10.20.1.24' });
        w.el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.12' });
        w.el('templateId', { root: '1.2.250.1.213.1.1.3.45' });
        w.el('id', { root: derivedOid('vaccination', event.eventId) });
        w.el('code', {
          code: 'IMMUNIZ',
          codeSystem: '2.16.840.1.113883.5.4',
          codeSystemName: 'ActCode',
          displayName: 'Vaccination sans autre précision',
        });
        w.el('text', {}, () => w.el('reference', { value: '#vac-1' }));
        w.el('statusCode', { code: 'completed' });
        w.el('effectiveTime', { value: day });
        if (route) w.el('routeCode', { code: route.code, codeSystem: EDQM, codeSystemName: 'EDQM', displayName: route.displayName });
        if (site) {
          w.el(
            'approachSiteCode',
            { code: site.code, codeSystem: SNOMED, codeSystemName: 'SNOMED CT', displayName: site.displayName },
            () => w.el('originalText', {}, () => w.el('reference', { value: '#vac-1-site' })),
          );
        }
        if (v.doseQuantity && Number.isFinite(v.doseQuantity.value) && v.doseQuantity.value >= 0) {
          w.el('doseQuantity', { unit: csValue(v.doseQuantity.unit), value: String(v.doseQuantity.value) });
        }
        w.el('consumable', { typeCode: 'CSM' }, () =>
          w.el('manufacturedProduct', {}, () => {
            w.el('templateId', { root: '2.16.840.1.113883.10.20.1.53' });
            w.el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7.2' });
            w.el('templateId', { root: '1.2.250.1.213.1.1.3.43' });
            w.el('manufacturedMaterial', {}, () => {
              const code = cis
                ? { code: cis, codeSystem: '1.2.250.1.213.2.3.1', codeSystemName: 'CIS', displayName: v.vaccine.label }
                : { nullFlavor: 'UNK' };
              w.el('code', code, () => {
                w.el('originalText', {}, () => w.el('reference', { value: '#vac-1' }));
                if (atc) {
                  w.el('translation', {
                    code: atc,
                    codeSystem: '2.16.840.1.113883.6.73',
                    codeSystemName: 'ATC',
                    displayName: v.vaccine.atcLabel,
                  });
                }
              });
              w.text('name', v.vaccine.label);
              w.text('lotNumberText', v.lotNumber);
            });
          }),
        );
        w.el('performer', { typeCode: 'PRF' }, () => assignedEntity(w, event));
        w.el('author', { contextControlCode: 'OP', typeCode: 'AUT' }, () => {
          w.el('time', { value: hl7Timestamp(event.occurredAt) });
          assignedAuthor(w, event);
        });
        if (v.doseNumber !== null && Number.isInteger(v.doseNumber)) {
          const rank = v.doseNumber;
          w.el('entryRelationship', { typeCode: 'SUBJ' }, () =>
            w.el('observation', { classCode: 'OBS', moodCode: 'EVN' }, () => {
              w.el('templateId', { root: '2.16.840.1.113883.10.20.1.46' });
              w.el('templateId', { root: '1.2.250.1.213.1.1.3.82' });
              w.el('code', {
                code: '30973-2',
                codeSystem: '2.16.840.1.113883.6.1',
                codeSystemName: 'LOINC',
                displayName: 'Rang de la vaccination',
              });
              w.el('statusCode', { code: 'completed' });
              w.el('value', { value: rank, 'xsi:type': 'INT' });
            }),
          );
        }
        if (v.comment) {
          w.el('entryRelationship', { typeCode: 'SUBJ' }, () =>
            w.el('act', { classCode: 'ACT', moodCode: 'EVN' }, () => {
              w.el('templateId', { root: '2.16.840.1.113883.10.20.1.40' });
              w.el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.2' });
              w.el('templateId', { root: '1.2.250.1.213.1.1.3.32' });
              w.el('code', { code: '48767-8', codeSystem: '2.16.840.1.113883.6.1', codeSystemName: 'LOINC', displayName: 'Commentaire' });
              w.el('text', {}, () => w.el('reference', { value: '#vac-1-comment' }));
              w.el('statusCode', { code: 'completed' });
            }),
          );
        }
      }),
    );

  const xml = clinicalDocument(event, { type, serviceTime: day, identity }, (w) =>
    w.el('component', {}, () =>
      w.el('structuredBody', {}, () =>
        w.el('component', {}, () =>
          w.el('section', {}, () => {
            w.el('templateId', { root: '2.16.840.1.113883.10.20.1.6' });
            w.el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.3.23' });
            w.el('templateId', { root: '1.2.250.1.213.1.1.2.147' });
            w.el('id', { root: derivedOid('section', event.eventId) });
            w.el('code', {
              code: '11369-6',
              codeSystem: '2.16.840.1.113883.6.1',
              codeSystemName: 'LOINC',
              displayName: 'Historique des vaccinations',
            });
            w.text('title', 'Note de vaccination');
            narrative(w);
            entry(w);
          }),
        ),
      ),
    ),
  );
  return { kind: type.kind, xml, metadata: xdsMetadata(event, identity, type, xml, day) };
}
