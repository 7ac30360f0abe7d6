import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { groupAtEnd, readToEnd } from '../../../test/support/read-to-end';
import { RegistryCodec } from './codec';
import { createKafka } from './config';
import { createStage, type Stage, type StageOptions } from './stage';
import { itemSchema } from './test-schema';
import { dlqTopic, ensureTopics, retryTopic, type RetryTier } from './topics';

// `shared` transactions (KIP-447) in the two cases where exactly once depends on the broker's checks, each made to
// happen rather than left to chance: the partition's previous owner's transaction is still pending when the partition
// is read (the stable read must wait for it), and a member left out of a rebalance commits after the group went on
// without it (its offsets must be refused). Without either check, both tests duplicate records.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const tiers: RetryTier[] = [{ name: '1s', delayMs: 1_000 }];
const codec = RegistryCodec.connect(registryUrl, itemSchema);
const client = createKafka({ brokers, clientId: 'stage-shared-test', ssl: false }, pino({ level: 'silent' }));

async function prepare(inputs: number) {
  const p = `s${randomUUID().slice(0, 8)}.`;
  const [input, output, groupId] = [`${p}in`, `${p}out`, `${p}shared-test`];
  const admin = client.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [input, output, retryTopic(input, tiers[0] as RetryTier), dlqTopic(input)].map((topic) => ({ topic, partitions: 1 })),
  );
  await admin.disconnect();
  const producer = client.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: input, messages: Array.from({ length: inputs }, (_, i) => ({ key: 'k', value: `input-${i}` })) });
  await producer.disconnect();
  return { input, output, groupId };
}

function stage(t: { input: string; output: string; groupId: string }, name: string, handle: StageOptions<Buffer>['handle']): Stage {
  return createStage<Buffer>({
    name: 'shared-test',
    groupId: t.groupId,
    kafka: createKafka({ brokers, clientId: `shared-${name}`, ssl: false }, pino({ level: 'silent' })),
    codec,
    inputTopics: [t.input],
    tiers,
    raw: true,
    transactions: 'shared',
    rebalanceTimeoutMs: 8_000,
    logger: pino({ level: 'silent' }),
    handle,
  });
}

/** The output's values, read committed, once the group has committed the input's end. */
async function outputs(t: { input: string; output: string; groupId: string }): Promise<string[]> {
  const deadline = Date.now() + 90_000;
  while (!(await groupAtEnd(client, t.groupId, [t.input]))) {
    if (Date.now() > deadline) throw new Error(`group ${t.groupId} did not reach the end of ${t.input} within 90 s`);
    await sleep(250); // not handled yet: poll again
  }
  const { records } = await readToEnd(client, [t.output], { timeoutMs: 60_000 });
  return records.map((r) => String(r.message.value));
}

const copy = (t: { output: string }) => (r: { key: Buffer | null; value: Buffer }) => [{ topic: t.output, key: r.key, value: r.value }];

describe('stage (shared transactions): the cases KIP-447 is for (real broker)', () => {
  const running: Stage[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  }, 60_000);

  it("waits for the previous owner's pending transaction before it reads where to start", async () => {
    const t = await prepare(10);
    // The previous owner: a transaction carrying the group's offset 5 for the partition, not yet committed.
    const previous = client.producer({ transactionalId: `${t.groupId}.previous`, idempotent: true, maxInFlightRequests: 1 });
    await previous.connect();
    const txn = await previous.transaction();
    await txn.sendOffsets({ consumerGroupId: t.groupId, topics: [{ topic: t.input, partitions: [{ partition: 0, offset: '5' }] }] });
    const s = stage(t, 'next', copy(t));
    running.push(s);
    await s.start(); // joins; the committed offset it reads at the join is none (-1): records 0-4 would be handled again
    await sleep(3_000);
    await txn.commit(); // records 0-4 were the previous owner's: committed now
    await previous.disconnect();
    expect(await outputs(t)).toEqual(['input-5', 'input-6', 'input-7', 'input-8', 'input-9']);
  }, 120_000);

  it("refuses the transaction of a member the group went on without (a zombie's), whose records the others handled", async () => {
    const t = await prepare(20);
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const a = stage(t, 'a', async (r) => {
      if (first) {
        first = false;
        await blocked; // a is busy in its first record past the rebalance timeout: the group goes on without it
      }
      return copy(t)(r);
    });
    running.push(a);
    await a.start();
    for (let waited = 0; first && waited < 30_000; waited += 100) await sleep(100); // a holds its first record
    const b = stage(t, 'b', copy(t));
    running.push(b);
    await b.start(); // the rebalance waits 8 s for a, then gives b the partition: b handles all 20
    for (let waited = 0; !(await groupAtEnd(client, t.groupId, [t.input])) && waited < 60_000; waited += 250) await sleep(250);
    release(); // a commits its first record now, as the member of a generation that is over
    await sleep(3_000);
    const values = await outputs(t);
    expect(values.filter((v) => v === 'input-0')).toHaveLength(1);
    expect([...values].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `input-${i}`).sort());
  }, 150_000);
});
