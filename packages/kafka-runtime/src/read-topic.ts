import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reading topics to their end, as they stand when the read begins: what an operator command shows (statuses, dead
 * letters) and how a test proves "nothing more arrived" without sleeping. Bounded, and judged by the consumer's
 * positions, never by "nothing came for a while".
 */

export interface ReadRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export interface ReadToEndOptions {
  /** Give up after this long with an error naming the partitions short of their end (default 60 s). */
  timeoutMs?: number;
  /** Read records of open and aborted transactions too (default false: read committed, as the pipeline reads). */
  readUncommitted?: boolean;
}

export interface ReadToEnd {
  /** The records below each partition's end offset, in offset order per partition. */
  records: ReadRecord[];
  /**
   * Per `topic:partition`, the end offset when the read began: admin.fetchTopicOffsets's, which kafkajs lists read
   * committed (the last stable offset; the high watermark when no transaction is open).
   */
  ends: Map<string, bigint>;
  /** Per `topic:partition`, the consumer's position when the read ended: the next offset it would have fetched. */
  positions: Map<string, bigint>;
}

const key = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Reads `topics` from the beginning until the consumer's position is at or past each partition's end offset, as
 * fetched when the call begins. Positions come from the fetched batches (their last offset), not from counting
 * messages: transaction markers, and with read committed the records of aborted transactions, occupy offsets that
 * are never delivered. Throws after `timeoutMs`; its consumer, in a group of its own, is always disconnected.
 */
export async function readToEnd(kafka: Kafka, topics: string[], options: ReadToEndOptions = {}): Promise<ReadToEnd> {
  const { timeoutMs = 60_000, readUncommitted = false } = options;
  const ends = new Map<string, bigint>();
  const positions = new Map<string, bigint>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) {
        ends.set(key(topic, o.partition), BigInt(o.high));
        positions.set(key(topic, o.partition), BigInt(o.low)); // where a reader from the beginning starts
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: ReadRecord[] = [];
  const behind = () => [...ends].filter(([tp, end]) => (positions.get(tp) ?? 0n) < end);
  if (behind().length === 0) return { records, ends, positions };

  const consumer = kafka.consumer({ groupId: `read-to-end-${randomUUID()}`, readUncommitted, maxWaitTimeInMs: 200 });
  let timer: NodeJS.Timeout | undefined;
  let starting: Promise<void> = Promise.resolve();
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const short = behind().map(([tp, end]) => `${tp} at ${positions.get(tp)} of ${end}`);
        reject(new Error(`readToEnd: gave up after ${timeoutMs} ms, partitions short of their end offset: ${short.join(', ')}`));
      }, timeoutMs);
      // Emitted after each fetched batch has been handed to eachMessage, including batches whose records were all
      // filtered out (markers, aborted records); lastOffset counts those, so lastOffset + 1 is the next fetch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const tp = key(payload.topic, payload.partition);
        const next = BigInt(payload.lastOffset) + 1n;
        if (next > (positions.get(tp) ?? 0n)) positions.set(tp, next);
        if (behind().length === 0) resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      starting = (async () => {
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ topic, partition, message }) => {
            // Records written after the read began are not part of what is counted.
            if (BigInt(message.offset) < (ends.get(key(topic, partition)) ?? 0n)) records.push({ topic, partition, message });
          },
        });
      })();
      starting.catch(reject);
    });
  } finally {
    clearTimeout(timer);
    // Given up early (timeout, crash), the consumer may still be connecting, and a disconnect before the connection
    // would leave it connected: give the start a few seconds to end, and if it has not, disconnect again once it
    // does. A failed disconnect must not hide why the read failed.
    let grace: NodeJS.Timeout | undefined;
    const started = await Promise.race([
      starting.then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => (grace = setTimeout(() => resolve(false), 5_000))),
    ]);
    clearTimeout(grace);
    await consumer.disconnect().catch(() => undefined);
    if (!started) void starting.finally(() => consumer.disconnect()).catch(() => undefined);
  }
  return { records, ends, positions };
}

/** One topic to its end offsets, read committed: for operator commands. */
export async function readTopicToEnd(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  return (await readToEnd(kafka, [topic], { timeoutMs })).records;
}
