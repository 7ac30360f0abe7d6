/**
 * A principal refused on a consumer group or a transactional id gets GROUP_AUTHORIZATION_FAILED or
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED from FindCoordinator. kafkajs 2.2.4 asks each broker in turn, drops every
 * broker's error and says "Failed to find group coordinator" (KafkaJSGroupCoordinatorNotFound): an operator reads a
 * broker problem where there is an ACL one. patches/kafkajs+2.2.4.patch throws the authorization error itself. These
 * tests drive kafkajs's own Cluster.findGroupCoordinatorMetadata and BrokerPool.withBroker against scripted brokers.
 */
// A module, so that its names are its own (without an import or export TypeScript shares them with the other
// test files that have none, and ts-jest's type check fails on the names they both declare).
// eslint-disable-next-line jest/no-export
export {};
/* eslint-disable @typescript-eslint/no-require-imports */
const Cluster = require('kafkajs/src/cluster') as {
  prototype: { findGroupCoordinatorMetadata(req: { groupId: string }): Promise<unknown> };
};
const BrokerPool = require('kafkajs/src/cluster/brokerPool') as { prototype: { withBroker(cb: unknown): Promise<unknown> } };
const createRetry = require('kafkajs/src/retry') as (opts: object) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */

const GROUP_AUTHORIZATION_FAILED = 30;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
const noop = () => undefined;

/** A cluster of `brokers` brokers, each answering FindCoordinator with `answer()`. */
function clusterAnswering(brokers: number, answer: () => Promise<unknown>) {
  const broker = { findGroupCoordinator: answer };
  const pool = { brokers: Object.fromEntries(Array.from({ length: brokers }, (_, i) => [i + 1, broker])), findBroker: async () => broker };
  const cluster = {
    brokerPool: { withBroker: (cb: unknown) => BrokerPool.prototype.withBroker.call(pool, cb) },
    retrier: createRetry({ retries: 2, initialRetryTime: 1 }),
    logger: { debug: noop, info: noop, warn: noop, error: noop },
  };
  return (groupId: string) => Cluster.prototype.findGroupCoordinatorMetadata.call(cluster, { groupId });
}

describe('kafkajs FindCoordinator, patched: an authorization error is reported as such', () => {
  it.each([
    [GROUP_AUTHORIZATION_FAILED, 'GROUP_AUTHORIZATION_FAILED'],
    [TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
  ])('error %i from every broker: that error (%s), not "Failed to find group coordinator", at once', async (code, type) => {
    let asked = 0;
    const find = clusterAnswering(3, async () => {
      asked += 1;
      throw createErrorFromCode(code);
    });
    await expect(find('g')).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type, retriable: false });
    // Not retried: each broker asked once.
    expect(asked).toBe(3);
  });

  it('still says "Failed to find group coordinator" when no broker knows it for another reason', async () => {
    const find = clusterAnswering(2, async () => {
      throw new Error('socket closed');
    });
    await expect(find('g')).rejects.toMatchObject({ name: 'KafkaJSGroupCoordinatorNotFound' });
  });

  it('returns the coordinator a broker names', async () => {
    const find = clusterAnswering(1, async () => ({ coordinator: { nodeId: 1 }, host: 'h' }));
    await expect(find('g')).resolves.toEqual({ coordinator: { nodeId: 1 }, host: 'h' });
  });
});
