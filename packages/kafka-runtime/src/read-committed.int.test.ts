import { randomUUID } from 'node:crypto';
import { readToEnd } from '../../../test/support/read-to-end';
import { createKafka } from './config';

// kafkajs 2.2.4 expects the broker's list of aborted transactions sorted by first offset; the broker lists them in the
// order they were aborted, and records of an aborted transaction reached read-committed consumers (found by the fault
// test). patches/kafkajs+2.2.4.patch sorts the list and opens every aborted transaction that starts at or before each
// offset, as the Java client does. This proves it on the real broker: the records of interleaved aborted
// transactions must never be delivered.
describe('read committed (real broker, patched kafkajs)', () => {
  it('never delivers records of aborted transactions, however they interleave', async () => {
    const kafka = createKafka({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
      clientId: 'read-committed-test',
      ssl: false,
    });
    const topic = `read-committed-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = (id: string) => kafka.producer({ transactionalId: `${topic}-${id}`, idempotent: true, maxInFlightRequests: 1 });
    const [p1, p2, p3] = [producer('p1'), producer('p2'), producer('p3')];
    await Promise.all([p1.connect(), p2.connect(), p3.connect()]);
    const t1 = await p1.transaction();
    await t1.send({ topic, messages: [{ key: 'k', value: 'aborted last' }] });
    const t2 = await p2.transaction();
    await t2.send({ topic, messages: [{ key: 'k', value: 'aborted first' }] });
    await t2.abort();
    await t1.abort();
    const t3 = await p3.transaction();
    await t3.send({ topic, messages: [{ key: 'k', value: 'committed' }] });
    await t3.commit();
    await Promise.all([p1.disconnect(), p2.disconnect(), p3.disconnect()]);

    // The commit has returned, but the broker writes transaction markers after answering: until they are written, the
    // end offsets stop short of the transactions. So read to the end again (bounded) until the committed record is
    // there; that read went past every marker, and what it holds is everything a read-committed reader gets.
    let seen: string[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      seen = (await readToEnd(kafka, [topic], { timeoutMs: 60_000 })).records.map((r) => String(r.message.value));
      if (seen.includes('committed')) break;
      if (Date.now() > deadline) throw new Error(`the committed record was not readable within 60 s (read: ${JSON.stringify(seen)})`);
      await new Promise((r) => setTimeout(r, 200)); // not there yet: poll again
    }
    expect(seen).toEqual(['committed']);
  }, 180_000);
});
