/**
 * Helpers for the end-to-end tests: send events as an LGO would (Avro wire format through the registry, key from the
 * publisher's recipe), and read what the pipeline wrote, read committed. Kafka is never mocked.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childTraceparent, H, readHeaders, RegistryCodec, type Headers } from '@passerelle/kafka-runtime';
import { mergeStatus } from '@passerelle/pipeline';
import { eventKey } from '@passerelle/publisher';
import type { DocumentStatus, DispensationEvent, MedicationReviewEvent, VaccinationEvent } from '@passerelle/schemas';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { readToEnd } from '../support/read-to-end';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';

export type AnyEvent = VaccinationEvent | DispensationEvent | MedicationReviewEvent;

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
export function sample<T extends AnyEvent>(name: 'vaccination' | 'dispensation' | 'medication-review' | 'pharmaceutical-interview'): T {
  const event = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
  event.eventId = randomUUID();
  return event;
}

export function familyTopic(event: AnyEvent): 'vaccination' | 'dispensation' | 'medicationReview' {
  if ('vaccination' in event) return 'vaccination';
  if ('dispensation' in event) return 'dispensation';
  return 'medicationReview';
}

export interface Sent {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Headers;
}

/** Encodes events for their (prefixed) topics, keyed and with headers as the publisher does. */
export async function encodeEvents(codec: RegistryCodec, topics: Record<string, string>, events: AnyEvent[]): Promise<Sent[]> {
  return Promise.all(
    events.map(async (event) => {
      const topic = topics[familyTopic(event)] as string;
      return {
        topic,
        key: eventKey(event),
        value: await codec.encode(topic, event),
        headers: { [H.eventId]: event.eventId, [H.traceparent]: childTraceparent() },
      };
    }),
  );
}

export async function send(kafka: Kafka, records: Sent[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const byTopic = new Map<string, Sent[]>();
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  await producer.sendBatch({
    acks: -1,
    topicMessages: [...byTopic].map(([topic, rs]) => ({
      topic,
      messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    })),
  });
  await producer.disconnect();
}

export interface Collected {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Headers;
}

/** A live read-committed view of some topics, from the beginning. */
export async function collector(kafka: Kafka, topics: string[]) {
  const records: Collected[] = [];
  const consumer = kafka.consumer({ groupId: `e2e-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: { topic: string; partition: number; message: KafkaMessage }) => {
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: readHeaders(message.headers),
      });
    },
  });
  return {
    records,
    of: (topic: string) => records.filter((r) => r.topic === topic),
    stop: () => consumer.disconnect(),
  };
}

/**
 * Everything committed to `topics` up to their end offsets as they stand now, read committed: call it once what
 * produces them is done (the statuses awaited have arrived), to count records, so that a duplicate is counted
 * rather than given a few seconds to show up.
 */
export async function readCommitted(kafka: Kafka, topics: string[], timeoutMs = 60_000): Promise<Collected[]> {
  const { records } = await readToEnd(kafka, topics, { timeoutMs });
  return records.map(({ topic, partition, message }) => ({
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value,
    headers: readHeaders(message.headers),
  }));
}

/** Waits until `done()` holds, or fails after `timeoutMs` saying what was awaited. */
export async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The latest status of each event id seen on the status topic. */
export async function latestStatuses(codec: RegistryCodec, statusRecords: Collected[]): Promise<Map<string, DocumentStatus>> {
  const latest = new Map<string, DocumentStatus>();
  for (const r of statusRecords) {
    if (!r.value) continue;
    const s = await codec.decode<DocumentStatus>(r.topic, r.value);
    // The last record's state, with the entries of every record: two gateways each write the history they know.
    latest.set(s.eventId, mergeStatus(latest.get(s.eventId), s));
  }
  return latest;
}

export function eventIdOf(r: Collected): string | undefined {
  return r.headers[H.eventId];
}
