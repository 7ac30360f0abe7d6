import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentIdFor } from '@passerelle/cda';
import { H, PermanentError, type InputRecord } from '@passerelle/kafka-runtime';
import { topicNames, USAGE_HEADERS } from '@passerelle/pipeline';
import type { ComposedDocument, DispensationEvent, DocumentStatus, VaccinationEvent } from '@passerelle/schemas';
import { composerHandler, usageFactsOfEvent, type LgoEventValue } from './handler';

const topics = topicNames('');
const sample = (): VaccinationEvent =>
  JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/events/vaccination.json'), 'utf8')) as VaccinationEvent;
const record = (value: LgoEventValue): InputRecord<LgoEventValue> => ({
  topic: topics.vaccination,
  partition: 0,
  offset: '0',
  key: Buffer.from('patient-key'),
  headers: { [H.eventId]: value.eventId, [H.traceparent]: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' },
  value,
  raw: {} as InputRecord<LgoEventValue>['raw'],
});
const handler = composerHandler({ topics, testPlatform: true, now: () => 1_763_800_000_500 });

describe('composer', () => {
  it('builds the document, keyed like the event, with ids and trace context in the headers and a status', async () => {
    const out = await handler(record(sample()));
    expect(out.map((o) => o.topic)).toEqual([topics.composed, topics.status]);
    const composed = out[0]!;
    const value = composed.value as ComposedDocument;
    expect(composed.key).toEqual(Buffer.from('patient-key'));
    expect(value.metadata.uniqueId).toBe(documentIdFor(sample().eventId));
    expect(value.documentXml.toString('utf8')).toMatch(/^<ClinicalDocument xmlns="urn:hl7-org:v3"/); // canonical bytes: no declaration
    expect(value.routing).toMatchObject({ identityQualified: true, mssanteConsent: true, pharmacyDmpEnrolled: true });
    expect(composed.headers?.[H.documentId]).toBe(value.metadata.uniqueId);
    expect(composed.headers?.[H.traceparent]).toMatch(/^00-0123456789abcdef0123456789abcdef-[0-9a-f]{16}-01$/);
    expect((out[1]!.value as DocumentStatus).state).toBe('composed');
  });

  it('carries the usage facts (pharmacy, kind, prescription: never the patient) on the document and its status', async () => {
    const event = sample();
    const out = await handler(record(event));
    const facts = { [USAGE_HEADERS.finess]: event.pharmacy.finess, [USAGE_HEADERS.kind]: 'vaccination-note' };
    expect(out[0]!.headers).toMatchObject(facts);
    expect(out[1]!.headers).toMatchObject(facts);
    expect(out[1]!.headers?.[USAGE_HEADERS.prescription]).toBeUndefined();
    const dispensation = JSON.parse(
      readFileSync(join(__dirname, '../../../test/fixtures/events/dispensation.json'), 'utf8'),
    ) as DispensationEvent;
    const withE = {
      ...dispensation,
      dispensation: { ...dispensation.dispensation, prescription: { ...dispensation.dispensation.prescription!, ePrescriptionId: 'EP-1' } },
    };
    expect(usageFactsOfEvent(withE)).toEqual({
      finess: dispensation.pharmacy.finess,
      kind: 'dispensation',
      prescription: 'e-prescription',
    });
    expect(usageFactsOfEvent({ ...withE, dispensation: { ...withE.dispensation, prescription: null } }).prescription).toBe('none');
    const paper = {
      ...withE,
      dispensation: { ...withE.dispensation, prescription: { ...withE.dispensation.prescription, ePrescriptionId: null } },
    };
    expect(usageFactsOfEvent(paper).prescription).toBe('paper');
  });

  it('rebuilds the same document from the same event', async () => {
    const [a] = await handler(record(sample()));
    const [b] = await handler(record(sample()));
    expect((a!.value as ComposedDocument).documentXml.equals((b!.value as ComposedDocument).documentXml)).toBe(true);
  });

  it('parks an identity that is not qualified, with a status and no document', async () => {
    const event = sample();
    event.patient.identityStatus = 'VALIDEE';
    const out = await handler(record(event));
    expect(out).toHaveLength(1);
    expect(out[0]!.topic).toBe(topics.status);
    expect(out[0]!.value).toMatchObject({ state: 'parked', detail: 'identity-not-qualified' });
  });

  it('refuses an INS whose key is wrong: a permanent error with its code, no value in the message', async () => {
    const event = sample();
    event.patient.ins.matricule = '279035121518988';
    const failure = handler(record(event));
    await expect(failure).rejects.toBeInstanceOf(PermanentError);
    await expect(failure).rejects.toMatchObject({ code: 'INS_KEY_MISMATCH' });
    await expect(failure).rejects.not.toThrow(/279035121518988/);
  });

  it('refuses a test INS OID on a production platform', async () => {
    const production = composerHandler({ topics, testPlatform: false });
    await expect(production(record(sample()))).rejects.toMatchObject({ code: 'INS_OID_TEST_ONLY' });
  });
});
