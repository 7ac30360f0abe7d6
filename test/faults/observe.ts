/**
 * What the pipeline wrote, read committed, as ledger observations (see ledger.ts). Ids come from the `event-id`
 * header every stage sets; only the MSSanté messages (audience) and statuses (state, detail) are decoded.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dlqTopic, H, readHeaders, type RegistryCodec } from '@passerelle/kafka-runtime';
import type { DocumentStatus, MssMessage } from '@passerelle/schemas';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Observation } from './ledger';
import { stageInputTopics, type TopicNames } from '@passerelle/pipeline';

const run = promisify(execFile);

/** Every topic the ledger reads: inputs, intermediates, routes, statuses and every stage's dead letters. */
export function observedTopics(t: TopicNames): string[] {
  return [
    t.vaccination,
    t.dispensation,
    t.medicationReview,
    t.composed,
    t.signed,
    t.dmp,
    t.mss,
    t.status,
    ...stageInputTopics(t).map(dlqTopic),
  ];
}

/** The observation a record makes, or null for a record without an event id (none is expected). */
export async function observationOf(
  codec: RegistryCodec,
  t: TopicNames,
  topic: string,
  message: KafkaMessage,
): Promise<Observation | null> {
  const headers = readHeaders(message.headers);
  if (topic === t.status) {
    const s = await codec.decode<DocumentStatus>(topic, message.value);
    const what =
      s.state === 'parked' || s.state === 'dead-lettered' || s.state === 'retrying' || s.state === 'waiting-for-certificate'
        ? `status:${s.state}:${s.detail}`
        : s.state === 'delivered'
          ? `status:delivered:${deliveredRoute(s.detail)}`
          : `status:${s.state}`;
    return { eventId: s.eventId, what, at: s.at };
  }
  const eventId = headers[H.eventId];
  if (!eventId) return null;
  if (topic === t.composed) return { eventId, what: 'composed' };
  if (topic === t.signed) return { eventId, what: 'signed' };
  if (topic.endsWith('.dlq')) return { eventId, what: `dlq:${headers[H.errorCode] ?? 'UNKNOWN'}` };
  // A record the retrier put back on its input topic (an event's, or a gateway's) carries its attempt: one such
  // record per attempt.
  const attempt = headers[H.attempt] ? `:attempt-${headers[H.attempt]}` : '';
  if (topic === t.mss) return { eventId, what: `mss:${(await codec.decode<MssMessage>(topic, message.value)).audience}${attempt}` };
  if (topic === t.dmp) return { eventId, what: `dmp${attempt}` };
  return { eventId, what: `input${attempt}` };
}

/**
 * The route a gateway's `delivered` status is for, as the ledger names routes: from its detail, `dmp: <answer>` or
 * `mss:<recipient route>: <smtp>` (`mss:patient`, `mss:professional-2`: the professionals' record).
 */
export function deliveredRoute(detail: string | null): string {
  const route = detail?.slice(0, detail.indexOf(': ')) ?? '';
  return route.startsWith('mss:professional-') ? 'mss:professionals' : route;
}

export interface Watch {
  observations: Observation[];
  /** Places of records without an event id (a stage that dropped its headers would show here) */
  anonymous: string[];
  /** Time of the last record received (0: none yet) */
  lastRecordAt: () => number;
  /** When the reader first joined its group (0: not yet) */
  joinedAt: () => number;
  stop(): Promise<void>;
}

/**
 * A read-committed (unless told otherwise) consumer of `topics` from the beginning, turning records into observations as they come. Its own
 * consumer group: it does not disturb the pipeline's.
 */
export async function watch(kafka: Kafka, codec: RegistryCodec, t: TopicNames, topics: string[], readUncommitted = false): Promise<Watch> {
  const observations: Observation[] = [];
  const anonymous: string[] = [];
  let last = 0;
  let joinedAt = 0;
  const consumer = kafka.consumer({
    groupId: `faults-reader-${randomUUID()}`,
    readUncommitted,
    maxWaitTimeInMs: 250,
    sessionTimeout: 30_000,
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ||= Date.now();
  });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  // After a crash (the broker restart) kafkajs restarts the consumer from its last committed offset: records
  // delivered again are the same records, known by their place, and are counted once.
  const seen = new Set<string>();
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachMessage: async ({ topic, partition, message }) => {
      last = Date.now();
      const place = `${topic}:${partition}:${message.offset}`;
      if (seen.has(place)) return;
      seen.add(place);
      const o = await observationOf(codec, t, topic, message);
      if (o) observations.push({ ...o, place });
      else anonymous.push(place);
    },
  });
  return {
    observations,
    anonymous,
    lastRecordAt: () => last,
    joinedAt: () => joinedAt,
    stop: () => consumer.disconnect(),
  };
}

/**
 * Reads `topics` to their end, read committed: until nothing new arrives for `idleMs` after the reader joined (the
 * last offsets of a transactional topic are commit markers, never delivered, so the end is seen as silence).
 */
export async function readAll(
  kafka: Kafka,
  codec: RegistryCodec,
  t: TopicNames,
  topics: string[],
  idleMs = 5_000,
  readUncommitted = false,
): Promise<{ observations: Observation[]; anonymous: string[] }> {
  const w = await watch(kafka, codec, t, topics, readUncommitted);
  const started = Date.now();
  while (w.joinedAt() === 0 || Date.now() - Math.max(w.lastRecordAt(), w.joinedAt()) < idleMs) {
    if (Date.now() - started > 300_000) throw new Error('readAll: still reading after 5 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
  await w.stop();
  return { observations: w.observations, anonymous: w.anonymous };
}

/**
 * The places (`<topic>:<partition>:<offset>`) of the records the Apache Kafka Java client delivers read committed:
 * the oracle of what is committed (kafkajs 2.2.4 also delivers some records of aborted transactions). Runs
 * CommittedOffsets.java with the local stack's Kafka client jars.
 */
export async function committedPlaces(javaClasspath: string, brokers: string[], topics: string[]): Promise<Set<string>> {
  const { stdout } = await run('java', ['-cp', javaClasspath, join(__dirname, 'CommittedOffsets.java'), brokers.join(','), ...topics], {
    maxBuffer: 256 * 1024 * 1024,
    // It reads every topic to its end; bounded so that a broker that never answers cannot hold the test run.
    timeout: 600_000,
  });
  return new Set(
    stdout
      .split('\n')
      .filter((l) => /^\S+ \d+ \d+$/.test(l))
      .map((l) => l.split(' ').join(':')),
  );
}
