import { randomUUID } from 'node:crypto';
import { createKafka } from './config';

// kafkajs 2.2.4 looked the coordinators up before every request of a transaction (FindCoordinator four times per
// transaction with offsets: 9 sequential round trips). patches/kafkajs+2.2.4.patch keeps them per producer and
// forgets them when a request to one fails for a coordinator or connection reason. This counts the requests the
// producer makes for transactions shaped like the runtime's (sendBatch, sendOffsets, commit).
describe('coordinator lookups (real broker, patched kafkajs)', () => {
  it('a transaction with offsets makes no FindCoordinator request once the coordinators are known', async () => {
    const kafka = createKafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
      clientId: 'coordinator-test',
      ssl: false,
    });
    const topic = `coordinator-cache-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    const requests: string[] = [];
    producer.on(producer.events.REQUEST, (e) => requests.push(e.payload.apiName));
    await producer.connect();
    try {
      const transaction = async (i: number) => {
        const txn = await producer.transaction();
        await txn.sendBatch({
          acks: -1,
          topicMessages: [
            {
              topic,
              messages: [
                { key: 'a', value: `v${i}` },
                { key: 'b', value: `w${i}` },
              ],
            },
          ],
        });
        await txn.sendOffsets({
          consumerGroupId: `${topic}-group`,
          topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }],
        });
        await txn.commit();
      };
      await transaction(0);
      requests.length = 0;
      for (let i = 1; i <= 5; i += 1) await transaction(i);
      expect(requests.filter((api) => api === 'GroupCoordinator')).toEqual([]);
      for (const api of ['Produce', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn'])
        expect(requests.filter((r) => r === api).length).toBe(5);
      // Besides: AddPartitionsToTxn once per transaction and again when the broker answers CONCURRENT_TRANSACTIONS (a
      // retry), and a metadata refresh now and then; unpatched, 9 or more per transaction.
      expect(requests.filter((api) => api !== 'AddPartitionsToTxn' && api !== 'Metadata')).toHaveLength(20);
      expect(requests.length).toBeLessThan(5 * 9);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);
});
