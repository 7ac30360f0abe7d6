/**
 * The publisher against the real broker and schema registry (found by test/setup/global-setup.ts): each event
 * family goes through the registry and comes back equal; a bad event reaches no topic; a dead broker fails fast;
 * the producer is idempotent on the wire; keys and headers carry no personal data.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import {
  BrokerUnavailableError,
  CONTENT_TYPE,
  createPublisher,
  eventKey,
  HEADERS,
  InvalidEventError,
  isTraceparent,
  PRODUCER_SETTINGS,
  RegistryUnavailableError,
  validateEvent,
  type Publisher,
  type PublishResult,
} from '@passerelle/publisher';
import { EVENT_TOPICS, type EventTopic } from '@passerelle/schemas';
import { logLevel, type KafkaMessage } from 'kafkajs';
import { createTestTopics, deleteTestTopics, testKafka, testStack } from '../support/stack';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const fixture = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Json;
const SAMPLES: ReadonlyArray<[name: string, topic: EventTopic]> = [
  ['vaccination', EVENT_TOPICS.vaccination],
  ['dispensation', EVENT_TOPICS.dispensation],
  ['medication-review', EVENT_TOPICS.medicationReview],
  ['pharmaceutical-interview', EVENT_TOPICS.medicationReview],
];
const ON_TEST_PLATFORM = { testPlatform: true }; // the samples carry the INS test OID

/** Personal values of an event: none may appear in a key or a header. */
function personalValues(event: Json): string[] {
  const p = event.patient;
  return [
    p.localId,
    p.ins.matricule,
    p.birthFamilyName,
    p.birthGivenNames,
    p.firstGivenName,
    p.birthDate,
    p.birthDate.replace(/-/g, ''),
    p.birthPlace,
    event.author.familyName,
    ...(event.recipients ?? []).map((r: Json) => r.mssanteAddress),
  ];
}

// First connections and consumer-group joins take seconds; each test still ends on its own bounded waits.
jest.setTimeout(60_000);

const stack = testStack();
const registry = new SchemaRegistry({ host: stack.registryUrl });
let topics: Record<EventTopic, string>;
let publisher: Publisher;

beforeAll(async () => {
  const [vaccination, dispensation, review] = await createTestTopics(
    [EVENT_TOPICS.vaccination, EVENT_TOPICS.dispensation, EVENT_TOPICS.medicationReview],
    3,
  );
  topics = {
    [EVENT_TOPICS.vaccination]: vaccination as string,
    [EVENT_TOPICS.dispensation]: dispensation as string,
    [EVENT_TOPICS.medicationReview]: review as string,
  };
  publisher = createPublisher({
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    clientId: 'publisher-int-test',
    topicNames: topics,
    ...ON_TEST_PLATFORM,
  });
}, 120_000);

afterAll(async () => {
  await publisher?.close();
  if (topics) await deleteTestTopics(Object.values(topics));
}, 60_000);

/** Reads the records at the given (topic, partition, offset) places with a fresh consumer group. */
async function readBack(places: Array<Pick<PublishResult, 'topic' | 'partition' | 'offset'>>, timeoutMs = 20_000): Promise<KafkaMessage[]> {
  const wanted = new Set(places.map((p) => `${p.topic}/${p.partition}/${p.offset}`));
  const found = new Map<string, KafkaMessage>();
  const consumer = testKafka('publisher-int-test-reader').consumer({ groupId: `publisher-int-test-${randomUUID()}` });
  await consumer.connect();
  try {
    for (const topic of new Set(places.map((p) => p.topic))) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read back ${found.size} of ${wanted.size} records within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const place = `${topic}/${partition}/${message.offset}`;
            if (wanted.has(place)) found.set(place, message);
            if (found.size === wanted.size) {
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
  return places.map((p) => found.get(`${p.topic}/${p.partition}/${p.offset}`) as KafkaMessage);
}

/** A loopback port nothing listens on (just freed). */
function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function endOffsets(): Promise<Record<string, string[]>> {
  const admin = testKafka('publisher-int-test-admin').admin();
  await admin.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const topic of Object.values(topics)) {
      out[topic] = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => o.high);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

const header = (message: KafkaMessage, name: string): string | undefined => message.headers?.[name]?.toString();

describe('publisher against the real broker and registry', () => {
  it('publishes each sample event through the registry and reads it back equal', async () => {
    const published: Array<{ input: Json; topic: EventTopic; result: PublishResult }> = [];
    for (const [name, topic] of SAMPLES) {
      const input = fixture(name);
      published.push({ input, topic, result: await publisher.publish(topic, input) });
    }
    const messages = await readBack(published.map((p) => p.result));

    for (const [i, { input, topic, result }] of published.entries()) {
      const message = messages[i] as KafkaMessage;
      expect(result.topic).toBe(topics[topic]);
      expect(result.eventTopic).toBe(topic);
      // Confluent wire format: magic byte 0, then the registry's schema id.
      const value = message.value as Buffer;
      expect(value[0]).toBe(0);
      expect(value.readInt32BE(1)).toBe(result.schemaId);
      const decoded = await registry.decode(value);
      expect(decoded).toEqual(input);
      expect(decoded).toEqual(validateEvent(topic, input, ON_TEST_PLATFORM));
      expect(message.key?.toString()).toBe(eventKey(input as { pharmacy: { finess: string }; patient: { localId: string } }));
      expect(header(message, HEADERS.eventId)).toBe(input.eventId);
      expect(header(message, HEADERS.contentType)).toBe(CONTENT_TYPE);
      expect(isTraceparent(header(message, HEADERS.traceparent) ?? '')).toBe(true);
      expect(header(message, HEADERS.traceparent)).toBe(result.traceparent);
    }
    // The subject follows the topic name and holds the family's schema; registered by the publisher (these private
    // topics' subjects did not exist), it got BACKWARD compatibility like the project's own registration.
    for (const topic of Object.values(EVENT_TOPICS)) {
      const subject = `${topics[topic]}-value`;
      const id = await registry.getLatestSchemaId(subject);
      expect(published.filter((p) => p.topic === topic).every((p) => p.result.schemaId === id)).toBe(true);
      const config = (await (await fetch(`${stack.registryUrl}/config/${subject}`)).json()) as { compatibilityLevel?: string };
      expect(config.compatibilityLevel).toBe('BACKWARD');
    }
  });

  it('fills the Avro defaults of fields the LGO left out', async () => {
    const input = fixture('vaccination');
    for (const field of ['recipients', 'confidentiality', 'correction']) delete input[field];
    delete input.patient.usedFamilyName;
    delete input.vaccination.comment;
    const result = await publisher.publish(EVENT_TOPICS.vaccination, input);
    const [message] = await readBack([result]);
    const decoded = await registry.decode(message?.value as Buffer);
    expect(decoded).toEqual({ ...fixture('vaccination'), recipients: [] });
    expect(decoded.confidentiality).toEqual({
      level: 'N',
      maskedFromProfessionals: false,
      invisibleToPatient: false,
      invisibleToLegalRepresentatives: false,
    });
  });

  it("keeps one patient's events on one partition, in the order published (publishMany)", async () => {
    const base = fixture('vaccination');
    const events = Array.from({ length: 20 }, (_, i) => ({
      ...base,
      eventId: `0b7f6a1e-5d2c-4c1e-9a57-${String(i).padStart(12, '0')}`,
      occurredAt: base.occurredAt + i,
    }));
    const results = await publisher.publishMany(events.map((event) => ({ event })));
    expect(new Set(results.map((r) => r.partition)).size).toBe(1);
    const offsets = results.map((r) => BigInt(r.offset));
    offsets.forEach((o, i) => i > 0 && expect(o).toBe((offsets[i - 1] as bigint) + 1n));
    const messages = await readBack(results);
    expect(messages.map((m) => header(m, HEADERS.eventId))).toEqual(events.map((e) => e.eventId));
  });

  it('produces with the idempotent producer: acks=all, one request in flight, a producer id and sequence numbers on the wire', async () => {
    expect(PRODUCER_SETTINGS).toEqual({ idempotent: true, acks: -1, maxInFlightRequests: 1 });
    const result = await publisher.publish(EVENT_TOPICS.dispensation, fixture('dispensation'));
    const [message] = await readBack([result]);
    // A non-idempotent producer writes producerId -1 and sequence -1 into its record batches.
    const batch = (message as KafkaMessage & { batchContext?: { producerId: string; firstSequence: number } }).batchContext;
    expect(batch).toBeDefined();
    expect(BigInt(batch?.producerId ?? '-1')).toBeGreaterThanOrEqual(0n);
    expect(batch?.firstSequence).toBeGreaterThanOrEqual(0);
  });

  it('puts no personal data in keys or headers', async () => {
    const results: PublishResult[] = [];
    for (const [name, topic] of SAMPLES) results.push(await publisher.publish(topic, fixture(name)));
    const messages = await readBack(results);
    for (const [i, [name]] of SAMPLES.entries()) {
      const message = messages[i] as KafkaMessage;
      const exposed = [message.key?.toString() ?? '', ...Object.entries(message.headers ?? {}).flatMap(([k, v]) => [k, String(v)])];
      expect(Object.keys(message.headers ?? {}).sort()).toEqual([HEADERS.contentType, HEADERS.eventId, HEADERS.traceparent].sort());
      for (const value of personalValues(fixture(name))) {
        for (const text of exposed) expect(text).not.toContain(value);
      }
    }
  });

  it('refuses a bad event with the field and the rule, and nothing reaches any topic', async () => {
    const before = await endOffsets();
    const bad = fixture('dispensation');
    bad.patient.birthDate = '1979-02-30';
    bad.dispensation.lines = [];
    const error = await publisher.publish(EVENT_TOPICS.dispensation, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).violations).toEqual(
      expect.arrayContaining([
        { path: 'patient.birthDate', rule: 'must be a real calendar date' },
        { path: 'dispensation.lines', rule: 'must hold at least one dispensed line' },
      ]),
    );
    expect((error as Error).message).not.toContain('1979-02-30');

    // In a batch, one bad event stops the good ones too.
    const batchError = await publisher.publishMany([{ event: fixture('vaccination') }, { event: bad }]).catch((e: unknown) => e);
    expect(batchError).toBeInstanceOf(InvalidEventError);
    expect((batchError as InvalidEventError).violations.every((v) => v.index === 1)).toBe(true);
    expect((batchError as Error).message).toContain('event #1: dispensation.lines: must hold at least one dispensed line');

    expect(await endOffsets()).toEqual(before);
  });

  it('fails fast with BrokerUnavailableError when the broker is down (a closed port)', async () => {
    const port = await closedPort();
    const down = createPublisher({
      brokers: [`127.0.0.1:${port}`],
      registryUrl: stack.registryUrl,
      topicNames: topics,
      logLevel: logLevel.NOTHING,
      ...ON_TEST_PLATFORM,
    });
    const started = Date.now();
    try {
      const error = await down.publish(EVENT_TOPICS.vaccination, fixture('vaccination')).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(BrokerUnavailableError);
      expect((error as BrokerUnavailableError).code).toBe('BROKER_UNAVAILABLE');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect(elapsed).toBeLessThan(15_000);
    } finally {
      await down.close();
    }
  });

  it('fails fast with RegistryUnavailableError when the registry is down, and publishes nothing', async () => {
    const before = await endOffsets();
    const port = await closedPort();
    const noRegistry = createPublisher({
      brokers: stack.brokers,
      registryUrl: `http://127.0.0.1:${port}/apis/ccompat/v7`,
      topicNames: topics,
      logLevel: logLevel.NOTHING,
      ...ON_TEST_PLATFORM,
    });
    const started = Date.now();
    try {
      const error = await noRegistry.publish(EVENT_TOPICS.vaccination, fixture('vaccination')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as RegistryUnavailableError).kind).toBe('transient');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await noRegistry.close();
    }
    expect(await endOffsets()).toEqual(before);
  });
});
