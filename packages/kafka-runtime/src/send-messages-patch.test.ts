/**
 * kafkajs 2.2.4 lost messages when a partition's leader moved, during a send, to a broker that had already answered
 * for its own partitions (kafkajs issue #1303): the retry skipped every broker with an answer, so the moved
 * partition's messages were never sent and send() resolved. patches/kafkajs+2.2.4.patch keeps what is acknowledged
 * per topic-partition. These tests drive kafkajs's own send path (src/producer/sendMessages.js) against a scripted
 * cluster: a broker dies, its partition moves; every message must reach exactly one successful produce request.
 * The cluster fault test (test/cluster, real brokers) is the end-to-end proof.
 */
// A module, so that its names are its own (without an import or export TypeScript shares them with the other
// test files that have none, and ts-jest's type check fails on the names they both declare).
// eslint-disable-next-line jest/no-export
export {};
/* eslint-disable @typescript-eslint/no-require-imports */
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: object) => (req: object) => Promise<unknown[]>;
const createRetry = require('kafkajs/src/retry') as (opts: object) => unknown;
const { KafkaJSConnectionError } = require('kafkajs/src/errors') as { KafkaJSConnectionError: new (m: string) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */

interface Produced {
  broker: number;
  topic: string;
  partition: number;
  firstSequence: number;
  values: string[];
}

/** A cluster of brokers 1 and 2 whose leaders are `leaders` (partition → broker) until `move` changes them. */
function scriptedCluster(leaders: Record<number, number>, opts: { failing: Set<number>; slow?: Map<number, number> }) {
  const produced: Produced[] = [];
  const attempts: number[] = [];
  let current = { ...leaders };
  let next: Record<number, number> | undefined;
  const broker = (nodeId: number) => ({
    nodeId,
    produce: async ({
      topicData,
    }: {
      topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[];
    }) => {
      attempts.push(nodeId);
      await new Promise((r) => setTimeout(r, opts.slow?.get(nodeId) ?? 1));
      if (opts.failing.has(nodeId)) throw new KafkaJSConnectionError(`broker ${nodeId} is dead`);
      for (const t of topicData)
        for (const p of t.partitions)
          produced.push({
            broker: nodeId,
            topic: t.topic,
            partition: Number(p.partition),
            firstSequence: p.firstSequence,
            values: p.messages.map((m) => m.value),
          });
      return {
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => ({ partition: Number(p.partition), errorCode: 0, baseOffset: '0' })),
        })),
      };
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const cluster = {
    targetTopics: new Set<string>(),
    addMultipleTargetTopics: async () => undefined,
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => {
      if (next) current = next;
    },
    isConnected: () => true,
    connect: async () => undefined,
    removeBroker: () => undefined,
    findTopicPartitionMetadata: () => Object.keys(leaders).map((p) => ({ partitionId: Number(p), leader: leaders[Number(p)] })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const out: Record<number, number[]> = {};
      for (const p of partitions) (out[current[Number(p)] as number] ??= []).push(Number(p));
      return out;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
  };
  const sequences = new Map<string, number>();
  const eosManager = {
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    isTransactional: () => false,
    getTransactionalId: () => undefined,
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
    getSequence: (t: string, p: number) => sequences.get(`${t}:${p}`) ?? 0,
    updateSequence: (t: string, p: number, n: number) => sequences.set(`${t}:${p}`, (sequences.get(`${t}:${p}`) ?? 0) + n),
  };
  return {
    produced,
    attempts,
    sequences,
    /** From the next metadata refresh on, `moved` (partition → broker) lead; `revive` brokers answer again */
    move: (moved: Record<number, number>, revive: number[] = []) => {
      next = { ...current, ...moved };
      for (const id of revive) opts.failing.delete(id);
    },
    deps: {
      logger: { debug: () => undefined, error: () => undefined, info: () => undefined, warn: () => undefined },
      cluster,
      eosManager,
      retrier: createRetry({ initialRetryTime: 5, retries: 5, maxRetryTime: 20 }),
    },
  };
}

/** Message `v<i>` to partition i mod n */
const partitioner =
  (n: number) =>
  ({ message }: { message: { value: string } }) =>
    Number(message.value.slice(1)) % n;

/** Every value sent appears in exactly one successful produce request */
function expectEachOnce(produced: Produced[], values: string[]): void {
  const seen = produced.flatMap((p) => p.values).sort();
  expect(seen).toEqual([...values].sort());
}

describe('kafkajs send path, patched: a partition whose leader moves is still sent, once', () => {
  const values = Array.from({ length: 12 }, (_, i) => `v${i}`);

  it('sends the moved partition to the broker that already answered for its own', async () => {
    // p0 on broker 1 (alive), p1 on broker 2 (dead); after the refresh p1 is led by broker 1.
    const c = scriptedCluster({ 0: 1, 1: 2 }, { failing: new Set([2]) });
    c.move({ 1: 1 });
    const send = createSendMessages({ ...c.deps, partitioner: partitioner(2) });
    const answers = await send({
      acks: -1,
      timeout: 1000,
      compression: 0,
      topicMessages: [{ topic: 't', messages: values.map((value) => ({ value })) }],
    });
    expectEachOnce(c.produced, values);
    expect(c.produced.filter((p) => p.partition === 1)).toEqual([
      expect.objectContaining({ broker: 1, firstSequence: 0, values: values.filter((_, i) => i % 2 === 1) }),
    ]);
    expect(answers).toHaveLength(2);
    expect(c.sequences.get('t:0')).toBe(6);
    expect(c.sequences.get('t:1')).toBe(6);
  });

  it('keeps keyless messages in the partitions first assigned (a round-robin partitioner would move them on retry)', async () => {
    const c = scriptedCluster({ 0: 1, 1: 2 }, { failing: new Set([2]) });
    c.move({ 1: 1 });
    let counter = 0;
    const roundRobin = () => counter++ % 2;
    const send = createSendMessages({ ...c.deps, partitioner: roundRobin });
    await send({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages: values.map((value) => ({ value })) }] });
    expectEachOnce(c.produced, values);
    const first = c.produced.find((p) => p.partition === 0)?.values ?? [];
    const moved = c.produced.find((p) => p.partition === 1)?.values ?? [];
    expect(first).toEqual(values.filter((_, i) => i % 2 === 0));
    expect(moved).toEqual(values.filter((_, i) => i % 2 === 1));
  });

  it('does not retry while another request of the same attempt is still in flight', async () => {
    // broker 2 fails at once; broker 1 is slow and fails too this time. A retry started before broker 1's answer
    // would re-send p0 with new sequence numbers while the first request may still be written.
    const c = scriptedCluster({ 0: 1, 1: 2 }, { failing: new Set([1, 2]), slow: new Map([[1, 60]]) });
    c.move({ 1: 1 }, [1]);
    const send = createSendMessages({ ...c.deps, partitioner: partitioner(2) });
    await send({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages: values.map((value) => ({ value })) }] });
    expectEachOnce(c.produced, values);
    // Attempt 1: brokers 1 and 2; attempt 2 only after both settled: broker 1 for p0 and p1 together.
    expect(c.attempts).toEqual([1, 2, 1]);
    expect(c.produced.map((p) => [p.partition, p.firstSequence])).toEqual([
      [0, 0],
      [1, 0],
    ]);
  });
});
