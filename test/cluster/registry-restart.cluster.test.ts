/**
 * Registry restart mid-replay (issue 14): the registry is killed (-9) while events flow, and while it is down the
 * composer is killed too, so that its new process starts with no schema in cache and must reach the registry. The
 * registry comes back with every schema (kafkasql storage); transient errors are retried; at the end nothing is
 * lost, nothing duplicated, and nothing dead-lettered but the events made to fail for good.
 * Knobs: REGISTRY_EVENTS, REGISTRY_WINDOW_S.
 */
import { sleep } from '../faults/supervisor';
import { clusterStack } from './cluster-stack';
import { expectExactlyOnce, replayUnderFault } from './replay';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const EVENTS = num('REGISTRY_EVENTS', 1_500);
const WINDOW_MS = num('REGISTRY_WINDOW_S', 90) * 1_000;

describe('registry restart mid-replay', () => {
  it('loses nothing and dead-letters nothing for good', async () => {
    let restarted = '';
    const r = await replayUnderFault({
      name: 'registry',
      events: EVENTS,
      windowMs: WINDOW_MS,
      seed: num('REGISTRY_SEED', 20_261_203),
      fault: async (ctx) => {
        await sleep(Math.max(0, WINDOW_MS * 0.3 - ctx.at()));
        ctx.mark('kill -9 the registry');
        const restart = clusterStack('restart-registry', '--kill');
        await sleep(2_000);
        const composer = ctx.processes.find((p) => p.name === 'composer');
        ctx.mark('kill -9 composer (its new process has no schema in cache)');
        await composer?.kill9();
        restarted = await restart;
        ctx.mark(`registry back: ${restarted.split('\n').pop() ?? ''}`);
      },
    });
    expect(restarted).toMatch(/registry ready/);
    expectExactlyOnce(r, EVENTS);
  }, 1_200_000);
});
