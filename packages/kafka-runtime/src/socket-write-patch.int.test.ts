import { randomBytes, randomUUID } from 'node:crypto';
import { createKafka } from './config';
import { readToEnd } from './read-topic';

// patches/kafkajs+2.2.4.patch keeps a request's large values by reference in the encoder (its parts) and joins them
// once for the socket. The broker checks each batch's CRC and sizes (CORRUPT_MESSAGE otherwise): this sends, in one
// transaction, requests of few and of many parts (1,400 and more) over several topics
// and partitions, and reads every record back.
describe('requests of many parts (real broker, patched kafkajs)', () => {
  it('delivers records of every size, keys and headers included, byte for byte', async () => {
    const kafka = createKafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
      clientId: 'socket-write-test',
      ssl: false,
    });
    const topics = [`socket-write-${randomUUID()}`, `socket-write-${randomUUID()}`];
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: `${topics[0]}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Sizes around the encoder's 4 KiB by-reference threshold, up to 600 KB (under the broker's 1 MiB per batch); then 700 values of 5 KB in one
    // request (1,400 parts and more).
    const sizes = [0, 10, 4_095, 4_096, 4_097, 25_000, 70_000, 600_000, 3];
    const sent = new Map<string, { value: Buffer; header: string }>();
    const message = (value: Buffer) => {
      const key = randomUUID();
      const header = randomBytes(8).toString('hex');
      sent.set(key, { value, header });
      return { key, value, headers: { h: header } };
    };
    try {
      const txn = await producer.transaction();
      await txn.sendBatch({
        acks: -1,
        topicMessages: topics.map((topic) => ({ topic, messages: sizes.map((n) => message(randomBytes(n))) })),
      });
      await txn.sendBatch({
        acks: -1,
        topicMessages: [{ topic: topics[1] as string, messages: Array.from({ length: 700 }, () => message(randomBytes(5_000))) }],
      });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }

    // The commit has returned, but the broker writes the transaction's markers after answering: until they are
    // written, a partition's end offset (read committed) stops short of its records. So read to the end again
    // (bounded) until every record sent is there.
    let records: Awaited<ReturnType<typeof readToEnd>>['records'] = [];
    const deadline = Date.now() + 60_000;
    while (records.length < sent.size && Date.now() < deadline) {
      if (records.length > 0) await new Promise((r) => setTimeout(r, 200));
      records = (await readToEnd(kafka, topics, { timeoutMs: 60_000 })).records;
    }
    const got = new Set(records.map((r) => String(r.message.key)));
    expect([...sent].filter(([k]) => !got.has(k)).map(([, v]) => v.value.length)).toEqual([]);
    expect(records).toHaveLength(sent.size);
    const mismatched = records.filter((r) => {
      const expected = sent.get(String(r.message.key));
      return !expected || !r.message.value?.equals(expected.value) || String(r.message.headers?.h) !== expected.header;
    });
    expect(mismatched.map((r) => `${r.topic}:${r.partition}@${r.message.offset}`)).toEqual([]);
    expect(new Set(records.map((r) => String(r.message.key))).size).toBe(sent.size);
  }, 180_000);
});
