import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import pino from 'pino';
import { createKafka } from './config';
import { PermanentError, TransientError } from './errors';
import { H } from './headers';
import { runService, type RunningService, type ServiceDefinition } from './service';

// A service run the way `main.ts` runs one (its own Prometheus registry, PASSERELLE_METRICS_PORT), scraped over HTTP.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The value of one series in an exposition text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a service exposes /metrics, /readyz and /livez (real broker)', () => {
  const prefix = `m${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers, clientId: 'metrics-test', ssl: false });
  let service: RunningService;
  let port: number;
  let startedAt: number;
  let readyAfterMs: number;

  // Copies each raw record from `in` to `out`; "poison" is a permanent error, "flaky" a transient one.
  const echo: ServiceDefinition<Buffer> = {
    name: 'echo',
    raw: true,
    schemaOf: () => undefined,
    inputTopics: ({ config }) => [`${config.topicPrefix}in`],
    topics: ({ config }) => ['in', 'in.retry.1m', 'in.dlq', 'out'].map((t) => ({ topic: `${config.topicPrefix}${t}`, partitions: 2 })),
    handler:
      ({ config }) =>
      (record) => {
        const text = record.value.toString();
        if (text === 'poison') throw new PermanentError('TEST_POISON', 'the test says so');
        if (text === 'flaky') throw new TransientError('TEST_FLAKY', 'the test says so');
        return [{ topic: `${config.topicPrefix}out`, key: record.key, value: record.value, headers: record.headers }];
      },
  };

  beforeAll(async () => {
    port = await freePort();
    startedAt = Date.now();
    service = await runService(echo, {
      env: { ...process.env, PASSERELLE_METRICS_PORT: String(port) },
      topicPrefix: prefix,
      logger: pino({ level: 'silent' }),
      config: { brokers, registryUrl, tiers: [{ name: '1m', delayMs: 60_000 }] },
    });
    expect(service.port).toBe(port);
    await until('/readyz to answer 200', async () => ((await get(port, '/readyz')).status === 200 ? true : undefined));
    readyAfterMs = Date.now() - startedAt;
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
  }, 30_000);

  it('is live, then ready once in its group', async () => {
    expect(await get(port, '/livez')).toEqual({ status: 200, body: 'live\n' });
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
    expect((await get(port, '/nothing')).status).toBe(404);
    // Not a timed assertion (the machine is shared): the figure goes to the README's performance table.
    process.stdout.write(`echo service: topics ensured, started and in its group ${readyAfterMs} ms after runService\n`);
    expect(readyAfterMs).toBeGreaterThan(0);
  });

  it('counts records by topic and outcome, failures by code, and reports lag per partition', async () => {
    const input = `${prefix}in`;
    const producer = kafka.producer();
    await producer.connect();
    const values = ['a', 'b', 'poison', 'c', 'flaky'];
    await producer.send({
      topic: input,
      messages: values.map((v, i) => ({ key: `k${i % 2}`, value: Buffer.from(v), headers: { [H.eventId]: randomUUID() } })),
    });
    await producer.disconnect();

    const text = await until('every record to be counted', async () => {
      const { body } = await get(port, '/metrics');
      const ok = sample(body, `passerelle_records_consumed_total{service="echo",topic="${input}",outcome="ok"}`);
      const failed = sample(body, `passerelle_records_consumed_total{service="echo",topic="${input}",outcome="failed"}`);
      // Consumed counts as records are handled; produced once their transaction has committed.
      const produced = sample(body, `passerelle_records_produced_total{service="echo",topic="${prefix}out",outcome="ok"}`);
      const dead = sample(body, `passerelle_records_produced_total{service="echo",topic="${input}.dlq",outcome="dead-letter"}`);
      return ok === 3 && failed === 2 && produced === 3 && dead === 1 ? body : undefined;
    });
    expect(sample(text, `passerelle_failures_total{service="echo",topic="${input}",code="TEST_POISON",outcome="dead-letter"}`)).toBe(1);
    expect(sample(text, `passerelle_failures_total{service="echo",topic="${input}",code="TEST_FLAKY",outcome="retry"}`)).toBe(1);
    expect(sample(text, `passerelle_records_produced_total{service="echo",topic="${prefix}out",outcome="ok"}`)).toBe(3);
    expect(sample(text, `passerelle_records_produced_total{service="echo",topic="${input}.dlq",outcome="dead-letter"}`)).toBe(1);
    expect(sample(text, `passerelle_records_produced_total{service="echo",topic="${input}.retry.1m",outcome="retry"}`)).toBe(1);
    expect(sample(text, `passerelle_batch_duration_seconds_count{service="echo",topic="${input}"}`)).toBeGreaterThan(0);
    // Lag per partition, from the consumer's batches: the records were consumed, so what is left is nothing.
    const lag = text.split('\n').filter((l) => l.startsWith(`passerelle_consumer_lag{service="echo",topic="${input}",partition=`));
    expect(lag.length).toBeGreaterThan(0);
    for (const line of lag) expect(line).toMatch(/partition="\d+"} 0$/);
    // The process's own metrics (resident memory: DESIGN §8's budget) come with them.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  }, 60_000);

  it('closes the HTTP server when stopped', async () => {
    await service.stop();
    await expect(get(port, '/livez')).rejects.toThrow();
  }, 30_000);
});
