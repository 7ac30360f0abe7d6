/**
 * Scale-out of the gateways (issue 14): the whole pipeline with two processes of the dmp-gateway and two of the
 * mss-gateway, each pair in one consumer group sharing its topic's partitions, delivering to the DMP and MSSanté
 * simulators. Mid-replay one process of each gateway is killed with kill -9 and not restarted: the other takes over its
 * partitions. At the end every input is accounted for exactly once, read committed, with each route's `delivered`
 * status; the DMP stored each submission once; every mail arrived (SMTP is at-least-once: duplicate copies by Message-ID
 * are counted and printed). The takeover per gateway is printed: from the kill to the survivor's first delivery of a
 * record of the dead process's partitions (the longest stretch those partitions delivered nothing), and to the
 * survivor holding every partition.
 * Knobs: GW_SCALE_EVENTS, GW_SCALE_WINDOW_S, GW_SCALE_SEED, CLUSTER_KEEP_LOGS (keep the service logs of a passing run).
 */
import type { TopicNames } from '@passerelle/pipeline';
import type { Observation } from '../faults/ledger';
import { sleep } from '../faults/supervisor';
import { groupMembers, type GroupMember } from './groups';
import { expectExactlyOnce, replayUnderFault } from './replay';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const EVENTS = num('GW_SCALE_EVENTS', 800);
const WINDOW_MS = num('GW_SCALE_WINDOW_S', 80) * 1_000;

interface Gateway {
  service: 'dmp-gateway' | 'mss-gateway';
  /** The gateway's input topic, and the ledger's name of its delivered statuses */
  topic: (t: TopicNames) => string;
  delivered: string;
}
const GATEWAYS: Gateway[] = [
  { service: 'dmp-gateway', topic: (t) => t.dmp, delivered: 'status:delivered:dmp' },
  { service: 'mss-gateway', topic: (t) => t.mss, delivered: 'status:delivered:mss:' },
];

interface Kill {
  at: number;
  before: GroupMember[];
  /** The dead process's partitions (the member that left), once the survivor held them all */
  orphaned: string[];
  /** Milliseconds from the kill to the survivor holding every partition */
  rebalancedMs?: number;
}

/** `<topic>:<partition>` of a record's place `<topic>:<partition>:<offset>`. */
const partitionOf = (place: string | undefined) => place?.slice(0, place.lastIndexOf(':')) ?? '';

/**
 * From the kill to the first delivered status, committed and written after the kill (so by the survivor), of a record
 * on one of the dead process's partitions; null if none.
 */
function takeoverMs(g: Gateway, kill: Kill, observations: Observation[], topic: string): number | null {
  // Each route record's partition, by event and route (the `dmp` record, the `mss:<audience>` records).
  const partitions = new Map<string, string>();
  for (const o of observations) if (o.place?.startsWith(`${topic}:`)) partitions.set(`${o.eventId} ${o.what}`, partitionOf(o.place));
  const orphaned = new Set(kill.orphaned);
  const after = observations
    .filter((o) => o.what.startsWith(g.delivered) && (o.at ?? 0) > kill.at)
    .filter((o) => orphaned.has(partitions.get(`${o.eventId} ${o.what.slice('status:delivered:'.length)}`) ?? ''))
    .map((o) => (o.at as number) - kill.at);
  return after.length > 0 ? Math.min(...after) : null;
}

describe('scale-out of the gateways: two processes each, one of each killed for good mid-replay', () => {
  it('the survivors take over the partitions; every input accounted for once, the DMP stores each once, no mail lost', async () => {
    const kills = new Map<string, Kill>();
    let topics: TopicNames | undefined;
    const r = await replayUnderFault({
      name: 'gwscale',
      events: EVENTS,
      windowMs: WINDOW_MS,
      seed: num('GW_SCALE_SEED', 20_261_206),
      gateways: true,
      instances: { 'dmp-gateway': 2, 'mss-gateway': 2 },
      fault: async (ctx) => {
        topics = ctx.topics;
        const prefix = ctx.topics.status.slice(0, ctx.topics.status.indexOf('documents.status'));
        const groups = GATEWAYS.map((g) => `${prefix}passerelle-${g.service}`);
        await sleep(Math.max(0, WINDOW_MS * 0.35 - ctx.at()));
        const before = await groupMembers(ctx.kafka, groups);
        const victims = ctx.processes.filter((p) => GATEWAYS.some((g) => p.name === `${g.service}-1`));
        await Promise.all(victims.map((p) => p.kill9('chaos', false)));
        const at = Date.now();
        for (const [i, g] of GATEWAYS.entries()) kills.set(g.service, { at, before: before.get(groups[i] as string) ?? [], orphaned: [] });
        ctx.mark(`kill -9 ${victims.map((p) => p.name).join(', ')} (not restarted)`);
        // Until each group has one member left holding every partition: the survivor; the other member's were orphaned.
        while ([...kills.values()].some((k) => k.rebalancedMs === undefined) && Date.now() - at < 90_000) {
          const now = await groupMembers(ctx.kafka, groups);
          for (const [i, g] of GATEWAYS.entries()) {
            const kill = kills.get(g.service) as Kill;
            const members = now.get(groups[i] as string) ?? [];
            const all = kill.before.flatMap((m) => m.partitions);
            const [survivor] = members;
            if (kill.rebalancedMs === undefined && members.length === 1 && survivor && survivor.partitions.length === all.length) {
              kill.rebalancedMs = Date.now() - at;
              kill.orphaned = kill.before.filter((m) => m.memberId !== survivor.memberId).flatMap((m) => m.partitions);
            }
          }
          await sleep(250); // poll the groups again
        }
        ctx.say(
          `before the kills: ${[...kills].map(([s, k]) => `${s} ${k.before.map((m) => m.partitions.length).join('/')} partitions`).join(', ')}; ` +
            `the survivor holds them all after ${[...kills].map(([s, k]) => `${s} ${k.rebalancedMs === undefined ? 'never' : `${(k.rebalancedMs / 1000).toFixed(1)}s`}`).join(', ')}`,
        );
      },
    });

    const takeover = new Map(
      GATEWAYS.map((g) => [g.service, takeoverMs(g, kills.get(g.service) as Kill, r.observations, g.topic(topics as TopicNames))] as const),
    );
    process.stdout.write(
      `gateway scale-out: ${GATEWAYS.map((g) => {
        const k = kills.get(g.service) as Kill;
        const t = takeover.get(g.service);
        return (
          `${g.service}: partitions ${k.before.map((m) => m.partitions.length).join('/')} before the kill, ` +
          `the dead one's ${k.orphaned.length} delivered again by the survivor ${t == null ? 'never' : `${(t / 1000).toFixed(1)}s`} after the kill ` +
          `(it held every partition after ${k.rebalancedMs === undefined ? 'never' : `${(k.rebalancedMs / 1000).toFixed(1)}s`})`
        );
      }).join('; ')}; longest pause in output ${(r.longestPauseMs / 1000).toFixed(1)}s\n`,
    );

    for (const g of GATEWAYS) {
      const k = kills.get(g.service) as Kill;
      // Before: the partitions shared between two members; after: the survivor took the dead one's and delivered them.
      expect(k.before.length).toBe(2);
      expect(k.before.every((m) => m.partitions.length > 0)).toBe(true);
      expect(k.rebalancedMs).toBeDefined();
      expect(k.orphaned.length).toBeGreaterThan(0);
      expect(takeover.get(g.service)).not.toBeNull();
    }
    expectExactlyOnce(r, EVENTS);
  }, 1_200_000);
});
