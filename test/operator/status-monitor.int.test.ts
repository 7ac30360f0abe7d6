/**
 * scripts/status-monitor.ts, run as an operator runs it, against the real broker and registry: it follows a
 * deployment's `documents.status` and serves on /metrics how many documents are undelivered and the age of the
 * oldest (what the alert PasserelleOldestUndeliveredDocument reads); a document leaves once every route is delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pipelineCodec, topicNames } from '@passerelle/pipeline';
import type { DocumentStatus, StatusEntry } from '@passerelle/schemas';
import { testKafka, testStack } from '../support/stack';

jest.setTimeout(150_000);

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const DOC_A = '2.25.263458712949358120637741259046133717581';
const DOC_B = '2.25.263458712949358120637741259046133717999';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The value of one series in the monitor's /metrics, or undefined (not answering yet, or no such series). */
async function sample(port: number, series: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  } catch {
    return undefined;
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const entry = (state: string, stage: string, at: number, detail: string | null = null): StatusEntry => ({
  state,
  stage,
  at,
  detail,
  attempt: null,
});
const status = (documentId: string, history: StatusEntry[]): DocumentStatus => {
  const last = history[history.length - 1] as StatusEntry;
  return { documentId, eventId: randomUUID(), state: last.state, stage: last.stage, at: last.at, detail: last.detail, history };
};

describe('the status monitor (real broker)', () => {
  const stack = testStack();
  const prefix = `sm${randomUUID().slice(0, 8)}.`;
  const topic = topicNames(prefix).status;
  const kafka = testKafka('status-monitor-test');
  const producer = kafka.producer();
  const codec = pipelineCodec(stack.registryUrl);
  let child: ChildProcess | undefined;
  let port: number;
  let stderr = '';

  const publish = async (s: DocumentStatus) =>
    producer.send({ topic, messages: [{ key: s.documentId, value: await codec.encode(topic, s) }] });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await producer.connect();
    port = await freePort();
    child = spawn(TSX, [join(ROOT, 'scripts', 'status-monitor.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: stack.brokers.join(','),
        SCHEMA_REGISTRY_URL: stack.registryUrl,
        PASSERELLE_TOPIC_PREFIX: prefix,
        PASSERELLE_METRICS_PORT: String(port),
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }, 120_000);

  it('counts the undelivered documents and the age of the oldest, and lets a delivered one go', async () => {
    const now = Date.now();
    const routedA = [entry('composed', 'composer', now - 60_000), entry('routed', 'router', now - 59_000, 'dmp')];
    // B began an hour ago and waits in a retry tier of the dmp-gateway.
    const routedB = [entry('composed', 'composer', now - 3_600_000), entry('routed', 'router', now - 3_599_000, 'dmp')];
    await publish(status(DOC_A, routedA));
    await publish(status(DOC_B, [...routedB, entry('retrying', 'dmp-gateway', now - 3_000_000, 'DMP_UNAVAILABLE')]));

    const undelivered = 'passerelle_undelivered_documents{service="status-monitor"}';
    const oldest = 'passerelle_oldest_undelivered_seconds{service="status-monitor"}';
    await until(`2 undelivered (monitor stderr: ${stderr})`, async () => (await sample(port, undelivered)) === 2);
    expect(await sample(port, oldest)).toBeGreaterThanOrEqual(3_600);

    // B delivered: A is the oldest left (a minute old).
    await publish(status(DOC_B, [...routedB, entry('delivered', 'dmp-gateway', Date.now(), 'dmp: RegistryResponse Success')]));
    await until('1 undelivered', async () => (await sample(port, undelivered)) === 1);
    const age = (await sample(port, oldest)) as number;
    expect(age).toBeGreaterThanOrEqual(60);
    expect(age).toBeLessThan(3_600);

    await publish(status(DOC_A, [...routedA, entry('delivered', 'dmp-gateway', Date.now(), 'dmp: RegistryResponse Success')]));
    await until('none undelivered', async () => (await sample(port, undelivered)) === 0);
    expect(await sample(port, oldest)).toBe(0);
  });
});
