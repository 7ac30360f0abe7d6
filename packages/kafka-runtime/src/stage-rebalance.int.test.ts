import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { groupAtEnd, readToEnd } from '../../../test/support/read-to-end';
import { RegistryCodec } from './codec';
import { closeConnections, createKafka, type TransactionMode } from './config';
import { createStage, type Stage } from './stage';
import { itemSchema } from './test-schema';
import { dlqTopic, ensureTopics, retryTopic, type RetryTier } from './topics';

// Exactly once while the group's partitions move between instances: instances join, leave, or die (every connection
// cut, as kill -9 leaves them) while the others are in the middle of their transactions, as when a service is scaled
// out, redeployed one instance at a time, or loses a machine. Every input must be in the output exactly once (read
// committed), whoever handled it.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const tiers: RetryTier[] = [{ name: '1s', delayMs: 1_000 }];
const INPUTS = 3_000;
const codec = RegistryCodec.connect(registryUrl, itemSchema);
const client = createKafka({ brokers, clientId: 'rebalance-test', ssl: false });

/**
 * A group of instances of one stage over its own topics (6 input partitions), each instance with its own client;
 * `maxBatchRecords` records per transaction (a chunk), 40 ms each.
 */
function group(transactions: TransactionMode, maxBatchRecords = 25) {
  const p = `r${randomUUID().slice(0, 8)}.`;
  const input = `${p}in`;
  const output = `${p}out`;
  const groupId = `${p}rebalance-test`;
  const running = new Map<string, { stage: Stage; kafka: Kafka }>();
  /** Records handled, by instance */
  const handled = new Map<string, number>();

  return {
    async prepare(): Promise<void> {
      const admin = client.admin();
      await admin.connect();
      await ensureTopics(admin, [
        { topic: input, partitions: 6 },
        { topic: output, partitions: 3 },
        { topic: retryTopic(input, tiers[0] as RetryTier), partitions: 1 },
        { topic: dlqTopic(input), partitions: 1 },
      ]);
      await admin.disconnect();
      const producer = client.producer({ idempotent: true });
      await producer.connect();
      for (let from = 0; from < INPUTS; from += 500) {
        const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${(from + i) % 97}`, value: `input-${from + i}` }));
        await producer.send({ topic: input, messages });
      }
      await producer.disconnect();
    },

    async start(name: string): Promise<void> {
      const kafka = createKafka({ brokers, clientId: `rebalance-${name}`, ssl: false }, pino({ level: 'silent' }));
      const stage = createStage<Buffer>({
        name: 'rebalance-test',
        groupId,
        kafka,
        codec,
        inputTopics: [input],
        tiers,
        raw: true,
        transactions,
        maxBatchRecords,
        logger: pino({ level: 'silent' }),
        handle: async (r) => {
          await sleep(40); // each transaction stays open about a second: the moves fall in the middle of them
          handled.set(name, (handled.get(name) ?? 0) + 1);
          return [{ topic: output, key: r.key, value: r.value }];
        },
      });
      running.set(name, { stage, kafka });
      await stage.start();
    },

    /** Leaves the group: the batch in hand commits, then its partitions go to the others. */
    async stop(name: string): Promise<void> {
      await running.get(name)?.stage.stop();
      running.delete(name);
    },

    /**
     * As kill -9 leaves it: every connection of the instance cut at once, no LeaveGroup, its open transaction left to
     * the broker; the group gives its partitions to the others when its session times out. (Its stage is then stopped
     * only to end its loops in this process: it can no longer reach the broker.)
     */
    async crash(name: string): Promise<void> {
      const instance = running.get(name);
      if (!instance) return;
      closeConnections(instance.kafka);
      await instance.stage.stop();
      running.delete(name);
    },

    /** Once the group has handled every input: lost and duplicated, read committed. */
    async count(): Promise<{ lost: number; duplicated: number }> {
      const deadline = Date.now() + 120_000;
      while (!(await groupAtEnd(client, groupId, [input]))) {
        if (Date.now() > deadline) throw new Error(`group ${groupId} did not reach the end of ${input} within 120 s`);
        await sleep(500); // not handled yet: poll again
      }
      const { records } = await readToEnd(client, [output], { timeoutMs: 60_000 });
      const counts = new Map<string, number>();
      for (const { message } of records) counts.set(String(message.value), (counts.get(String(message.value)) ?? 0) + 1);
      const lost = Array.from({ length: INPUTS }, (_, i) => `input-${i}`).filter((v) => !counts.has(v)).length;
      const duplicated = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
      return { lost, duplicated };
    },

    handled: (name: string): number => handled.get(name) ?? 0,

    async close(): Promise<void> {
      await Promise.all([...running.keys()].map((name) => this.stop(name)));
    },
  };
}

// Both ways of committing: a transaction per input partition (fenced by transactional id), and one shared by every
// partition in hand (KIP-447: fenced by the group's generation; the next owner reads stable offsets).
describe.each<TransactionMode>(['per-partition', 'shared'])(
  'stage (%s transactions): exactly once while partitions move between instances (real broker)',
  (transactions) => {
    const groups: ReturnType<typeof group>[] = [];
    afterAll(async () => {
      await Promise.all(groups.map((g) => g.close()));
    }, 120_000);

    it('delivers every input exactly once while instances join and leave', async () => {
      const g = group(transactions);
      groups.push(g);
      await g.prepare();
      await g.start('a');
      await sleep(3_000);
      await g.start('b'); // a rebalance while a is mid-transaction
      await sleep(3_000);
      await g.start('c');
      await sleep(3_000);
      await g.stop('a'); // its partitions move to b and c, which are mid-transaction
      await sleep(3_000);
      await g.start('d');
      await sleep(3_000);
      await g.stop('b');
      const result = await g.count();
      process.stderr.write(`${transactions}: joins and leaves: ${INPUTS} inputs, lost ${result.lost}, duplicated ${result.duplicated}\n`);
      expect(result).toEqual({ lost: 0, duplicated: 0 });
    }, 300_000);

    it('delivers every input exactly once when instances die mid-transaction', async () => {
      const g = group(transactions);
      groups.push(g);
      await g.prepare();
      await g.start('a');
      await g.start('b');
      await g.start('c');
      await sleep(5_000);
      await g.crash('a'); // its partitions wait for its session to time out (6 s), then go to b and c
      await sleep(10_000);
      await g.start('a2');
      await sleep(5_000);
      await g.crash('b');
      const result = await g.count();
      process.stderr.write(`${transactions}: deaths: ${INPUTS} inputs, lost ${result.lost}, duplicated ${result.duplicated}\n`);
      expect(result).toEqual({ lost: 0, duplicated: 0 });
    }, 300_000);

    it('hands partitions over when the group rebalances mid-chunk, not after the whole chunk', async () => {
      // One chunk holds a partition's whole backlog (500 records, 20 s at 40 ms each): a member that finished its chunk
      // before rejoining would handle every input itself, and the member joining after it would get nothing.
      const g = group(transactions, 1_000);
      groups.push(g);
      await g.prepare();
      await g.start('a');
      for (let waited = 0; g.handled('a') === 0 && waited < 60_000; waited += 250) await sleep(250); // a is in its first chunks
      await g.start('b');
      const result = await g.count();
      process.stderr.write(
        `${transactions}: rebalance mid-chunk: ${INPUTS} inputs, handled by a ${g.handled('a')}, by b ${g.handled('b')}; lost ${result.lost}, duplicated ${result.duplicated}\n`,
      );
      expect(g.handled('b')).toBeGreaterThan(0);
      expect(result).toEqual({ lost: 0, duplicated: 0 });
    }, 300_000);
  },
);
