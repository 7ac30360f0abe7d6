/**
 * The first request of a transaction often meets CONCURRENT_TRANSACTIONS: the coordinator is still writing the markers
 * of the previous transaction. kafkajs 2.2.4 left it to the send's retrier, whose first back-off is 200-300 ms, so a
 * stage committing back to back waited that long for a third of its transactions (kafka-txn.bench.ts: 188 ms per
 * transaction of 10 records, 35 ms with the patch). patches/kafkajs+2.2.4.patch asks again after 20 ms, as the Java
 * producer does, for up to 2 s. These tests drive kafkajs's own transaction manager (src/producer/eosManager) against
 * a scripted coordinator, on Jest's fake clock.
 */
// A module, so that its names are its own (without an import or export TypeScript shares them with the other
// test files that have none, and ts-jest's type check fails on the names they both declare).
// eslint-disable-next-line jest/no-export
export {};
/* eslint-disable @typescript-eslint/no-require-imports */
const createEosManager = require('kafkajs/src/producer/eosManager') as (deps: object) => {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  addPartitionsToTransaction(topicData: { topic: string; partitions: { partition: number }[] }[]): Promise<void>;
  sendOffsets(req: object): Promise<void>;
};
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */

const CONCURRENT_TRANSACTIONS = 51;
const noop = () => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop };

/** A coordinator answering CONCURRENT_TRANSACTIONS `busy` times to each AddPartitionsToTxn/AddOffsetsToTxn. */
function scripted(busy: number) {
  const calls: { api: string; at: number }[] = [];
  let left = { addPartitionsToTxn: busy, addOffsetsToTxn: busy };
  const answer = async (api: 'addPartitionsToTxn' | 'addOffsetsToTxn') => {
    calls.push({ api, at: Date.now() });
    if (left[api] > 0) {
      left = { ...left, [api]: left[api] - 1 };
      throw createErrorFromCode(CONCURRENT_TRANSACTIONS);
    }
  };
  const coordinator = {
    isConnected: () => true,
    initProducerId: async () => ({ producerId: 7, producerEpoch: 0 }),
    addPartitionsToTxn: () => answer('addPartitionsToTxn'),
    addOffsetsToTxn: () => answer('addOffsetsToTxn'),
    txnOffsetCommit: async () => ({}),
  };
  const cluster = {
    retry: { retries: 0 },
    refreshMetadataIfNecessary: async () => undefined,
    findGroupCoordinator: async () => coordinator,
  };
  const manager = createEosManager({ logger, cluster, transactional: true, transactionalId: 'patch-test' });
  return { manager, calls };
}

describe('kafkajs transaction manager, patched: CONCURRENT_TRANSACTIONS asked again after 20 ms', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('adds the partitions once the coordinator has written the previous markers, 20 ms apart, without the retrier', async () => {
    const { manager, calls } = scripted(3);
    await manager.initProducerId();
    manager.beginTransaction();
    const added = manager.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 0 }] }]);
    await jest.advanceTimersByTimeAsync(60);
    await added; // with cluster retries at 0, only the patch's own asking again can have made it succeed
    expect(calls.map((c) => [c.api, c.at])).toEqual([
      ['addPartitionsToTxn', 0],
      ['addPartitionsToTxn', 20],
      ['addPartitionsToTxn', 40],
      ['addPartitionsToTxn', 60],
    ]);
  });

  it('does the same for the offsets of a transaction', async () => {
    const { manager, calls } = scripted(2);
    await manager.initProducerId();
    manager.beginTransaction();
    const sent = manager.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    await jest.advanceTimersByTimeAsync(40);
    await sent;
    expect(calls.map((c) => [c.api, c.at])).toEqual([
      ['addOffsetsToTxn', 0],
      ['addOffsetsToTxn', 20],
      ['addOffsetsToTxn', 40],
    ]);
  });

  it("gives up after 2 s of asking, with the coordinator's error (the send's retrier takes it from there)", async () => {
    const { manager, calls } = scripted(1_000);
    await manager.initProducerId();
    manager.beginTransaction();
    const added = manager.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 0 }] }]);
    const outcome = added.then(
      () => 'added',
      (e: { type?: string }) => e.type,
    );
    await jest.advanceTimersByTimeAsync(2_500);
    expect(await outcome).toBe('CONCURRENT_TRANSACTIONS');
    expect(calls).toHaveLength(100);
  });
});
