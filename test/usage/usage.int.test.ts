/**
 * The usage counters against the real broker (issue 15, item 1): statuses written by transactions as the stages
 * write them, an aborted transaction, a record written twice; the consumer (UsageView) catches up, follows a later
 * delivery, and a second view rebuilt from the topic lands on the same figures; `passerelle usage` prints them.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pipelineCodec, statusRecord, topicNames, usageHeaders, UsageView, type UsageFacts } from '@passerelle/pipeline';
import type { StatusEntry } from '@passerelle/schemas';
import type { Producer } from 'kafkajs';
import { testKafka, testStack, uniqueName } from '../support/stack';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const { brokers, registryUrl } = testStack();
const prefix = `${uniqueName('usage')}.`;
const topics = topicNames(prefix);
const kafka = testKafka('usage-test');
const codec = pipelineCodec(registryUrl);
const AT = Date.UTC(2026, 10, 10, 9);
const A = '010000001';
const B = '020000002';

let producer: Producer;
const views: UsageView[] = [];

/** Writes the statuses of documents in one transaction, committed or aborted. */
async function write(docs: { id: string; facts: UsageFacts; steps: [string, string, string | null][] }[], commit = true): Promise<void> {
  const txn = await producer.transaction();
  const messages = [];
  for (const d of docs) {
    let history: StatusEntry[] = [];
    for (const [i, [state, stage, detail]] of d.steps.entries()) {
      const s = statusRecord(topics.status, {
        documentId: d.id,
        eventId: `ev-${d.id}`,
        state: state as never,
        stage,
        detail,
        history,
        at: AT + i,
        carry: usageHeaders(d.facts),
      });
      history = [...history, s.entry];
      messages.push({ key: d.id, value: await codec.encode(topics.status, s.record.value), headers: s.record.headers });
    }
  }
  await txn.send({ topic: topics.status, messages });
  if (commit) await txn.commit();
  else await txn.abort();
}

const upToRouted = (routes: string): [string, string, string | null][] => [
  ['composed', 'composer', null],
  ['signed', 'signer', null],
  ['routed', 'router', routes],
];

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: topics.status, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  producer = kafka.producer({ transactionalId: `${prefix}writer`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await Promise.all(views.map((v) => v.stop().catch(() => undefined)));
  await producer?.disconnect();
}, 120_000);

const review: UsageFacts = { finess: A, kind: 'medication-review' };
const dispensation = (prescription: UsageFacts['prescription']): UsageFacts => ({ finess: B, kind: 'dispensation', prescription });

it('counts each document once per pharmacy and month, follows deliveries, and rebuilds the same figures from the topic', async () => {
  await write([
    { id: 'r1', facts: review, steps: [...upToRouted('dmp'), ['delivered', 'dmp-gateway', 'dmp: OK']] },
    { id: 'r2', facts: review, steps: [...upToRouted('dmp'), ['delivered', 'dmp-gateway', 'dmp: OK']] },
    { id: 'r3', facts: review, steps: upToRouted('dmp') },
    {
      id: 'd1',
      facts: dispensation('e-prescription'),
      steps: [...upToRouted('mss:patient'), ['delivered', 'mss-gateway', 'mss:patient: 250 q']],
    },
    { id: 'd2', facts: dispensation('paper'), steps: [...upToRouted('dmp'), ['dead-lettered', 'dmp-gateway', 'DMP_REFUSED']] },
  ]);
  // A stage's transaction that aborted: its statuses never count.
  await write(
    [{ id: 'ghost', facts: { finess: '990000009', kind: 'dispensation', prescription: 'none' }, steps: upToRouted('dmp') }],
    false,
  );
  // The same records again (a producer's retry, a replay): nothing counts twice.
  await write([{ id: 'r1', facts: review, steps: [...upToRouted('dmp'), ['delivered', 'dmp-gateway', 'dmp: OK']] }]);

  const view = new UsageView(kafka, codec, topics.status);
  views.push(view);
  await view.start();
  await view.caughtUp(60_000);
  const first = view.ledger.report();
  expect(first.pharmacies.map((p) => `${p.finess} ${p.month} ${p.documents}`)).toEqual([`${A} 2026-11 3`, `${B} 2026-11 2`]);
  const a = first.pharmacies[0];
  expect(a?.indicators[0]).toMatchObject({ id: 'dmp', numerator: 2, denominator: 3, met: false, missing: 1 });
  const b = first.pharmacies[1];
  expect(b).toMatchObject({ sent: 2, delivered: 1, failed: 1 });
  expect(b?.indicators.map((i) => [i.id, i.numerator, i.denominator, i.met])).toEqual([
    ['dmp', 0, 0, null],
    ['mss', 1, 2, true],
    ['e-prescription', 1, 2, false],
  ]);

  // r3 is delivered later: the DMP target is met, and r3 is still one document.
  await write([{ id: 'r3', facts: review, steps: [...upToRouted('dmp'), ['delivered', 'dmp-gateway', 'dmp: OK']] }]);
  await view.caughtUp(60_000);
  const later = view.ledger.report({ finess: A });
  expect(later.pharmacies[0]).toMatchObject({ documents: 3, delivered: 3 });
  expect(later.pharmacies[0]?.indicators[0]).toMatchObject({ numerator: 3, denominator: 3, met: true, missing: 0 });

  // Rebuilt: a new view replays the topic and lands on the same figures.
  const rebuilt = new UsageView(kafka, codec, topics.status);
  views.push(rebuilt);
  await rebuilt.start();
  await rebuilt.caughtUp(60_000);
  expect(rebuilt.ledger.report()).toEqual(view.ledger.report());

  // The operator command prints the same figures.
  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, PASSERELLE_TOPIC_PREFIX: prefix };
  const cli = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        TSX,
        [join(ROOT, 'scripts', 'passerelle.ts'), 'usage', ...args],
        { cwd: ROOT, env, timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`passerelle usage: ${err.message} ${stderr}`)) : resolve(stdout)),
      ),
    );
  expect(JSON.parse(await cli(['--json']))).toEqual(view.ledger.report());
  const csv = (await cli(['--finess', B, '--month', '2026-11', '--csv'])).trim().split('\n');
  expect(csv).toEqual([
    'finess,month,documents,sent,delivered,failed,indicator,numerator,denominator,rate,target_percent,met,missing,remuneration_eur',
    `${B},2026-11,2,2,1,1,dmp,0,0,,90,,0,100`,
    `${B},2026-11,2,2,1,1,mss,1,2,0.5000,5,true,0,240`,
    `${B},2026-11,2,2,1,1,e-prescription,1,2,0.5000,70,false,1,`,
  ]);
  const text = await cli(['--finess', A]);
  expect(text).toContain(`${A} 2026-11: 3 documents (medication-review 3); sent 3, delivered 3, failed 0`);
  expect(text).toMatch(/dmp +100\.0 % of 3 \(target 90 % \(100 €\/year\)\): met/);
});
