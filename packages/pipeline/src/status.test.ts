import { schemaOfTopic, type DocumentStatus, type StatusEntry } from '@passerelle/schemas';
import { H, type Failure } from '@passerelle/kafka-runtime';
import avro from 'avsc';
import { failureStatus, isDone, matchStatus, mergeStatus, normaliseId, recipientRoute, routeProgress, statusRecord } from './status';

const DOC_A = '2.25.263458712949358120637741259046133717581';
const DOC_B = '2.25.263458712949358120637741259046133717999';
const DOC_C = '2.25.111122223333444455556666777788889999000';
const EVENT_A = 'c711d69a-2f0e-4d5b-9a43-5f0c1c9e7a10';
const EVENT_B = 'c711d69b-0000-4000-8000-000000000001';
const EVENT_C = '0b3e44f1-7d1c-4b2a-8f6e-2a9d0c4e5b66';

const entry = (state: string, stage: string, at: number, detail: string | null = null, attempt: number | null = null): StatusEntry => ({
  state,
  stage,
  at,
  detail,
  attempt,
});
const status = (documentId: string, eventId: string, history: StatusEntry[] = [entry('composed', 'composer', 1)]): DocumentStatus => {
  const last = history[history.length - 1] as StatusEntry;
  return { documentId, eventId, state: last.state, stage: last.stage, at: last.at, detail: last.detail, history };
};
const statuses = new Map([DOC_A, DOC_B, DOC_C].map((d, i) => [d, status(d, [EVENT_A, EVENT_B, EVENT_C][i] as string)]));

describe('matchStatus', () => {
  it('finds a document by its whole document id or event id', () => {
    expect(matchStatus(statuses, DOC_C)).toMatchObject({ kind: 'found', status: { documentId: DOC_C } });
    expect(matchStatus(statuses, EVENT_B)).toMatchObject({ kind: 'found', status: { documentId: DOC_B } });
  });

  it('finds a document by a unique prefix of 8 characters or more of either id', () => {
    expect(matchStatus(statuses, '0b3e44f1')).toMatchObject({ kind: 'found', status: { documentId: DOC_C } });
    expect(matchStatus(statuses, 'c711d69a')).toMatchObject({ kind: 'found', status: { documentId: DOC_A } });
    expect(matchStatus(statuses, '2.25.1111')).toMatchObject({ kind: 'found', status: { documentId: DOC_C } });
    expect(matchStatus(statuses, DOC_B.slice(0, -1))).toMatchObject({ kind: 'found', status: { documentId: DOC_B } });
  });

  it('takes the ids as the demo and follow print them: a trailing ellipsis and blanks are ignored', () => {
    expect(normaliseId(' c711d69a… ')).toBe('c711d69a');
    expect(normaliseId('c711d69a...')).toBe('c711d69a');
    expect(matchStatus(statuses, 'c711d69a…')).toMatchObject({ kind: 'found', status: { documentId: DOC_A } });
    expect(matchStatus(statuses, `${EVENT_C}\n`)).toMatchObject({ kind: 'found', status: { documentId: DOC_C } });
  });

  it('lists every candidate, sorted, for a prefix that several documents share', () => {
    const m = matchStatus(statuses, 'c711d69');
    expect(m.kind).toBe('too-short');
    const shared = matchStatus(statuses, '2.25.2634587129');
    expect(shared.kind).toBe('ambiguous');
    if (shared.kind === 'ambiguous') expect(shared.candidates.map((s) => s.documentId)).toEqual([DOC_A, DOC_B]);
    expect(matchStatus(statuses, '2.25.26')).toEqual({ kind: 'too-short' });
    const byEvent = matchStatus(new Map([...statuses, ['2.25.9', status('2.25.9', 'c711d69a-ffff')]]), 'c711d69a');
    expect(byEvent.kind).toBe('ambiguous');
  });

  it('says too short below 8 characters (a whole id of any length still matches), not found otherwise', () => {
    expect(matchStatus(statuses, 'c711')).toEqual({ kind: 'too-short' });
    expect(matchStatus(statuses, '…')).toEqual({ kind: 'too-short' });
    expect(matchStatus(new Map([['d1', status('d1', 'e1')]]), 'e1')).toMatchObject({ kind: 'found' });
    expect(matchStatus(statuses, 'ffffffff')).toEqual({ kind: 'not-found' });
    expect(matchStatus(new Map(), EVENT_A)).toEqual({ kind: 'not-found' });
  });
});

describe('status history', () => {
  const failure = (attempt: number, deadLettered = false): Failure<unknown> => ({
    record: {
      topic: 'documents.composed',
      partition: 0,
      offset: '7',
      key: null,
      headers: { [H.documentId]: DOC_A, [H.eventId]: EVENT_A },
      raw: {} as never,
    },
    error: { code: 'CERT_MISSING', errorClass: 'transient', message: 'no SIGN certificate for the pharmacy' },
    destination: deadLettered ? 'documents.composed.dlq' : 'documents.composed.retry.5s',
    deadLettered,
    attempt,
  });

  it('a failure status records the attempt with the error code', () => {
    const [record] = failureStatus('documents.status', 'signer', failure(2), {}, 'waiting-for-certificate');
    expect(record?.value).toMatchObject({
      state: 'waiting-for-certificate',
      detail: 'CERT_MISSING',
      history: [{ state: 'waiting-for-certificate', detail: 'CERT_MISSING', attempt: 2 }],
    });
    const composed = statusRecord('documents.status', { documentId: DOC_A, eventId: EVENT_A, state: 'composed', stage: 'composer' });
    expect(composed.entry.attempt).toBeNull();
  });

  it('merging the records of a document keeps the retries that the last record no longer carries', () => {
    const composed = entry('composed', 'composer', 100);
    const records = [
      status(DOC_A, EVENT_A, [composed]),
      status(DOC_A, EVENT_A, [composed, entry('waiting-for-certificate', 'signer', 200, 'CERT_MISSING', 1)]),
      status(DOC_A, EVENT_A, [composed, entry('waiting-for-certificate', 'signer', 300, 'CERT_MISSING', 2)]),
      status(DOC_A, EVENT_A, [composed, entry('signed', 'signer', 400)]),
    ];
    const merged = records.reduce<DocumentStatus | undefined>((earlier, later) => mergeStatus(earlier, later), undefined);
    expect(merged?.state).toBe('signed');
    expect(merged?.history.map((h) => [h.state, h.detail, h.attempt])).toEqual([
      ['composed', null, null],
      ['waiting-for-certificate', 'CERT_MISSING', 1],
      ['waiting-for-certificate', 'CERT_MISSING', 2],
      ['signed', null, null],
    ]);
  });

  it('a status written before entries had an attempt decodes with attempt null (the field has a default)', () => {
    const schema = schemaOfTopic('documents.status') as { fields: { name: string; type: { items?: { fields: { name: string }[] } } }[] };
    const before = structuredClone(schema);
    const items = before.fields.find((f) => f.name === 'history')?.type.items as { fields: { name: string }[] };
    items.fields = items.fields.filter((f) => f.name !== 'attempt');
    const writer = avro.Type.forSchema(before as avro.Schema);
    const reader = avro.Type.forSchema(schema as avro.Schema);
    const old = {
      documentId: DOC_A,
      eventId: EVENT_A,
      state: 'retrying',
      stage: 'composer',
      at: 5,
      detail: 'X',
      history: [{ state: 'retrying', stage: 'composer', at: 5, detail: 'X' }],
    };
    const decoded = reader.fromBuffer(writer.toBuffer(old), reader.createResolver(writer)) as DocumentStatus;
    expect(decoded.history).toEqual([{ state: 'retrying', stage: 'composer', at: 5, detail: 'X', attempt: null }]);
  });
});

describe('routes and when a document is done', () => {
  const routed = (detail: string) => entry('routed', 'router', 300, detail);
  const doc = (...history: StatusEntry[]) =>
    status(DOC_A, EVENT_A, [entry('composed', 'composer', 100), entry('signed', 'signer', 200), ...history]);

  it('a route with a gateway is sent until its gateway delivers it', () => {
    const sent = doc(routed('dmp,mss:patient; withheld mss:professionals:no-recipient'));
    expect(routeProgress(sent)).toEqual([
      { route: 'dmp', state: 'sent', detail: null, delivered: true },
      { route: 'mss:patient', state: 'sent', detail: null, delivered: true },
    ]);
    expect(isDone(sent)).toBe(false);
    const delivered = doc(routed('dmp'), entry('delivered', 'dmp-gateway', 400, 'dmp: RegistryResponse Success'));
    expect(routeProgress(delivered)[0]).toEqual({ route: 'dmp', state: 'delivered', detail: 'RegistryResponse Success', delivered: true });
    expect(isDone(delivered)).toBe(true);
  });

  it('the mss-gateway names the route in its details: each MSSanté route has its own state', () => {
    const both = routed('dmp,mss:patient,mss:professional-1');
    const partly = doc(
      both,
      entry('delivered', 'dmp-gateway', 400, 'dmp: RegistryResponse Success'),
      entry('delivered', 'mss-gateway', 410, 'mss:patient: 250 Q1'),
      entry('retrying', 'mss-gateway', 420, 'mss:professional-1: MSS_SMTP_TRANSIENT 451', 1),
    );
    expect(routeProgress(partly)).toEqual([
      { route: 'dmp', state: 'delivered', detail: 'RegistryResponse Success', delivered: true },
      { route: 'mss:patient', state: 'delivered', detail: '250 Q1', delivered: true },
      { route: 'mss:professional-1', state: 'waiting', detail: 'MSS_SMTP_TRANSIENT 451', delivered: true },
    ]);
    expect(isDone(partly)).toBe(false);
    const done = doc(
      ...partly.history.slice(2),
      entry('dead-lettered', 'mss-gateway', 430, 'mss:professional-1: MSS_SMTP_REJECTED 550', 2),
    );
    expect(routeProgress(done).map((r) => [r.route, r.state, r.detail])).toEqual([
      ['dmp', 'delivered', 'RegistryResponse Success'],
      ['mss:patient', 'delivered', '250 Q1'],
      ['mss:professional-1', 'failed', 'MSS_SMTP_REJECTED 550'],
    ]);
    expect(isDone(done)).toBe(true);
    // A certificate problem: the routes of the gateway wait.
    const waiting = doc(both, entry('waiting-for-certificate', 'mss-gateway', 410, 'mss:patient: CERT_EXPIRED', 1));
    expect(routeProgress(waiting)[1]).toMatchObject({ state: 'waiting', detail: 'CERT_EXPIRED' });
    expect(routeProgress(waiting)[2]).toMatchObject({ state: 'sent' });
  });

  it('each MSSanté recipient is a route: the patient, and the professionals by rank (never an address)', () => {
    expect(recipientRoute('patient', 0)).toBe('mss:patient');
    expect([0, 1, 11].map((i) => recipientRoute('professionals', i))).toEqual([
      'mss:professional-1',
      'mss:professional-2',
      'mss:professional-12',
    ]);
    const s = doc(routed('mss:professional-1,mss:professional-12'), entry('delivered', 'mss-gateway', 410, 'mss:professional-12: 250 Q12'));
    expect(routeProgress(s).map((r) => [r.route, r.state, r.detail])).toEqual([
      ['mss:professional-1', 'sent', null],
      ['mss:professional-12', 'delivered', '250 Q12'],
    ]);
  });

  it('an entry of the mss-gateway that names no route is about every MSSanté route', () => {
    const s = doc(routed('mss:patient,mss:professional-1'), entry('retrying', 'mss-gateway', 400, 'MSS_UNAVAILABLE', 1));
    expect(routeProgress(s).map((r) => r.state)).toEqual(['waiting', 'waiting']);
  });

  it("a gateway's retries keep the route waiting; its dead letter ends it as failed with the code", () => {
    const waiting = doc(routed('dmp'), entry('retrying', 'dmp-gateway', 400, 'DMP_TIMEOUT', 1));
    expect(routeProgress(waiting)[0]).toMatchObject({ state: 'waiting', detail: 'DMP_TIMEOUT' });
    expect(isDone(waiting)).toBe(false);
    const failed = doc(routed('dmp'), entry('dead-lettered', 'dmp-gateway', 500, 'XDSUnknownPatientId', 1));
    expect(routeProgress(failed)[0]).toMatchObject({ state: 'failed', detail: 'XDSUnknownPatientId' });
    expect(isDone(failed)).toBe(true);
  });

  it('no route: done once routed; an MSSanté route waits for the mss-gateway', () => {
    expect(isDone(doc(routed('no-route; withheld dmp:opposition')))).toBe(true);
    expect(isDone(doc(routed('mss:professional-1')))).toBe(false);
    expect(isDone(doc())).toBe(false);
  });
});
