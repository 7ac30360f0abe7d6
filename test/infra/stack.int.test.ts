import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import {
  createTestTopics,
  deleteTestTopics,
  FAST_FAILING_CLIENT,
  testKafka,
  testKafkaConfig,
  testStack,
  uniqueName,
} from '../support/stack';
import { REPO_ROOT } from '../support/stack-settings';

/** The broker the tests found answers like Kafka (never mocked); a client aimed at nothing fails fast. */
const run = promisify(execFile);
const source = process.env.PASSERELLE_STACK_SOURCE;

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Consumes `count` records from the start of `topic` with a fresh group, then stops. */
async function consume(kafka: Kafka, topic: string, count: number): Promise<EachMessagePayload[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('passerelle-test-group'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length}/${count} records after 20 s`)), 20_000);
      consumer
        .run({
          eachMessage: async (payload) => {
            received.push(payload);
            if (received.length === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return received;
  } finally {
    await consumer.disconnect();
  }
}

describe('the test stack', () => {
  const created: string[] = [];
  afterAll(() => deleteTestTopics(created), 60_000);

  if (source === 'local') {
    // Only when the tests run on infra/stack.sh (not on containers or a stack given through the environment).
    it('infra/stack.sh status reports both services up, at the addresses the tests were given', async () => {
      const { stdout } = await run('bash', [join(REPO_ROOT, 'infra', 'stack.sh'), 'status']);
      const { brokers, registryUrl } = testStack();
      expect(stdout).toMatch(new RegExp(`^kafka: up \\(kafka 4\\.\\d+\\.\\d+, pid \\d+, bootstrap ${brokers[0]}\\)$`, 'm'));
      expect(stdout).toMatch(new RegExp(`^registry: up \\(apicurio-registry 3\\.\\d+\\.\\d+, pid \\d+, ${registryUrl}\\)$`, 'm'));
    });
  }

  it('round-trips keyed records through an idempotent producer and a consumer group, in order per key', async () => {
    const [topic] = await createTestTopics(['stack-roundtrip'], 3);
    if (!topic) throw new Error('no topic created');
    created.push(topic);
    const kafka = testKafka('passerelle-test-roundtrip');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = ['a', 'b', 'c'].flatMap((key) => [1, 2, 3].map((n) => ({ key, value: `${key}-${n}`, headers: { seq: String(n) } })));
    try {
      await producer.send({ topic, acks: -1, messages: sent });
    } finally {
      await producer.disconnect();
    }
    const received = await consume(kafka, topic, sent.length);
    const got = received.map(({ partition, message }) => ({
      partition,
      key: message.key?.toString(),
      value: message.value?.toString(),
      seq: message.headers?.seq?.toString(),
    }));
    expect(got.map(({ key, value, seq }) => ({ key, value, headers: { seq } }))).toEqual(expect.arrayContaining(sent));
    for (const key of ['a', 'b', 'c']) {
      const ofKey = got.filter((r) => r.key === key);
      expect(ofKey.map((r) => r.value)).toEqual([`${key}-1`, `${key}-2`, `${key}-3`]);
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
    }
  });

  it('accepts a 6 MiB record (message.max.bytes is 10 MiB) and gives it back whole', async () => {
    const [topic] = await createTestTopics(['stack-large'], 1);
    if (!topic) throw new Error('no topic created');
    created.push(topic);
    const kafka = testKafka('passerelle-test-large');
    const value = Buffer.alloc(6 * 1024 * 1024, 'x');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'large', value }] });
    } finally {
      await producer.disconnect();
    }
    const [record] = await consume(kafka, topic, 1);
    expect(record?.message.value?.length).toBe(value.length);
    expect(record?.message.value?.equals(value)).toBe(true);
  });

  it('a client aimed at a closed port fails within seconds with a connection error, not a hang', async () => {
    const port = await closedPort();
    const kafka = new Kafka({ ...testKafkaConfig('passerelle-test-closed', [`127.0.0.1:${port}`]), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const started = Date.now();
    const error = await producer.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    await producer.disconnect();
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded' });
    expect(String((error as Error).message)).toContain('ECONNREFUSED');
    // The retry budget (about 3 s with FAST_FAILING_CLIENT), well under Jest's 5 s default timeout.
    expect(FAST_FAILING_CLIENT.retry.retries).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(4_500);
  });
});
