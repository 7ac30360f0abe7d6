import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { XMLParser } from 'fast-xml-parser';
import { runTool } from '../../../test/support/tools';
import type { QualifiedIdentity } from '@passerelle/ins';
import type { EventFamily } from '@passerelle/schemas';
import {
  dispensationEvent,
  identityOf,
  interviewEvent,
  medicationReviewEvent,
  vaccinationEvent,
} from '../../../test/support/sample-events';
import { buildDocument as buildFor, documentIdFor, setIdFor, type BuiltDocument } from './index';

/** Builds for the event's own patient, checked by @passerelle/ins as the composer does. */
const buildDocument = (family: EventFamily, event: object): Promise<BuiltDocument> =>
  buildFor(family, event as never, identityOf(event as never));

const CISIS_DIR = process.env.CISIS_DIR ?? resolve(__dirname, '..', '..', '..', '..', 'shared', 'spec', 'cisis');
const XSD = join(CISIS_DIR, 'infrastructure', 'cda', 'CDA_extended.xsd');

const samples = (): [string, EventFamily, Record<string, unknown>][] => [
  ['vaccination-note', 'vaccination', vaccinationEvent() as unknown as Record<string, unknown>],
  ['dispensation', 'dispensation', dispensationEvent() as unknown as Record<string, unknown>],
  ['medication-review', 'medicationReview', medicationReviewEvent() as unknown as Record<string, unknown>],
  ['pharmaceutical-interview', 'medicationReview', interviewEvent() as unknown as Record<string, unknown>],
];

/**
 * Validates documents against the CDA schema with xmllint; returns the failures (file name → message). A missing
 * xmllint, or one that cannot compile the schema, throws: the check never passes without having validated.
 */
function xsdFailures(docs: Record<string, string | Buffer>): string[] {
  if (!existsSync(XSD)) throw new Error(`CDA schema not found at ${XSD}: set CISIS_DIR to the ANS kit`);
  const dir = mkdtempSync(join(tmpdir(), 'cda-test-'));
  try {
    const files = Object.entries(docs).map(([name, xml]) => {
      const f = join(dir, `${name}.xml`);
      writeFileSync(f, xml);
      return f;
    });
    const run = runTool('xmllint', ['--noout', '--schema', XSD, ...files]);
    if (run.status === 0) return [];
    // 3: a document does not validate; 1: one is not well-formed. Anything else is xmllint failing (e.g. 5: the
    // schema did not compile), which must not read as "no failures".
    if (run.status !== 1 && run.status !== 3) throw new Error(`xmllint exited with ${run.status}: ${run.stderr}`);
    const failures = run.stderr
      .split('\n')
      .filter((l) => l.includes('fails to validate') || (/ error/.test(l) && !l.includes('Schemas parser warning')));
    return failures.length > 0 ? failures : [run.stderr];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ['given', 'family', 'templateId', 'entry'].includes(name),
});
type Node = Record<string, unknown>;
const parse = (xml: string | Buffer): Node => (parser.parse(xml.toString()) as Node).ClinicalDocument as Node;

describe('buildDocument', () => {
  it.each(samples())('builds a schema-valid %s from the sample event', async (kind, topic, event) => {
    const doc = await buildDocument(topic, event);
    expect(doc.kind).toBe(kind);
    expect(xsdFailures({ [kind]: doc.xml })).toEqual([]);
  });

  it.each(samples())(
    'writes %s as canonical bytes: what libxml2 (xmllint --c14n) makes of them, byte for byte',
    async (_kind, topic, event) => {
      const { xml } = await buildDocument(topic, event);
      const dir = mkdtempSync(join(tmpdir(), 'cda-c14n-'));
      try {
        writeFileSync(join(dir, 'doc.xml'), xml);
        const run = runTool('xmllint', ['--c14n', join(dir, 'doc.xml')]);
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(xml.toString('utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.each(samples())('is deterministic for %s: same event, same bytes', async (_kind, topic, event) => {
    const a = await buildDocument(topic, event);
    const b = await buildDocument(topic, JSON.parse(JSON.stringify(event)));
    expect(b.xml.equals(a.xml)).toBe(true);
    expect(b.metadata).toEqual(a.metadata);
  });

  it('refuses an unknown family with a stable code', async () => {
    const event = vaccinationEvent();
    await expect(buildFor('lgo.unknown' as EventFamily, event as never, identityOf(event))).rejects.toMatchObject({
      code: 'CDA_UNKNOWN_FAMILY',
    });
  });

  it('writes the patient from the qualified identity it is given, not from the event', async () => {
    const event = vaccinationEvent();
    const identity = identityOf(event);
    const altered = {
      ...event,
      patient: { ...event.patient, birthFamilyName: 'AUTRE', ins: { ...event.patient.ins, matricule: '000000000000000' } },
    };
    const built = await buildFor('vaccination', altered, identity);
    const { metadata } = built;
    const xml = built.xml.toString();
    expect(xml).toContain(identity.traits.birthFamilyName);
    expect(xml).not.toContain('AUTRE');
    expect(metadata.patientId.startsWith(`${identity.matricule}^^^`)).toBe(true);
  });
});

describe('header', () => {
  it('carries the CI-SIS header facts', async () => {
    const event = vaccinationEvent();
    const doc = parse((await buildDocument('vaccination', event)).xml);
    expect(doc.realmCode).toEqual({ '@_code': 'FR' });
    expect((doc.templateId as Node[]).filter((t) => t['@_root'] === '1.2.250.1.213.1.1.1.1')).toHaveLength(1);
    expect(doc.id).toEqual({ '@_root': documentIdFor(event.eventId) });
    expect(doc.setId).toEqual({ '@_root': setIdFor(event.eventId) });
    expect(doc.versionNumber).toEqual({ '@_value': '1' });
    expect(doc.relatedDocument).toBeUndefined();
    // Creation time is the event's (2025-11-22T08:26:40Z = 09:26:40 in Paris, winter time), never the clock's.
    expect(doc.effectiveTime).toEqual({ '@_value': '20251122092640+0100' });
    const patientRole = (doc.recordTarget as Node).patientRole as Node;
    expect(patientRole.id).toEqual({ '@_root': '1.2.250.1.213.1.4.10', '@_extension': '279035121518989' });
    const name = (patientRole.patient as Node).name as Node;
    expect(name.family).toEqual([{ '#text': 'PAT-TROIS', '@_qualifier': 'BR' }]);
    expect(name.given).toEqual(['DOMINIQUE MARIE-LOUISE', { '#text': 'DOMINIQUE', '@_qualifier': 'BR' }]);
    const custodian = ((doc.custodian as Node).assignedCustodian as Node).representedCustodianOrganization as Node;
    expect(custodian.id).toEqual({ '@_root': '1.2.250.1.71.4.2.2', '@_extension': '1750100208' });
    const legal = doc.legalAuthenticator as Node;
    expect(legal.signatureCode).toEqual({ '@_code': 'S' });
    expect((legal.assignedEntity as Node).id).toEqual({ '@_root': '1.2.250.1.71.4.2.1', '@_extension': '810001234567' });
    const facility = (((doc.componentOf as Node).encompassingEncounter as Node).location as Node).healthCareFacility as Node;
    expect((facility.code as Node)['@_code']).toBe('SA33');
  });

  it('makes a correction version n with the same setId and relatedDocument RPLC', async () => {
    const first = vaccinationEvent();
    const second = {
      ...vaccinationEvent(),
      eventId: 'a1b2c3d4-0000-4000-8000-000000000002',
      correction: { originalEventId: first.eventId, replacedEventId: first.eventId, versionNumber: 2 },
    };
    const third = {
      ...vaccinationEvent(),
      eventId: 'a1b2c3d4-0000-4000-8000-000000000003',
      correction: { originalEventId: first.eventId, replacedEventId: second.eventId, versionNumber: 3 },
    };
    const [d1, d2, d3] = await Promise.all([first, second, third].map((e) => buildDocument('vaccination', e)));
    const [p1, p2, p3] = [d1, d2, d3].map((d) => parse((d as BuiltDocument).xml));
    expect((p2 as Node).setId).toEqual((p1 as Node).setId);
    expect((p3 as Node).setId).toEqual((p1 as Node).setId);
    expect((p3 as Node).versionNumber).toEqual({ '@_value': '3' });
    expect((p3 as Node).relatedDocument).toEqual({ '@_typeCode': 'RPLC', parentDocument: { id: { '@_root': d2?.metadata.uniqueId } } });
    expect(d3?.metadata).toMatchObject({ version: 3, replaces: d2?.metadata.uniqueId, setId: d1?.metadata.setId });
    expect(xsdFailures({ d2: (d2 as BuiltDocument).xml, d3: (d3 as BuiltDocument).xml })).toEqual([]);
  });
});

describe('document ids', () => {
  it('are 2.25 OIDs from UUIDv5, stable, distinct for id and setId', () => {
    const id = documentIdFor('0b7f6a1e-5d2c-4c1e-9a57-3c2f0e6b1a01');
    expect(id).toMatch(/^2\.25\.[1-9]\d*$/);
    expect(id.length).toBeLessThanOrEqual(64);
    expect(documentIdFor('0b7f6a1e-5d2c-4c1e-9a57-3c2f0e6b1a01')).toBe(id);
    expect(setIdFor('0b7f6a1e-5d2c-4c1e-9a57-3c2f0e6b1a01')).not.toBe(id);
    expect(documentIdFor('0b7f6a1e-5d2c-4c1e-9a57-3c2f0e6b1a02')).not.toBe(id);
    // The decimal is the UUID's 128 bits, and the UUID is a version-5 one.
    const hex = BigInt(id.slice(5)).toString(16).padStart(32, '0');
    expect(hex[12]).toBe('5');
  });
});

describe('XDS metadata', () => {
  it.each(samples())('describes the exact bytes of %s', async (_kind, topic, event) => {
    const doc = await buildDocument(topic, event);
    const bytes = doc.xml;
    expect(doc.metadata.hash).toBe(createHash('sha1').update(bytes).digest('hex'));
    expect(doc.metadata.size).toBe(bytes.length);
    expect(doc.metadata.uniqueId).toBe(documentIdFor(event.eventId as string));
    expect(doc.metadata.patientId).toBe('279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH');
    expect(doc.metadata.authorPerson).toBe('810001234567^MARTIN^Claire^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS');
    expect(doc.metadata.authorInstitution).toBe("Pharmacie de la Place d'Italie^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750100208");
    expect(doc.metadata.creationTime).toBe(new Date(event.occurredAt as number).toISOString().replace(/[-:T]/g, '').slice(0, 14));
    expect(doc.metadata.authorFiness).toBe('750100208');
  });

  it('carries the type, format and confidentiality flags', async () => {
    const event = {
      ...dispensationEvent(),
      confidentiality: {
        level: 'R' as const,
        maskedFromProfessionals: true,
        invisibleToPatient: true,
        invisibleToLegalRepresentatives: false,
      },
    };
    const { metadata, xml } = await buildDocument('dispensation', event);
    expect(metadata.typeCode.code).toBe('60593-1');
    expect(metadata.formatCode.code).toBe('urn:ihe:pharm:dis:2010');
    expect(metadata.confidentialityCodes.map((c) => c.code)).toEqual(['R', 'MASQUE_PS', 'INVISIBLE_PATIENT']);
    expect(parse(xml).confidentialityCode).toMatchObject({ '@_code': 'R' });
    const review = await buildDocument('medicationReview', interviewEvent());
    expect([review.metadata.typeCode.code, review.metadata.formatCode.code]).toEqual(['78601-2', 'urn:ihe:iti:xds-sd:pdf:2008']);
  });
});

describe('escaping', () => {
  const hostile = ['</family><x>', "O'Brien & Fils", '"quoted" <b>bold</b> ]]> &amp;', 'Zoë Ŀ 漢字 😀 \u0001\u0008'];

  it('keeps every document schema-valid and the values intact whatever the names and free text', async () => {
    const docs: Record<string, Buffer> = {};
    for (const [i, text] of hostile.entries()) {
      const patch = (e: Record<string, unknown>): Record<string, unknown> => {
        const patient = e.patient as Record<string, unknown>;
        const pharmacy = e.pharmacy as Record<string, unknown>;
        const author = e.author as Record<string, unknown>;
        return {
          ...e,
          patient: {
            ...patient,
            birthFamilyName: text,
            birthGivenNames: `${text} MARIE`,
            firstGivenName: text,
            usedFamilyName: text,
            usedGivenName: text,
          },
          pharmacy: { ...pharmacy, name: text, address: { lines: [text], postalCode: text, city: text, country: 'FR' } },
          author: { ...author, familyName: text, givenName: text },
        };
      };
      const v = vaccinationEvent();
      v.vaccination.comment = text;
      v.vaccination.lotNumber = text;
      v.vaccination.vaccine.label = text;
      const d = dispensationEvent();
      d.dispensation.lines.forEach((l) => {
        l.posology = text;
        l.product.label = text;
      });
      const r = medicationReviewEvent();
      r.review.findings = [text];
      r.review.topic = text;
      for (const [name, topic, event] of [
        ['vac', 'vaccination', v],
        ['disp', 'dispensation', d],
        ['bpm', 'medicationReview', r],
      ] as const) {
        const patched = patch(event as unknown as Record<string, unknown>);
        // @passerelle/ins refuses control characters in names; the builder must escape whatever it is given all the
        // same (defence in depth), so this one test hands it the hostile traits directly.
        const checked = identityOf(event);
        const hostileIdentity = { ...checked, traits: { ...checked.traits, ...(patched.patient as object) } } as QualifiedIdentity;
        const doc = await buildFor(topic, patched as never, hostileIdentity);
        docs[`${name}-${i}`] = doc.xml;
        const family = (((parse(doc.xml).recordTarget as Node).patientRole as Node).patient as Node).name as Node;
        // The text survives the round trip, minus only what XML cannot carry (control characters).
        expect((family.family as Node[])[0]?.['#text']).toBe(text.replace(/[\u0000-\u0008]/g, '').trim());
      }
    }
    expect(xsdFailures(docs)).toEqual([]);
  });
});

describe('the schema check used by these tests', () => {
  it('catches a document that breaks the schema', async () => {
    const xml = (await buildDocument('vaccination', vaccinationEvent())).xml.toString();
    expect(
      xsdFailures({ broken: xml.replace('<realmCode code="FR"></realmCode>', '<realmCode code="FR"></realmCode><bogus/>') }),
    ).not.toEqual([]);
    expect(xsdFailures({ broken: xml.replace('unit="mL"', 'unit="m L"') })).not.toEqual([]);
  });
});

describe('robustness on schema-valid but odd events', () => {
  it('builds valid documents from minimal events (empty lists, nulls, unusable dates, unknown codes)', async () => {
    const v = vaccinationEvent();
    Object.assign(v.vaccination.vaccine, { cis: '602 194', atc: '' });
    Object.assign(v.vaccination, {
      doseNumber: null,
      doseQuantity: { value: 0.5, unit: 'demi dose' },
      route: 'NASINHL',
      site: 'XYZ',
      administeredAt: 'hier',
      comment: null,
    });
    // The patient's traits come from the checked identity (a real birth date); the rest may be odd.
    Object.assign(v.patient, { sex: 'U', usedFamilyName: '', usedGivenName: null });
    v.pharmacy.telecom = null;
    v.pharmacy.address = { lines: [], postalCode: '', city: '', country: 'BE' };
    const d = dispensationEvent();
    d.dispensation.prescription = null;
    d.dispensation.dispensedAt = '2025-13-45';
    d.dispensation.lines = [
      {
        product: { cip13: null, ucd: null, label: 'Préparation magistrale' },
        quantity: { value: -1, unit: 'boîte de 30' },
        posology: null,
        substitution: 'THERAPEUTIC',
      },
      {
        product: { cip13: null, ucd: '9000001', label: 'UCD seule' },
        quantity: { value: 1.5, unit: '' },
        posology: '',
        substitution: 'NONE',
      },
      {
        product: { cip13: '34009 365', ucd: ' ', label: 'Codes abîmés' },
        quantity: { value: 2, unit: 'boîte de 30' },
        posology: 'x',
        substitution: 'GENERIC',
      },
    ];
    const withRx = dispensationEvent();
    if (withRx.dispensation.prescription) Object.assign(withRx.dispensation.prescription, { prescribedAt: null, ePrescriptionId: null });
    const r = medicationReviewEvent();
    Object.assign(r.review, { medications: [], findings: [], recommendations: [], conclusion: null, topic: null, performedAt: '' });
    const docs: Record<string, Buffer> = {
      vac: (await buildDocument('vaccination', v)).xml,
      disp: (await buildDocument('dispensation', d)).xml,
      rx: (await buildDocument('dispensation', withRx)).xml,
      bpm: (await buildDocument('medicationReview', r)).xml,
    };
    expect(xsdFailures(docs)).toEqual([]);
  });
});
