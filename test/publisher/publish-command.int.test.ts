/**
 * The `publish` command (scripts/publish.ts) as a user runs it, against the real broker and registry: the sample
 * events go out and read back equal under the schema ids that registration gave; a bad event prints `path: rule`,
 * exits 1 and publishes nothing; a dead broker gives a clear message and exit 1 within seconds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { EVENT_TOPICS, registerEventSchemas, type EventTopic } from '@passerelle/schemas';
import type { KafkaMessage } from 'kafkajs';
import { deleteTestTopics, testKafka, testStack, uniqueName } from '../support/stack';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'events');
const SAMPLES: ReadonlyArray<[file: string, topic: EventTopic]> = [
  ['vaccination.json', EVENT_TOPICS.vaccination],
  ['dispensation.json', EVENT_TOPICS.dispensation],
  ['medication-review.json', EVENT_TOPICS.medicationReview],
  ['pharmaceutical-interview.json', EVENT_TOPICS.medicationReview],
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function publishCommand(args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      TSX,
      [join(ROOT, 'scripts', 'publish.ts'), ...args],
      { cwd: ROOT, env: process.env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

const stack = testStack();
const prefix = `${uniqueName('publish-cli')}.`;
const topicOf = (topic: EventTopic): string => `${prefix}${topic}`;
const allTopics = Object.values(EVENT_TOPICS).map(topicOf);
let schemaIds: Record<EventTopic, number>;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'publish-cli-'));
  // The deployment's way: schemas registered (BACKWARD) and topics created before any LGO publishes.
  schemaIds = await registerEventSchemas(stack.registryUrl, { topicPrefix: prefix });
  const admin = testKafka('publish-cli-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: allTopics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}, 120_000);

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await deleteTestTopics(allTopics);
}, 60_000);

async function endOffsets(): Promise<Record<string, string[]>> {
  const admin = testKafka('publish-cli-admin').admin();
  await admin.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const topic of allTopics)
      out[topic] = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => o.high);
    return out;
  } finally {
    await admin.disconnect();
  }
}

async function readAll(count: number): Promise<Array<{ topic: string; partition: number; message: KafkaMessage }>> {
  const out: Array<{ topic: string; partition: number; message: KafkaMessage }> = [];
  const consumer = testKafka('publish-cli-reader').consumer({ groupId: uniqueName('publish-cli-reader') });
  await consumer.connect();
  try {
    for (const topic of allTopics) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} records`)), 20_000);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            out.push({ topic, partition, message });
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

describe('scripts/publish.ts', () => {
  it('publishes the sample events, one line each (topic, partition, offset, key), readable back equal', async () => {
    const files = SAMPLES.map(([file]) => join(FIXTURES, file));
    const run = await publishCommand([...files, '--test-platform', '--topic-prefix', prefix]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(SAMPLES.length);
    SAMPLES.forEach(([file, topic], i) => {
      expect(lines[i]).toMatch(
        new RegExp(
          `^${join(FIXTURES, file)}\\ttopic=${topicOf(topic).replace(/\./g, '\\.')}\\tpartition=\\d+\\toffset=\\d+\\tkey=[0-9a-f]{32}$`,
        ),
      );
    });

    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const records = await readAll(SAMPLES.length);
    for (const [file, topic] of SAMPLES) {
      const input = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { eventId: string };
      const record = records.find((r) => r.message.headers?.['event-id']?.toString() === input.eventId);
      expect(record?.topic).toBe(topicOf(topic));
      const value = record?.message.value as Buffer;
      // The id that registration gave: the command looked the schema up, it did not register another version.
      expect(value.readInt32BE(1)).toBe(schemaIds[topic]);
      expect(await registry.decode(value)).toEqual(input);
    }
  });

  it('prints each path: rule of a bad event, exits 1 and publishes nothing (not even the good files)', async () => {
    const before = await endOffsets();
    const bad = JSON.parse(readFileSync(join(FIXTURES, 'vaccination.json'), 'utf8'));
    bad.patient.birthDate = '15/03/1979';
    bad.author.rpps = '42';
    const badFile = join(scratch, 'bad-vaccination.json');
    writeFileSync(badFile, JSON.stringify(bad));

    const run = await publishCommand([join(FIXTURES, 'dispensation.json'), badFile, '--test-platform', '--topic-prefix', prefix]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${badFile}: patient.birthDate: must be a date YYYY-MM-DD`);
    expect(run.stderr).toContain(`${badFile}: author.rpps: must be an RPPS number of 11 digits`);
    expect(run.stderr).toContain('nothing published: 2 problems');
    expect(run.stderr).not.toContain('15/03/1979');
    expect(await endOffsets()).toEqual(before);
  });

  it('exits 1 with a clear message, quickly, when the broker is down', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const run = await publishCommand([
      join(FIXTURES, 'vaccination.json'),
      '--test-platform',
      '--topic-prefix',
      prefix,
      '--brokers',
      `127.0.0.1:${port}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(
      new RegExp(`^error \\[BROKER_UNAVAILABLE\\]: Kafka broker unreachable at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    // Node and tsx start-up included; the broker part is bounded by the publisher's connection retries.
    expect(run.ms).toBeLessThan(15_000);
  });
});
