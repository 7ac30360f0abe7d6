import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { groupAtEnd, readToEnd } from '../../../test/support/read-to-end';
import { RegistryCodec } from './codec';
import { createKafka } from './config';
import { H } from './headers';
import { createStage, type Stage } from './stage';
import { itemSchema, type Item } from './test-schema';
import { TransientError } from './errors';
import { dlqTopic, ensureTopics, retryTopic, type RetryTier } from './topics';

// Real broker and registry (found by test/setup/global-setup.ts). Every topic carries the tests' own Item record.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const tiers: RetryTier[] = [{ name: '1s', delayMs: 1_000 }];

const status = (documentId: string, state = 'composed'): Item => ({ documentId, eventId: `e-${documentId}`, state });

/**
 * Everything committed to `topic` once the stage has handled every record of its input: waits (bounded) until the
 * stage's group has committed offsets at the input's end offsets (its outputs commit in the same transactions) and
 * `expected` records are there, then returns what a read-committed reader read up to the topic's end offsets, so a
 * duplicate, were there one, is counted.
 */
async function readAll(kafka: Kafka, topic: string, expected: number, handledBy: { groupId: string; input: string }, timeoutMs = 50_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Checked before reading: the read then covers every output of the input the stage had handled.
    const handled = await groupAtEnd(kafka, handledBy.groupId, [handledBy.input]);
    const { records } = await readToEnd(kafka, [topic], { timeoutMs: Math.max(1_000, deadline - Date.now()) });
    if (handled && records.length >= expected) {
      return records.map(({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        return { key: message.key?.toString() ?? null, value: message.value as Buffer, headers };
      });
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${expected} records on ${topic} (stage caught up: ${handled}, read ${records.length})`,
      );
    }
    await new Promise((r) => setTimeout(r, 200)); // not there yet: poll again
  }
}

/** A test stage's input, output, retry and dead-letter topics, with `partitions` each. */
async function createTopics(kafka: Kafka, input: string, output: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [input, output, retryTopic(input, tiers[0] as RetryTier), dlqTopic(input)].map((topic) => ({ topic, partitions })),
  );
  await admin.disconnect();
}

describe('stage (real broker)', () => {
  const p = `t${randomUUID().slice(0, 8)}.`;
  const input = `${p}in`;
  const output = `${p}out`;
  const kafka = createKafka({ brokers, clientId: 'stage-test', ssl: false });
  const codec = RegistryCodec.connect(registryUrl, itemSchema);
  // The group the stage below consumes `input` with, for readAll to know when it has handled everything.
  const handledBy = { groupId: `${p}stage-test`, input };
  let stage: Stage;

  beforeAll(async () => {
    await createTopics(kafka, input, output, 2);
    stage = createStage<Item>({
      name: 'stage-test',
      groupId: `${p}stage-test`,
      kafka,
      codec,
      inputTopics: [input],
      tiers,
      logger: pino({ level: 'silent' }),
      handle: (r) => {
        if (r.value.state === 'flaky') throw new TransientError('DOWNSTREAM_TIMEOUT', 'downstream timed out');
        // A Node system error (ENOENT, as EACCES from a key store would be): not ours, so transient.
        if (r.value.state === 'unreadable') readFileSync(join(tmpdir(), `passerelle-missing-${randomUUID()}`, 'key.p12'));
        return [{ topic: output, key: r.key, value: { ...r.value, state: 'routed' }, headers: { [H.documentId]: r.value.documentId } }];
      },
    });
    await stage.start();
  }, 60_000);

  afterAll(async () => {
    await stage?.stop();
  }, 60_000);

  it('transforms good records exactly once and dead-letters poison with the reason, byte for byte', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const good = await Promise.all(Array.from({ length: 50 }, (_, i) => codec.encode(input, status(`d${i}`))));
    const unknownSchema = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
    const notAvro = Buffer.from('{"this": "is JSON, not Avro"}');
    await producer.send({
      topic: input,
      messages: [
        ...good.slice(0, 25).map((value, i) => ({ key: `k${i % 5}`, value })),
        { key: 'poison-1', value: notAvro, headers: { [H.eventId]: 'e-poison-1' } },
        { key: 'poison-2', value: unknownSchema },
        ...good.slice(25).map((value, i) => ({ key: `k${i % 5}`, value })),
      ],
    });
    await producer.disconnect();

    const out = await readAll(kafka, output, 50, handledBy);
    expect(out).toHaveLength(50);
    const decoded = await Promise.all(out.map((m) => codec.decode<Item>(output, m.value)));
    expect(new Set(decoded.map((d) => d.documentId)).size).toBe(50);
    expect(decoded.every((d) => d.state === 'routed')).toBe(true);

    const dead = await readAll(kafka, dlqTopic(input), 2, handledBy);
    expect(dead).toHaveLength(2);
    const byKey = new Map(dead.map((d) => [d.key, d]));
    expect(byKey.get('poison-1')?.value.equals(notAvro)).toBe(true);
    expect(byKey.get('poison-1')?.headers[H.errorCode]).toBe('NOT_AVRO');
    expect(byKey.get('poison-1')?.headers[H.eventId]).toBe('e-poison-1');
    expect(byKey.get('poison-1')?.headers[H.originTopic]).toBe(input);
    expect(byKey.get('poison-2')?.value.equals(unknownSchema)).toBe(true);
    expect(byKey.get('poison-2')?.headers[H.errorCode]).toBe('UNKNOWN_SCHEMA');
    expect(byKey.get('poison-2')?.headers[H.errorClass]).toBe('permanent');
  }, 120_000);

  it('sends a transient failure to the retry tier with its attempt and due time, then to the dead letters past the last tier', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: input, messages: [{ key: 'flaky', value: await codec.encode(input, status('flaky', 'flaky')) }] });
    const retried = await readAll(kafka, retryTopic(input, tiers[0] as RetryTier), 1, handledBy);
    expect(retried).toHaveLength(1);
    const h = retried[0]!.headers;
    expect(h[H.errorCode]).toBe('DOWNSTREAM_TIMEOUT');
    expect(h[H.attempt]).toBe('1');
    expect(Number(h[H.dueAt]) - Number(h[H.lastFailureAt])).toBe(1_000);

    // Redelivered by hand (the retrier's job, tested end to end elsewhere): attempt 2 is past the only tier.
    await producer.send({ topic: input, messages: [{ key: 'flaky', value: retried[0]!.value, headers: retried[0]!.headers }] });
    await producer.disconnect();
    const dead = await readAll(kafka, dlqTopic(input), 3, handledBy);
    const flaky = dead.find((d) => d.key === 'flaky');
    expect(flaky?.headers[H.attempt]).toBe('2');
    expect(flaky?.headers[H.firstFailureAt]).toBe(h[H.firstFailureAt]);
    expect(flaky?.headers[H.dueAt]).toBeUndefined();
    expect(stage.isLive()).toBe(true);
  }, 120_000);

  it('sends a Node system error thrown by the handler through the retry tiers, not to the dead letters', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [{ key: 'unreadable', value: await codec.encode(input, status('unreadable', 'unreadable')) }],
    });
    await producer.disconnect();
    const retried = (await readAll(kafka, retryTopic(input, tiers[0] as RetryTier), 2, handledBy)).find((m) => m.key === 'unreadable');
    expect(retried?.headers).toMatchObject({
      [H.errorCode]: 'UNEXPECTED',
      [H.errorClass]: 'transient',
      [H.errorMessage]: 'unexpected Error (ENOENT)',
      [H.attempt]: '1',
    });
  }, 120_000);
});

describe('stage transactions (real broker)', () => {
  const p = `t${randomUUID().slice(0, 8)}.`;
  const input = `${p}in`;
  const output = `${p}out`;
  const kafka = createKafka({ brokers, clientId: 'stage-budget-test', ssl: false });
  const codec = RegistryCodec.connect(registryUrl, itemSchema);
  const handledBy = { groupId: `${p}stage-budget`, input };
  /** Input records per committed transaction, as the stage reports them */
  const transactions: number[] = [];
  let stage: Stage;

  beforeAll(async () => {
    await createTopics(kafka, input, output, 1);
    stage = createStage<Item>({
      name: 'stage-budget',
      groupId: handledBy.groupId,
      kafka,
      codec,
      inputTopics: [input],
      tiers,
      logger: pino({ level: 'silent' }),
      maxBatchBytes: 10_000,
      metrics: { consumed() {}, produced() {}, failed() {}, batch: (_topic, records) => void transactions.push(records) },
      // Each record becomes one output of ~3 KB (a composer's is ~25 KB for a few-KB event); a record asking for an
      // output its schema refuses (state null) cannot be encoded.
      handle: (r) => [
        {
          topic: output,
          key: r.key,
          value: { ...r.value, state: r.value.state === 'unencodable' ? null : 'x'.repeat(3_000) },
          headers: { [H.documentId]: r.value.documentId },
        },
      ],
    });
    await stage.start();
  }, 60_000);

  afterAll(async () => {
    await stage?.stop();
  }, 60_000);

  it('ends a transaction at its output byte budget, and fails alone a record whose output cannot be encoded', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const values = await Promise.all(
      Array.from({ length: 40 }, (_, i) => codec.encode(input, status(`b${i}`, i === 17 ? 'unencodable' : 'composed'))),
    );
    await producer.send({ topic: input, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
    await producer.disconnect();

    const out = await readAll(kafka, output, 39, handledBy);
    const ids = (await Promise.all(out.map((m) => codec.decode<Item>(output, m.value)))).map((d) => d.documentId);
    expect(new Set(ids).size).toBe(39);
    expect(ids).not.toContain('b17');
    const [failed] = await readAll(kafka, dlqTopic(input), 1, handledBy);
    expect(failed?.key).toBe('k17');
    expect(failed?.value.equals(values[17] as Buffer)).toBe(true);
    expect(failed?.headers).toMatchObject({ [H.errorClass]: 'permanent', [H.errorCode]: 'OUTPUT_INVALID' });
    // 3 KB per output, 10,000 bytes per transaction: the fourth output passes the budget and ends the transaction (the
    // transaction of the failed record has a fifth, its small dead-letter copy).
    expect(transactions.reduce((a, b) => a + b, 0)).toBe(40);
    expect(transactions.filter((n) => n > 4).length).toBeLessThanOrEqual(1);
    expect(Math.max(...transactions)).toBeLessThanOrEqual(5);
    expect(transactions.length).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
