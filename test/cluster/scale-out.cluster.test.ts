/**
 * Scale-out (issue 14): two processes of each service (composer, signer, router, retrier) in one consumer group per
 * service, sharing its partitions. Mid-replay, one process of each service is killed with kill -9 and not restarted:
 * the other takes over its partitions (after the dead member's session times out, 6 s). At the end every input is
 * accounted for exactly once, read committed; the test prints how the partitions were shared, how long each survivor
 * took to hold them all, and the longest pause in output.
 * Knobs: SCALE_EVENTS, SCALE_WINDOW_S, SCALE_SEED, CLUSTER_KEEP_LOGS (keep the service logs of a passing run).
 */
import type { Kafka } from 'kafkajs';
import { sleep } from '../faults/supervisor';
import { groupMembers } from './groups';
import { expectExactlyOnce, replayUnderFault } from './replay';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const EVENTS = num('SCALE_EVENTS', 2_000);
const WINDOW_MS = num('SCALE_WINDOW_S', 120) * 1_000;
const SERVICES = ['composer', 'signer', 'router', 'retrier'];

/** Each service's group: how many partitions each of its members holds. */
async function sharing(kafka: Kafka, prefix: string): Promise<Map<string, number[]>> {
  const groups = await groupMembers(
    kafka,
    SERVICES.map((s) => `${prefix}passerelle-${s}`),
  );
  return new Map([...groups].map(([g, members]) => [g.slice(prefix.length), members.map((m) => m.partitions.length)]));
}

const shown = (s: Map<string, number[]>) => [...s].map(([g, counts]) => `${g} ${counts.join('/') || 'no members'}`).join(', ');

describe('scale-out: two processes per service, one of each killed for good mid-replay', () => {
  it('shares the partitions, and the survivors take over with every input accounted for exactly once', async () => {
    let before = new Map<string, number[]>();
    let after = new Map<string, number[]>();
    const r = await replayUnderFault({
      name: 'scale',
      events: EVENTS,
      windowMs: WINDOW_MS,
      seed: num('SCALE_SEED', 20_261_206),
      instances: 2,
      fault: async (ctx) => {
        const prefix = ctx.topics.status.slice(0, ctx.topics.status.indexOf('documents.status'));
        await sleep(Math.max(0, WINDOW_MS * 0.3 - ctx.at()));
        before = await sharing(ctx.kafka, prefix);
        ctx.say(`partitions per member before the kills: ${shown(before)}`);
        const victims = ctx.processes.filter((p) => p.name.endsWith('-1'));
        await Promise.all(victims.map((p) => p.kill9('chaos', false)));
        const killedAt = Date.now();
        ctx.mark(`kill -9 ${victims.map((p) => p.name).join(', ')} (not restarted)`);
        // Takeover: how long until each group has one member left, holding every partition.
        const takeover = new Map<string, number>();
        while (takeover.size < SERVICES.length && Date.now() - killedAt < 60_000) {
          after = await sharing(ctx.kafka, prefix);
          for (const [g, counts] of after) {
            const all = (before.get(g) ?? []).reduce((a, b) => a + b, 0);
            if (counts.length === 1 && counts[0] === all && !takeover.has(g)) takeover.set(g, Date.now() - killedAt);
          }
          await sleep(250); // poll the groups again
        }
        ctx.say(
          `partitions per member after the kills: ${shown(after)}; survivor holds them all after ` +
            [...takeover].map(([g, ms]) => `${g} ${(ms / 1000).toFixed(1)}s`).join(', '),
        );
      },
    });
    process.stdout.write(`scale-out: longest pause in output ${(r.longestPauseMs / 1000).toFixed(1)}s\n`);
    // Before: every service's partitions shared between its two members; after: one member holds them all.
    for (const s of SERVICES) {
      expect(before.get(`passerelle-${s}`)?.length).toBe(2);
      expect(before.get(`passerelle-${s}`)?.every((n) => n > 0)).toBe(true);
      expect(after.get(`passerelle-${s}`)).toEqual([(before.get(`passerelle-${s}`) ?? []).reduce((a, b) => a + b, 0)]);
    }
    expectExactlyOnce(r, EVENTS);
  }, 1_200_000);
});
