import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, dlqTopic, H } from '@passerelle/kafka-runtime';
import type { DmpSubmission, DocumentStatus, MssMessage, VaccinationEvent } from '@passerelle/schemas';
import { verifySubmissionSignature } from '@passerelle/signature';
import { createTestPki, type TestPki } from '@passerelle/testing';
import { readXdmArchive } from '@passerelle/xdm';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local-pipeline';
import {
  brokers,
  collector,
  encodeEvents,
  latestStatuses,
  readCommitted,
  registryUrl,
  sample,
  send,
  waitFor,
  type AnyEvent,
  type Collected,
} from './harness';
import { isFinal, pipelineCodec, replayDeadLetters } from '@passerelle/pipeline';

// The whole pipeline against the real broker and registry, with its own topic prefix and short retry tiers.
const PHARMACY = '750100208';
const NO_CERT_PHARMACY = '130001234';

describe('pipeline end to end (real broker)', () => {
  const prefix = `e2e${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers, clientId: 'e2e', ssl: false });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-e2e-'));
  let pki: TestPki;
  let pipeline: LocalPipeline;
  let out: Awaited<ReturnType<typeof collector>>;
  let statuses = new Map<string, DocumentStatus>();

  const refresh = async () => {
    statuses = await latestStatuses(codec, out.of(pipeline.topics.status));
    return statuses;
  };
  const finalFor = async (ids: string[]) => {
    await refresh();
    return ids.every((id) => {
      const s = statuses.get(id);
      return s !== undefined && isFinal(s.state);
    });
  };
  const decodeAll = async <T>(records: Collected[]) => Promise.all(records.map((r) => codec.decode<T>(r.topic, r.value)));
  // Counts come from a reader positioned at the topics' end offsets (read committed), not from the live collector,
  // which may not have fetched them yet. A stage commits its outputs with their status, but the transaction's marker
  // can land on an output partition a moment after the status is readable, and until then the end offset stays before
  // the records: so the read is repeated (bounded) until what the test awaits is there, and the last read is counted.
  const committed = async <T>(topic: string, enough: (all: T[]) => boolean = () => true): Promise<T[]> => {
    let all: T[] = [];
    await waitFor(`the awaited records on ${topic}`, async () => enough((all = await decodeAll<T>(await readCommitted(kafka, [topic])))));
    return all;
  };
  const hasAll = (ids: string[]) => (all: { eventId: string }[]) => ids.every((id) => all.some((x) => x.eventId === id));

  beforeAll(async () => {
    pki = await createTestPki(join(work, 'pki'), [PHARMACY, NO_CERT_PHARMACY], { broken: false });
    // The second pharmacy's certificate is held back: it appears (or not) during the tests.
    const held = join(work, 'held');
    mkdirSync(held);
    for (const ext of ['p12', 'pass']) {
      copyFileSync(join(pki.keyStoreDir, `${NO_CERT_PHARMACY}.${ext}`), join(held, `${NO_CERT_PHARMACY}.${ext}`));
      rmSync(join(pki.keyStoreDir, `${NO_CERT_PHARMACY}.${ext}`));
    }
    pipeline = await startLocalPipeline({ keyStoreDir: pki.keyStoreDir, trustDir: pki.trustDir, prefix, tiers: '1s,8s' });
    const t = pipeline.topics;
    out = await collector(kafka, [
      t.dmp,
      t.mss,
      t.status,
      dlqTopic(t.vaccination),
      dlqTopic(t.dispensation),
      dlqTopic(t.medicationReview),
      dlqTopic(t.composed),
      dlqTopic(t.signed),
    ]);
  }, 120_000);

  afterAll(async () => {
    await out?.stop();
    await pipeline?.stop();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('routes each document type to its destinations, signed, with a readable XDM archive', async () => {
    const events: AnyEvent[] = [
      sample('vaccination'),
      sample('dispensation'),
      sample('medication-review'),
      sample('pharmaceutical-interview'),
    ];
    await send(kafka, await encodeEvents(codec, pipeline.topics, events));
    const ids = events.map((e) => e.eventId);
    await waitFor('the four documents to be routed', () => finalFor(ids));
    for (const id of ids) expect(statuses.get(id)?.state).toBe('routed');

    const [vac, disp, bpm, interview] = ids as [string, string, string, string];
    const dmp = (await committed<DmpSubmission>(pipeline.topics.dmp, hasAll([vac, bpm, interview]))).filter((d) => ids.includes(d.eventId));
    const mss = (await committed<MssMessage>(pipeline.topics.mss, hasAll(ids))).filter((m) => ids.includes(m.eventId));
    const kinds = (list: { eventId: string }[], id: string) => list.filter((x) => x.eventId === id).length;
    // DESIGN §4: dispensations do not go to the DMP by default; the others do, once each.
    expect([kinds(dmp, vac), kinds(dmp, disp), kinds(dmp, bpm), kinds(dmp, interview)]).toEqual([1, 0, 1, 1]);
    const audiences = (id: string) =>
      mss
        .filter((m) => m.eventId === id)
        .map((m) => m.audience)
        .sort();
    expect(audiences(vac)).toEqual(['patient', 'professionals']);
    expect(audiences(disp)).toEqual(['professionals']); // the prescriber; never the patient
    expect(audiences(bpm)).toEqual(['patient', 'professionals']);
    expect(audiences(interview)).toEqual(['patient', 'professionals']);

    for (const submission of dmp) {
      const verdict = verifySubmissionSignature(submission.signatureXml, submission.documentXml, { trustAnchors: pki.trustDir });
      expect(verdict.reasons).toEqual([]);
      expect(verdict.valid).toBe(true);
      expect(verdict.submissionSetUniqueId).toBe(submission.submissionSetUniqueId);
      expect(submission.submissionSetXml).toContain(submission.submissionSetUniqueId);
    }
    for (const message of mss) {
      const archive = await readXdmArchive(Buffer.from(message.attachment));
      expect([...archive.entries.keys()]).toEqual(
        expect.arrayContaining(['INDEX.HTM', 'README.TXT', 'IHE_XDM/SUBSET01/METADATA.XML', 'IHE_XDM/SUBSET01/DOC0001.XML']),
      );
      expect(archive.documents[0]?.uniqueId).toBe(message.documentId);
      expect(archive.submissionSet.uniqueId).toBeDefined();
      expect(message.headers['X-MSS-INS']).toBe('O');
      if (message.audience === 'patient') {
        expect(message.to).toEqual(['279035121518989@patient.mssante.fr']);
        expect(message.headers['X-MSS-MES']).toBe('FIN');
      }
    }
  }, 120_000);

  it('dead-letters or parks bad input with the right reason while good events flow', async () => {
    const good = Array.from({ length: 20 }, (_, i) => {
      const e = sample<AnyEvent>(i % 2 ? 'vaccination' : 'medication-review');
      e.patient.localId = `P-${i % 4}`;
      return e;
    });
    const badKey = sample('vaccination');
    badKey.patient.ins.matricule = '279035121518988';
    const notQualified = sample('vaccination');
    notQualified.patient.identityStatus = 'PROVISOIRE';
    const noCert = sample('vaccination');
    noCert.pharmacy.finess = NO_CERT_PHARMACY;
    const huge = sample<VaccinationEvent>('vaccination');
    huge.vaccination.comment = 'x'.repeat(5 * 1024 * 1024);
    const xml = sample('vaccination');
    xml.patient.birthFamilyName = `</family><x>O'BRIEN & FILS`;
    xml.patient.usedFamilyName = ']]><!-- "quoted" -->';
    xml.pharmacy.name = 'Pharmacie <b>& Co</b>';

    const t = pipeline.topics;
    const encoded = await encodeEvents(codec, t, [...good.slice(0, 10), badKey, notQualified, noCert, huge, xml, ...good.slice(10)]);
    const notAvro = { topic: t.vaccination, key: 'poison-1', value: Buffer.from('{"not":"avro"}'), headers: { [H.eventId]: randomUUID() } };
    const unknownId = {
      topic: t.medicationReview,
      key: 'poison-2',
      value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf1, 2, 4, 6]),
      headers: { [H.eventId]: randomUUID() },
    };
    await send(kafka, [...encoded.slice(0, 5), notAvro, ...encoded.slice(5, 15), unknownId, ...encoded.slice(15)]);

    const ids = [...good, badKey, notQualified, noCert, huge, xml].map((e) => e.eventId);
    await waitFor('every event to reach a final state', () => finalFor(ids), 90_000);
    for (const e of [...good, xml]) expect(statuses.get(e.eventId)).toMatchObject({ state: 'routed' });
    expect(statuses.get(badKey.eventId)).toMatchObject({ state: 'dead-lettered', detail: 'INS_KEY_MISMATCH' });
    expect(statuses.get(notQualified.eventId)).toMatchObject({ state: 'parked', detail: 'identity-not-qualified' });
    expect(statuses.get(huge.eventId)).toMatchObject({ state: 'dead-lettered', detail: 'RECORD_TOO_LARGE' });
    // No certificate: parked through the retry tiers, then dead-lettered for an operator to replay once fixed.
    expect(statuses.get(noCert.eventId)).toMatchObject({ state: 'dead-lettered', detail: 'CERT_MISSING' });
    // Each attempt wrote its own status record; the last one's history holds the stages the document passed.
    const noCertStatuses = await Promise.all(
      out
        .of(t.status)
        .filter((r) => r.headers[H.eventId] === noCert.eventId)
        .map((r) => codec.decode<DocumentStatus>(r.topic, r.value)),
    );
    expect(noCertStatuses.map((s) => s.state)).toEqual(['composed', 'waiting-for-certificate', 'waiting-for-certificate', 'dead-lettered']);
    // The last record's own history holds the stages the document passed (a retried record keeps the history it had);
    // the status read merges every record of the document, so it shows each retry too.
    expect(noCertStatuses.at(-1)?.history.map((h) => h.state)).toEqual(['composed', 'dead-lettered']);
    expect(statuses.get(noCert.eventId)?.history.map((h) => h.state)).toEqual([
      'composed',
      'waiting-for-certificate',
      'waiting-for-certificate',
      'dead-lettered',
    ]);

    let dead = await readCommitted(kafka, [dlqTopic(t.vaccination), dlqTopic(t.medicationReview)]);
    const byCode = (code: string) => dead.filter((d) => d.headers[H.errorCode] === code);
    await waitFor('the dead letters', async () => {
      dead = await readCommitted(kafka, [dlqTopic(t.vaccination), dlqTopic(t.medicationReview)]);
      return ['NOT_AVRO', 'UNKNOWN_SCHEMA', 'INS_KEY_MISMATCH', 'RECORD_TOO_LARGE'].every((code) => byCode(code).length > 0);
    });
    expect(byCode('NOT_AVRO').map((d) => d.value?.toString())).toEqual(['{"not":"avro"}']);
    expect(byCode('UNKNOWN_SCHEMA')).toHaveLength(1);
    expect(byCode('INS_KEY_MISMATCH')).toHaveLength(1);
    expect(byCode('RECORD_TOO_LARGE')[0]?.value?.length).toBeGreaterThan(5 * 1024 * 1024);
    const dmpIds = (await committed<DmpSubmission>(t.dmp, hasAll([...good, xml].map((e) => e.eventId)))).map((d) => d.eventId);
    for (const e of [...good, xml]) expect(dmpIds.filter((id) => id === e.eventId)).toHaveLength(1);
    expect(dmpIds).not.toContain(notQualified.eventId);
  }, 150_000);

  it("lets a parked document through once its pharmacy's certificate appears, without a restart", async () => {
    const event = sample('vaccination');
    event.pharmacy.finess = NO_CERT_PHARMACY;
    await send(kafka, await encodeEvents(codec, pipeline.topics, [event]));
    await waitFor(
      'the document to wait for its certificate',
      async () => (await refresh()).get(event.eventId)?.state === 'waiting-for-certificate',
    );
    for (const ext of ['p12', 'pass'])
      copyFileSync(join(work, 'held', `${NO_CERT_PHARMACY}.${ext}`), join(pki.keyStoreDir, `${NO_CERT_PHARMACY}.${ext}`));
    await waitFor('the document to be routed', () => finalFor([event.eventId]), 90_000);
    expect(statuses.get(event.eventId)).toMatchObject({ state: 'routed' });
    const dmp = (await committed<DmpSubmission>(pipeline.topics.dmp, hasAll([event.eventId]))).filter((d) => d.eventId === event.eventId);
    expect(dmp).toHaveLength(1);
  }, 120_000);

  it('replays dead letters after the cause is fixed: delivered exactly once, and a second replay does nothing', async () => {
    // The certificate missing in the previous tests is there now.
    const replayed = await replayDeadLetters(kafka, codec, pipeline.topics, { code: 'CERT_MISSING' });
    expect(replayed.length).toBeGreaterThanOrEqual(1);
    const eventIds = replayed.map((d) => d.eventId as string);
    await waitFor('the replayed documents to be routed', async () => {
      await refresh();
      return eventIds.every((id) => statuses.get(id)?.state === 'routed');
    });
    expect(await replayDeadLetters(kafka, codec, pipeline.topics, { code: 'CERT_MISSING' })).toEqual([]);
    // Routed, so each replayed document's DMP record is committed: read the topic to its end and count.
    const dmp = (await committed<DmpSubmission>(pipeline.topics.dmp, hasAll(eventIds))).map((d) => d.eventId);
    for (const id of eventIds) expect(dmp.filter((x) => x === id)).toHaveLength(1);
    // Dead letters of another cause stay where they are.
    const stillDead = (await readCommitted(kafka, [dlqTopic(pipeline.topics.vaccination)])).filter(
      (d) => d.headers[H.errorCode] === 'INS_KEY_MISMATCH',
    );
    expect(stillDead).toHaveLength(1);
  }, 120_000);

  // Order is kept per event family: each family is its own topic, and Kafka orders within a partition of a topic.
  it("keeps one patient's documents of a family in order, stage after stage", async () => {
    const events = Array.from({ length: 30 }, (_, i) => {
      const e = sample<AnyEvent>(i % 3 === 0 ? 'pharmaceutical-interview' : 'medication-review');
      e.patient.localId = 'ORDERED-PATIENT';
      return e;
    });
    await send(kafka, await encodeEvents(codec, pipeline.topics, events));
    const ids = events.map((e) => e.eventId);
    await waitFor('the 30 documents to be routed', () => finalFor(ids));
    const dmp = (await committed<DmpSubmission>(pipeline.topics.dmp, hasAll(ids))).map((d) => d.eventId).filter((id) => ids.includes(id));
    expect(dmp).toEqual(ids);
  }, 120_000);
});
