import { H, readHeaders, readTopicToEnd, type Headers, type RegistryCodec } from '@passerelle/kafka-runtime';
import type { DeadLetterReplay } from '@passerelle/schemas';
import type { Kafka } from 'kafkajs';
import { deadLetterTopics, type TopicNames } from './topology';

export interface DeadLetter {
  /** `<dead-letter topic>:<partition>:<offset>`, the id an operator replays one by */
  id: string;
  topic: string;
  originTopic: string;
  errorCode: string;
  errorClass: string;
  errorMessage: string;
  attempt: number;
  firstFailureAt: number;
  lastFailureAt: number;
  eventId?: string;
  documentId?: string;
  replayed: boolean;
  key: Buffer | null;
  value: Buffer;
  headers: Headers;
}

/** Every dead letter of a deployment, with its reason, and whether it was already replayed. */
export async function listDeadLetters(kafka: Kafka, codec: RegistryCodec, topics: TopicNames): Promise<DeadLetter[]> {
  const replayed = new Set<string>();
  for (const r of await readTopicToEnd(kafka, topics.replayed)) {
    if (r.message.value) replayed.add((await codec.decode<DeadLetterReplay>(topics.replayed, r.message.value)).deadLetter);
  }
  const out: DeadLetter[] = [];
  for (const topic of deadLetterTopics(topics)) {
    for (const r of await readTopicToEnd(kafka, topic)) {
      const headers = readHeaders(r.message.headers);
      const id = `${topic}:${r.partition}:${r.message.offset}`;
      out.push({
        id,
        topic,
        originTopic: headers[H.originTopic] ?? topic.replace(/\.dlq$/, ''),
        errorCode: headers[H.errorCode] ?? 'UNKNOWN',
        errorClass: headers[H.errorClass] ?? 'unknown',
        errorMessage: headers[H.errorMessage] ?? '',
        attempt: Number(headers[H.attempt] ?? 0),
        firstFailureAt: Number(headers[H.firstFailureAt] ?? 0),
        lastFailureAt: Number(headers[H.lastFailureAt] ?? 0),
        eventId: headers[H.eventId],
        documentId: headers[H.documentId],
        replayed: replayed.has(id),
        key: r.message.key,
        value: r.message.value ?? Buffer.alloc(0),
        headers,
      });
    }
  }
  return out;
}

export interface ReplayFilter {
  /** Only the dead letters with this error code */
  code?: string;
  /** Only this one (`<topic>:<partition>:<offset>`) */
  id?: string;
}

/**
 * Sends dead letters back to the topic they failed on, after the cause is fixed. Each replayed record and its entry in
 * `dead-letters.replayed` are written in one transaction, and entries already there are skipped: replaying twice
 * replays nothing the second time. A replayed record starts its retry tiers afresh.
 */
export async function replayDeadLetters(
  kafka: Kafka,
  codec: RegistryCodec,
  topics: TopicNames,
  filter: ReplayFilter = {},
  now: () => number = Date.now,
): Promise<DeadLetter[]> {
  const chosen = (await listDeadLetters(kafka, codec, topics)).filter(
    (d) => !d.replayed && (!filter.code || d.errorCode === filter.code) && (!filter.id || d.id === filter.id),
  );
  if (chosen.length === 0) return [];
  const producer = kafka.producer({ transactionalId: `${topics.replayed}.replayer`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const txn = await producer.transaction();
  try {
    const at = now();
    const byTopic = new Map<string, { key: Buffer | string | null; value: Buffer; headers: Headers }[]>();
    const push = (topic: string, m: { key: Buffer | string | null; value: Buffer; headers: Headers }) =>
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), m]);
    for (const d of chosen) {
      const headers: Headers = { ...d.headers, [H.replayedAt]: String(at) };
      for (const h of [H.attempt, H.dueAt, H.errorCode, H.errorClass, H.errorMessage, H.firstFailureAt, H.lastFailureAt]) delete headers[h];
      push(d.originTopic, { key: d.key, value: d.value, headers });
      const mark: DeadLetterReplay = { deadLetter: d.id, originTopic: d.originTopic, errorCode: d.errorCode, replayedAt: at };
      push(topics.replayed, { key: d.id, value: await codec.encode(topics.replayed, mark), headers: {} });
    }
    await txn.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    await txn.commit();
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  } finally {
    await producer.disconnect();
  }
  return chosen;
}
