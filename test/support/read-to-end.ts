import type { Kafka } from 'kafkajs';

// Deterministic "nothing more arrived" for tests: read topics to their end offsets (readToEnd, from the runtime, where
// the operator commands use it too) once the producing side is done, then count.
export { readToEnd, type ReadRecord, type ReadToEnd, type ReadToEndOptions } from '@passerelle/kafka-runtime';

const key = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Whether consumer group `groupId` has committed, on every partition of `topics` that holds records, an offset at
 * that partition's end offset: it has handled every record there. For a transactional stage its outputs are
 * committed in the same transactions, so the producing side is done. Meant for input topics written without
 * transactions: when a partition ends with a transaction marker, a stage's commit stops at the marker, short of the end.
 */
export async function groupAtEnd(kafka: Kafka, groupId: string, topics: string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = new Map<string, bigint>();
    for (const t of await admin.fetchOffsets({ groupId, topics })) {
      for (const p of t.partitions) committed.set(key(t.topic, p.partition), BigInt(p.offset)); // -1: nothing committed
    }
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(o.high) > BigInt(o.low) && (committed.get(key(topic, o.partition)) ?? -1n) < BigInt(o.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}
