/**
 * Cluster faults (issue 14): during a replay of several thousand events through the services on a 3-node cluster
 * (topics with 3 replicas, min.insync.replicas=2, producers acks=all and idempotent), kill -9 the broker that leads
 * most of the test's partitions, bring it back, then kill -9 the active controller (the KRaft quorum's leader) and
 * bring it back. The services keep going; at the end every input is accounted for exactly once, read committed.
 * Knobs: CLUSTER_EVENTS, CLUSTER_WINDOW_S, CLUSTER_SEED, CLUSTER_KEEP_LOGS (keep the service logs of a passing run).
 */
import { observedTopics } from '../faults/observe';
import { sleep } from '../faults/supervisor';
import { brokers } from '../pipeline/harness';
import { clusterStack, partitionLeaders, quorumLeader } from './cluster-stack';
import { expectExactlyOnce, replayUnderFault } from './replay';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const EVENTS = num('CLUSTER_EVENTS', 2_000);
const WINDOW_MS = num('CLUSTER_WINDOW_S', 120) * 1_000;

describe('cluster faults: kill -9 of the busiest broker, then of the active controller', () => {
  it('accounts for every input exactly once while brokers die', async () => {
    const killed: number[] = [];
    const r = await replayUnderFault({
      name: 'cluster',
      events: EVENTS,
      windowMs: WINDOW_MS,
      seed: num('CLUSTER_SEED', 20_261_202),
      fault: async (ctx) => {
        await sleep(Math.max(0, WINDOW_MS * 0.25 - ctx.at()));
        const leaders = await partitionLeaders(ctx.kafka, observedTopics(ctx.topics));
        const busiest = leaders[0]?.[0] ?? 1;
        ctx.mark(`kill -9 broker ${busiest} (leads ${leaders[0]?.[1]} partitions; ${leaders.map(([b, n]) => `${b}:${n}`).join(' ')})`);
        await clusterStack('stop-node', String(busiest), '--kill');
        killed.push(busiest);
        await sleep(15_000);
        ctx.say(await clusterStack('start-node', String(busiest)));
        ctx.mark(`broker ${busiest} back`);
        await sleep(Math.max(10_000, WINDOW_MS * 0.6 - ctx.at()));
        const controller = await quorumLeader(brokers);
        ctx.mark(`kill -9 node ${controller} (the active controller)`);
        await clusterStack('stop-node', String(controller), '--kill');
        killed.push(controller);
        await sleep(15_000);
        ctx.say(await clusterStack('start-node', String(controller)));
        ctx.mark(`node ${controller} back; quorum leader now ${await quorumLeader(brokers)}`);
      },
    });
    expect(killed).toHaveLength(2);
    expectExactlyOnce(r, EVENTS);
  }, 1_200_000);
});
