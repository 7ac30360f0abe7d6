import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads a topic from the beginning to its end as of now (read committed), for operator commands. A partition is
 * done when its last offset is reached, or when nothing more comes for `idleMs` (transaction markers occupy the last
 * offsets of a transactional topic and are never delivered).
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, idleMs = 1_500): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  const starts = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.low)]));
  await admin.disconnect();
  const pending = new Set([...ends].filter(([p, high]) => high > (starts.get(p) ?? 0n)).map(([p]) => p));
  const out: ReadRecord[] = [];
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `passerelle-reader-${randomUUID()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let lastSeen = Date.now();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      lastSeen = Date.now();
      const end = ends.get(partition) ?? 0n;
      if (BigInt(message.offset) < end) out.push({ topic, partition, message });
      if (BigInt(message.offset) + 1n >= end) pending.delete(partition);
    },
  });
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      if (pending.size === 0 || Date.now() - lastSeen > idleMs) {
        clearInterval(tick);
        resolve();
      }
    }, 100);
  });
  await consumer.disconnect();
  return out;
}
