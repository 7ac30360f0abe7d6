import type { QualifiedIdentity } from '@passerelle/ins';
import type { VaccinationEvent } from '@passerelle/schemas';
import { csValue, el, serialize, textEl, type XmlElement } from './xml-tree';
import { frenchDate, hl7Date, hl7Timestamp } from '../hl7-time';
import { derivedOid } from '../document-id';
import { DOCUMENT_TYPES } from '../document-types';
import { assignedAuthor, assignedEntity, clinicalDocument, header } from './header';
import { xdsMetadata } from '../metadata';
import type { BuiltDocument } from '../built-document';

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

  const row = (cells: (XmlElement | string)[]): XmlElement =>
    el(
      'tr',
      {},
      cells.map((c) => (typeof c === 'string' ? textEl('td', c) : el('td', {}, c))),
    );
  const narrative = el(
    'text',
    {},
    el(
      'table',
      { border: '0' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          [
            'Date',
            'Vaccin',
            'Lot n°',
            'Rang',
            'Dose',
            "Voie d'administration",
            "Région d'administration",
            'Commentaire',
            'Vaccinateur',
          ].map((h) => textEl('th', h)),
        ),
      ),
      el(
        'tbody',
        {},
        row([
          frenchDate(day),
          textEl('content', `${v.vaccine.label} (${v.vaccine.atcLabel})`, { ID: 'vac-1' }),
          v.lotNumber,
          v.doseNumber === null ? '' : String(v.doseNumber),
          dose,
          routeLabel,
          site ? textEl('content', siteLabel, { ID: 'vac-1-site' }) : siteLabel,
          v.comment ? textEl('content', v.comment, { ID: 'vac-1-comment' }) : '',
          vaccinator,
        ]),
      ),
    ),
  );

  const entry = el(
    'entry',
    {},
    el(
      'substanceAdministration',
      { classCode: 'SBADM', moodCode: 'EVN', negationInd: 'false' },
      el('templateId', { root: '2.16.840.1.113883.10.20.1.24' }),
      el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.12' }),
      el('templateId', { root: '1.2.250.1.213.1.1.3.45' }),
      el('id', { root: derivedOid('vaccination', event.eventId) }),
      el('code', {
        code: 'IMMUNIZ',
        displayName: 'Vaccination sans autre précision',
        codeSystem: '2.16.840.1.113883.5.4',
        codeSystemName: 'ActCode',
      }),
      el('text', {}, el('reference', { value: '#vac-1' })),
      el('statusCode', { code: 'completed' }),
      el('effectiveTime', { value: day }),
      route && el('routeCode', { code: route.code, displayName: route.displayName, codeSystem: EDQM, codeSystemName: 'EDQM' }),
      site &&
        el(
          'approachSiteCode',
          { code: site.code, displayName: site.displayName, codeSystem: SNOMED, codeSystemName: 'SNOMED CT' },
          el('originalText', {}, el('reference', { value: '#vac-1-site' })),
        ),
      v.doseQuantity &&
        Number.isFinite(v.doseQuantity.value) &&
        v.doseQuantity.value >= 0 &&
        el('doseQuantity', { value: String(v.doseQuantity.value), unit: csValue(v.doseQuantity.unit) }),
      el(
        'consumable',
        { typeCode: 'CSM' },
        el(
          'manufacturedProduct',
          {},
          el('templateId', { root: '2.16.840.1.113883.10.20.1.53' }),
          el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7.2' }),
          el('templateId', { root: '1.2.250.1.213.1.1.3.43' }),
          el(
            'manufacturedMaterial',
            {},
            el(
              'code',
              cis
                ? { code: cis, displayName: v.vaccine.label, codeSystem: '1.2.250.1.213.2.3.1', codeSystemName: 'CIS' }
                : { nullFlavor: 'UNK' },
              el('originalText', {}, el('reference', { value: '#vac-1' })),
              atc &&
                el('translation', {
                  code: atc,
                  displayName: v.vaccine.atcLabel,
                  codeSystem: '2.16.840.1.113883.6.73',
                  codeSystemName: 'ATC',
                }),
            ),
            textEl('name', v.vaccine.label),
            textEl('lotNumberText', v.lotNumber),
          ),
        ),
      ),
      el('performer', { typeCode: 'PRF' }, assignedEntity(event)),
      el(
        'author',
        { typeCode: 'AUT', contextControlCode: 'OP' },
        el('time', { value: hl7Timestamp(event.occurredAt) }),
        assignedAuthor(event),
      ),
      v.doseNumber !== null &&
        Number.isInteger(v.doseNumber) &&
        el(
          'entryRelationship',
          { typeCode: 'SUBJ' },
          el(
            'observation',
            { classCode: 'OBS', moodCode: 'EVN' },
            el('templateId', { root: '2.16.840.1.113883.10.20.1.46' }),
            el('templateId', { root: '1.2.250.1.213.1.1.3.82' }),
            el('code', {
              code: '30973-2',
              displayName: 'Rang de la vaccination',
              codeSystem: '2.16.840.1.113883.6.1',
              codeSystemName: 'LOINC',
            }),
            el('statusCode', { code: 'completed' }),
            el('value', { 'xsi:type': 'INT', value: v.doseNumber }),
          ),
        ),
      v.comment &&
        el(
          'entryRelationship',
          { typeCode: 'SUBJ' },
          el(
            'act',
            { classCode: 'ACT', moodCode: 'EVN' },
            el('templateId', { root: '2.16.840.1.113883.10.20.1.40' }),
            el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.2' }),
            el('templateId', { root: '1.2.250.1.213.1.1.3.32' }),
            el('code', { code: '48767-8', displayName: 'Commentaire', codeSystem: '2.16.840.1.113883.6.1', codeSystemName: 'LOINC' }),
            el('text', {}, el('reference', { value: '#vac-1-comment' })),
            el('statusCode', { code: 'completed' }),
          ),
        ),
    ),
  );

  const body = el(
    'component',
    {},
    el(
      'structuredBody',
      {},
      el(
        'component',
        {},
        el(
          'section',
          {},
          el('templateId', { root: '2.16.840.1.113883.10.20.1.6' }),
          el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.3.23' }),
          el('templateId', { root: '1.2.250.1.213.1.1.2.147' }),
          el('id', { root: derivedOid('section', event.eventId) }),
          el('code', {
            code: '11369-6',
            displayName: 'Historique des vaccinations',
            codeSystem: '2.16.840.1.113883.6.1',
            codeSystemName: 'LOINC',
          }),
          textEl('title', 'Note de vaccination'),
          narrative,
          entry,
        ),
      ),
    ),
  );

  const xml = serialize(clinicalDocument([...header(event, { type, serviceTime: day, identity }), body]));
  return { kind: type.kind, xml, metadata: xdsMetadata(event, identity, type, xml, day) };
}
