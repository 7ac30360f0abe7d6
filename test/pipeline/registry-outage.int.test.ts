import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, dlqTopic, H, RegistryCodec } from '@passerelle/kafka-runtime';
import { schemaOfTopic, subjectOf, type DocumentStatus, type VaccinationEvent } from '@passerelle/schemas';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { createTestPki } from '@passerelle/testing';
import { eventKey } from '@passerelle/publisher';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local-pipeline';
import { brokers, collector, encodeEvents, latestStatuses, readCommitted, registryUrl, sample, send, waitFor } from './harness';
import { pipelineCodec, replayDeadLetters } from '@passerelle/pipeline';

/**
 * The registry unavailable for a while: the pipeline reaches the real registry through a TCP relay that the test
 * closes and reopens (nothing is mocked: the relay passes bytes, or refuses connections).
 */
class Relay {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  /** Chosen by the OS when first up (0 until then), kept for every later up: the pipeline is configured with it. */
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}
  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

/** A compatible new version of the vaccination schema: its id is one the pipeline has never fetched. */
async function registerNewVersion(codec: RegistryCodec, topic: string, field: string): Promise<number> {
  const schema = structuredClone(schemaOfTopic(topic)) as { fields: unknown[] };
  schema.fields.push({ name: field, type: ['null', 'string'], default: null });
  const { id } = await codec.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: subjectOf(topic) });
  return id;
}

function wire(id: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  return Buffer.concat([header, body]);
}

describe('registry unavailable for a while (real broker and registry, through a relay)', () => {
  const prefix = `reg${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers, clientId: 'outage-test', ssl: false });
  const codec = pipelineCodec(registryUrl);
  const target = new URL(registryUrl);
  const relay = new Relay({ host: target.hostname, port: Number(target.port) });
  const work = mkdtempSync(join(tmpdir(), 'passerelle-outage-'));
  let pipeline: LocalPipeline;
  let out: Awaited<ReturnType<typeof collector>>;

  const statusOf = async (eventId: string): Promise<DocumentStatus | undefined> =>
    (await latestStatuses(codec, out.of(pipeline.topics.status))).get(eventId);

  /** An event written with a schema version the pipeline has not seen: decoding it needs the registry. */
  async function sendWithNewSchema(field: string): Promise<VaccinationEvent> {
    const event = sample<VaccinationEvent>('vaccination');
    const topic = pipeline.topics.vaccination;
    const id = await registerNewVersion(codec, topic, field);
    const type = (await codec.registry.getSchema(id)) as unknown as { toBuffer(v: unknown): Buffer };
    await send(kafka, [
      { topic, key: eventKey(event), value: wire(id, type.toBuffer({ ...event, [field]: null })), headers: { [H.eventId]: event.eventId } },
    ]);
    return event;
  }

  beforeAll(async () => {
    const pki = await createTestPki(join(work, 'pki'), ['750100208'], { broken: false });
    await relay.up();
    pipeline = await startLocalPipeline({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      prefix,
      tiers: '2s,4s',
      env: { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${relay.port}${target.pathname}` },
    });
    out = await collector(kafka, [pipeline.topics.status, pipeline.topics.dmp, dlqTopic(pipeline.topics.vaccination)]);
    // One document through while the registry answers: every stage learns its output schemas.
    const warm = sample<VaccinationEvent>('vaccination');
    await send(kafka, await encodeEvents(codec, pipeline.topics, [warm]));
    await waitFor('the first document to be routed', async () => (await statusOf(warm.eventId))?.state === 'routed');
  }, 120_000);

  afterAll(async () => {
    await out?.stop();
    await pipeline?.stop();
    await relay.down();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('retries through the tiers while the registry is away, and delivers once it is back', async () => {
    await relay.down();
    const event = await sendWithNewSchema('outageA');
    await waitFor('a retry for the unavailable registry', async () => (await statusOf(event.eventId))?.detail === 'REGISTRY_UNAVAILABLE');
    expect((await statusOf(event.eventId))?.state).toBe('retrying');
    await relay.up();
    await waitFor('the document to be routed', async () => (await statusOf(event.eventId))?.state === 'routed', 60_000);
  }, 90_000);

  it('dead-letters past the last tier, and a replay after recovery delivers exactly once', async () => {
    await relay.down();
    const event = await sendWithNewSchema('outageB');
    await waitFor('the dead letter', async () => (await statusOf(event.eventId))?.state === 'dead-lettered', 60_000);
    // The status is readable a moment before the dead-letter partition's transaction marker: read again until it is there.
    let dead: Awaited<ReturnType<typeof readCommitted>> = [];
    await waitFor('the dead letter to be readable', async () => {
      dead = (await readCommitted(kafka, [dlqTopic(pipeline.topics.vaccination)])).filter((d) => d.headers[H.eventId] === event.eventId);
      return dead.length > 0;
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]?.headers[H.errorCode]).toBe('REGISTRY_UNAVAILABLE');
    expect(dead[0]?.headers[H.attempt]).toBe('3');
    await relay.up();
    const replayed = await replayDeadLetters(kafka, codec, pipeline.topics, { code: 'REGISTRY_UNAVAILABLE' });
    expect(replayed.map((d) => d.eventId)).toEqual([event.eventId]);
    await waitFor('the replayed document to be routed', async () => (await statusOf(event.eventId))?.state === 'routed', 60_000);
    // Routed, so its DMP record is committed: read the topic to its end offsets (again, until the marker is there) and count.
    let dmp: { eventId: string }[] = [];
    await waitFor('the DMP record to be readable', async () => {
      dmp = await Promise.all(
        (await readCommitted(kafka, [pipeline.topics.dmp])).map((r) => codec.decode<{ eventId: string }>(r.topic, r.value)),
      );
      return dmp.some((d) => d.eventId === event.eventId);
    });
    expect(dmp.filter((d) => d.eventId === event.eventId)).toHaveLength(1);
  }, 180_000);
});
