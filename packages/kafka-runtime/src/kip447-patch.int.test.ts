import { randomUUID } from 'node:crypto';
import type { ConsumerGroupJoinEvent, Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka } from './config';

// patches/kafkajs+2.2.4.patch adds KIP-447 to kafkajs: TxnOffsetCommit v3 carries the consumer's group generation and
// member id (the coordinator refuses the offsets of a member that is no longer in that generation), and OffsetFetch v7
// can require stable offsets (a partition whose offsets are in a transaction not yet complete answers
// UNSTABLE_OFFSET_COMMIT instead of the offset committed before it). This proves both on the real broker.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

/** A consumer joined to `groupId` on `topic`, and its generation and member id as the GROUP_JOIN event gave them. */
async function joinedMember(kafka: Kafka, groupId: string, topic: string) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 1_000 });
  const joined = new Promise<ConsumerGroupJoinEvent['payload']>((resolve) =>
    consumer.on(consumer.events.GROUP_JOIN, (e) => resolve(e.payload)),
  );
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
  const { generationId, memberId } = await joined;
  return { consumer, generationId, memberId };
}

describe('KIP-447 in kafkajs (real broker, patched kafkajs)', () => {
  it("refuses a transaction's offsets from a stale generation, and holds a stable read until the transaction ends", async () => {
    const kafka = createKafka({ brokers, clientId: 'kip447-test', ssl: false }, pino({ level: 'silent' }));
    const p = `kip447-${randomUUID().slice(0, 8)}`;
    const [input, output, groupId] = [`${p}.in`, `${p}.out`, `${p}.group`];
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: input }, { topic: output }], waitForLeaders: true });
    const member = await joinedMember(kafka, groupId, input);
    const producer = kafka.producer({ transactionalId: `${p}.txn`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      expect(member.generationId).toBeGreaterThan(0);
      expect(member.memberId).not.toBe('');
      const offsets = (offset: string) => [{ topic: input, partitions: [{ partition: 0, offset }] }];

      // A generation the group is not in: the coordinator refuses the offsets, the transaction can only abort.
      const stale = await producer.transaction();
      await stale.send({ topic: output, messages: [{ value: 'stale' }] });
      await expect(
        stale.sendOffsets({
          consumerGroupId: groupId,
          topics: offsets('5'),
          consumerGroupMetadata: { generationId: member.generationId + 1, memberId: member.memberId },
        }),
      ).rejects.toMatchObject({ type: 'ILLEGAL_GENERATION' });
      await stale.abort();
      // A member id the group does not know: refused too.
      const unknown = await producer.transaction();
      await expect(
        unknown.sendOffsets({
          consumerGroupId: groupId,
          topics: offsets('6'),
          consumerGroupMetadata: { generationId: member.generationId, memberId: `${member.memberId}-zombie` },
        }),
      ).rejects.toMatchObject({ type: 'UNKNOWN_MEMBER_ID' });
      await unknown.abort();

      // The member's own generation: accepted. Until the transaction ends, a stable read of the offsets is refused
      // (retriable), while an ordinary read answers the offset committed before it (none: -1).
      const txn = await producer.transaction();
      await txn.send({ topic: output, messages: [{ value: 'kept' }] });
      await txn.sendOffsets({
        consumerGroupId: groupId,
        topics: offsets('7'),
        consumerGroupMetadata: { generationId: member.generationId, memberId: member.memberId },
      });
      await expect(admin.fetchOffsets({ groupId, topics: [input], requireStable: true })).rejects.toMatchObject({
        type: 'UNSTABLE_OFFSET_COMMIT',
        retriable: true,
      });
      // A stable read of the other partitions alone is answered: only partition 0 has offsets in the transaction.
      const [others] = await admin.fetchOffsets({ groupId, topics: [{ topic: input, partitions: [1, 2] }], requireStable: true });
      expect(others?.partitions.map((q) => [q.partition, q.offset])).toEqual([
        [1, '-1'],
        [2, '-1'],
      ]);
      const [before] = await admin.fetchOffsets({ groupId, topics: [input] });
      expect(before?.partitions.find((q) => q.partition === 0)?.offset).toBe('-1');
      await txn.commit();

      // Committed: the stable read answers it once the coordinator has written the transaction's marker.
      const deadline = Date.now() + 30_000;
      let committed: string | undefined;
      while (committed === undefined) {
        try {
          const [read] = await admin.fetchOffsets({ groupId, topics: [{ topic: input, partitions: [0] }], requireStable: true });
          committed = read?.partitions.find((q) => q.partition === 0)?.offset;
        } catch (err) {
          if ((err as { type?: string }).type !== 'UNSTABLE_OFFSET_COMMIT' || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 20)); // the marker is being written: read again
        }
      }
      expect(committed).toBe('7');
    } finally {
      await producer.disconnect();
      await member.consumer.disconnect();
      await admin.disconnect();
    }
  }, 120_000);
});
