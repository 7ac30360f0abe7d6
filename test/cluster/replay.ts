/**
 * A replay through the services under a fault: `events` generated events (test/faults/scenario.ts) published over
 * `windowMs` to composer, signer, router and retrier, each its own supervised process (test/faults/supervisor.ts),
 * while `fault` runs; then the exactly-once accounting of test/faults (read committed by the Java client), the
 * longest pause in output (no new final status while events were still to finish) and its table.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipelineCodec, topicNames, type TopicNames } from '@passerelle/pipeline';
import { createTestPki } from '@passerelle/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { localEnv } from '../../scripts/local-pipeline';
import { account, formatTable, type Accounting } from '../faults/ledger';
import { committedPlaces, observedTopics, readAll, watch } from '../faults/observe';
import { PHARMACIES, scenario, sendOnce } from '../faults/scenario';
import { freePort, ServiceProcess, sleep } from '../faults/supervisor';
import { brokers, encodeEvents, registryUrl } from '../pipeline/harness';
import { javaClasspath, openTransactions } from './cluster-stack';

const SERVICES = ['composer', 'signer', 'router', 'retrier'] as const;
const TIERS = '1s,2s,5s';

export interface ReplayContext {
  kafka: Kafka;
  topics: TopicNames;
  processes: ServiceProcess[];
  /** Milliseconds since publishing started */
  at: () => number;
  /** Events with a final status so far */
  done: () => number;
  say: (line: string) => void;
  /** Records a fault (the table says which one preceded the longest pause) */
  mark: (what: string) => void;
}

export interface ReplayResult {
  accounting: Accounting;
  table: string;
  longestPauseMs: number;
  expected: { parked: number; deadLettered: number };
  unread: number;
  anonymous: number;
  faults: string[];
}

export async function replayUnderFault(opts: {
  name: string;
  events: number;
  windowMs: number;
  seed: number;
  /** Processes per service, in one consumer group (default 1) */
  instances?: number;
  fault: (ctx: ReplayContext) => Promise<void>;
}): Promise<ReplayResult> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const say = (line: string) => process.stdout.write(`[${opts.name} ${elapsed()}] ${line}\n`);
  const prefix = `${opts.name}${Date.now().toString(36)}.`;
  const topics = topicNames(prefix);
  const kafka = new Kafka({
    clientId: `${opts.name}-test`,
    brokers,
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 300, retries: 15, maxRetryTime: 5_000 },
    logLevel: logLevel.NOTHING,
  });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), `passerelle-${opts.name}-`));
  const processes: ServiceProcess[] = [];
  let producer: Producer | undefined;
  let statusWatch: Awaited<ReturnType<typeof watch>> | undefined;
  let passed = false;
  try {
    const pki = await createTestPki(join(work, 'pki'), PHARMACIES, { broken: false });
    mkdirSync(join(work, 'logs'));
    const instances = opts.instances ?? 1;
    for (const service of SERVICES)
      for (let i = 1; i <= instances; i++) {
        const name = instances > 1 ? `${service}-${i}` : service;
        const port = await freePort();
        const env = localEnv({
          keyStoreDir: pki.keyStoreDir,
          trustDir: pki.trustDir,
          tiers: TIERS,
          env: {
            KAFKA_BROKERS: brokers.join(','),
            SCHEMA_REGISTRY_URL: registryUrl,
            PASSERELLE_TOPIC_PREFIX: prefix,
            PASSERELLE_RETRY_TIERS: TIERS,
            PASSERELLE_METRICS_PORT: String(port),
            KAFKAJS_NO_PARTITIONER_WARNING: '1',
          },
        });
        processes.push(
          new ServiceProcess({
            name,
            script: join('services', service, 'src', 'main.ts'),
            cwd: join(__dirname, '..', '..'),
            env,
            port,
            logFile: join(work, 'logs', `${name}.log`),
          }),
        );
      }
    processes[0]?.start();
    await processes[0]?.ready(240_000);
    for (const p of processes.slice(1)) p.start();
    await Promise.all(processes.map((p) => p.ready(240_000)));
    say(`services ready: ${processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}; prefix ${prefix}`);

    const { events, expected } = scenario(opts.events, opts.seed);
    const encoded = await encodeEvents(codec, topics, events);
    const count = (o: string) => expected.filter((e) => e.outcome === o).length;
    say(
      `${opts.events} events (seed ${opts.seed}): ${count('delivered')} to deliver, ${count('parked')} to park, ${count('dead-lettered')} to dead-letter; over ${opts.windowMs / 1000}s`,
    );

    const terminal = new Map<string, string>();
    statusWatch = await watch(kafka, codec, topics, [topics.status]);
    const isTerminal = (what: string) =>
      what === 'status:routed' || what.startsWith('status:parked:') || what.startsWith('status:dead-lettered:');
    // The longest pause in output: the longest time without a new final status, from the first one to the last.
    let lastProgressAt = 0;
    let longestPauseMs = 0;
    let longestPauseEnd = 0;
    const progress = () => {
      const before = terminal.size;
      for (const o of statusWatch?.observations.splice(0) ?? []) if (isTerminal(o.what)) terminal.set(o.eventId, o.what);
      if (terminal.size > before) {
        const now = Date.now();
        if (lastProgressAt > 0 && now - lastProgressAt > longestPauseMs) {
          longestPauseMs = now - lastProgressAt;
          longestPauseEnd = now;
        }
        lastProgressAt = now;
      }
      return terminal.size;
    };
    const sampler = setInterval(progress, 100);

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const t0 = Date.now();
    const faults: [number, string][] = [];
    const batches = Math.max(1, Math.round(opts.windowMs / 500));
    const perBatch = Math.ceil(encoded.length / batches);
    const publishing = (async () => {
      for (let b = 0; b * perBatch < encoded.length; b++) {
        await sleep(Math.max(0, t0 + b * 500 - Date.now()));
        await sendOnce(producer as Producer, encoded.slice(b * perBatch, (b + 1) * perBatch));
      }
    })();
    const ctx: ReplayContext = {
      kafka,
      topics,
      processes,
      at: () => Date.now() - t0,
      done: progress,
      say,
      mark: (what) => {
        faults.push([Date.now(), what]);
        say(`${what}; ${progress()} events done`);
      },
    };
    await Promise.all([publishing, opts.fault(ctx)]);
    say(`all ${opts.events} events published, the fault is over; ${progress()} events done`);

    const deadline = Date.now() + 300_000;
    while (progress() < opts.events && Date.now() < deadline) await sleep(1_000);
    while (Date.now() - (statusWatch.lastRecordAt() ?? 0) < 8_000) await sleep(500);
    clearInterval(sampler);
    say(`quiescent: ${progress()}/${opts.events} events with a final status; reading every topic, read committed`);

    const everything = observedTopics(topics);
    const all = await readAll(kafka, codec, topics, everything, 5_000, true);
    const committed = await committedPlaces(javaClasspath, brokers, everything);
    const observations = all.observations.filter((o) => committed.has(o.place ?? ''));
    const anonymous = all.anonymous.filter((place) => committed.has(place)).length;
    const unread = committed.size - observations.length - anonymous;
    const accounting = account(expected, observations);
    const before = faults.filter(([t]) => t < longestPauseEnd).pop();
    const pauseText =
      `${(longestPauseMs / 1000).toFixed(1)}s` +
      (before ? ` (ended ${((longestPauseEnd - before[0]) / 1000).toFixed(1)}s after: ${before[1]})` : '');
    const table = formatTable(accounting, [
      ['longest pause in output', pauseText],
      ['service restarts', processes.reduce((n, p) => n + p.starts - 1, 0)],
      ['duration', elapsed()],
    ]);
    say(
      `exactly-once accounting (${observations.length} records read):\n${table}\n  faults: ${faults.map(([t, w]) => `${((t - t0) / 1000).toFixed(1)}s ${w}`).join('; ')}`,
    );
    const problems = accounting.verdicts.filter(
      (v) => v.outcome === 'lost' || v.outcome === 'conflicting' || v.wrong !== null || v.duplicates.length > 0,
    );
    const seen = (id: string) => [...new Set(observations.filter((o) => o.eventId === id).map((o) => o.what))].sort().join(' ');
    const lostAt = new Map<string, number>();
    for (const v of problems.filter((x) => x.outcome === 'lost')) lostAt.set(seen(v.eventId), (lostAt.get(seen(v.eventId)) ?? 0) + 1);
    if (lostAt.size > 0) say(`lost events by what the topics hold of them: ${[...lostAt].map(([w, n]) => `${n}× [${w}]`).join('; ')}`);
    if (problems.length > 0)
      say(
        `problems (first 10 of ${problems.length}): ${problems
          .slice(0, 10)
          .map(
            (v) =>
              `${v.eventId} ${v.outcome}${v.wrong ? ` (${v.wrong})` : ''}${v.duplicates.length ? ` dup ${JSON.stringify(v.duplicates)}` : ''} | seen: ${seen(v.eventId)}`,
          )
          .join('; ')}`,
      );
    passed = problems.length === 0 && anonymous === 0 && unread === 0;
    if (!passed) {
      // Where read-committed readers stop: partitions with a transaction still open, and the transactions not complete.
      const open = await openTransactions(brokers, everything).catch((err: Error) => `(OpenTransactions.java failed: ${err.message})`);
      say(`partitions whose last stable offset is below the high watermark, and open transactions:\n${open || '  none'}`);
    }
    return {
      accounting,
      table,
      longestPauseMs,
      expected: { parked: count('parked'), deadLettered: count('dead-lettered') },
      unread,
      anonymous,
      faults: faults.map(([, w]) => w),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await statusWatch?.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    // CLUSTER_KEEP_LOGS=1 keeps the services' logs of a passing run too (to read what a long pause was).
    if (passed && !process.env.CLUSTER_KEEP_LOGS) rmSync(work, { recursive: true, force: true });
    else say(`service logs kept in ${join(work, 'logs')}`);
  }
}

/** The assertions every replay makes: each input accounted for exactly once, as expected. */
export function expectExactlyOnce(r: ReplayResult, events: number): void {
  const a = r.accounting;
  expect({
    lost: a.lost,
    duplicated: a.duplicated,
    conflicting: a.conflicting,
    wrong: a.wrong,
    inputsRepeated: a.inputsRepeated,
    anonymous: r.anonymous,
    unread: r.unread,
  }).toEqual({ lost: 0, duplicated: 0, conflicting: 0, wrong: 0, inputsRepeated: 0, anonymous: 0, unread: 0 });
  expect(a.delivered + a.parked + a.deadLettered).toBe(events);
  expect(a.parked).toBe(r.expected.parked);
  // Only the events made to fail for good (a wrong INS key) are dead-lettered: no transient error ended there.
  expect(a.deadLettered).toBe(r.expected.deadLettered);
}
