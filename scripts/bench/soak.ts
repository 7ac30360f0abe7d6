/**
 * The soak run: the pipeline under a steady load for a long time, to see whether a service's memory grows or the
 * pipeline falls behind.
 *
 *   npm run soak -- --rate 100 --duration 30m
 *   npm run soak -- --rate 20 --duration 3m          (a trial)
 *
 * The stack is reused or acquired as by the benchmark (processes.ts); composer, signer, router and retrier run as
 * `node services/<name>/dist/main.js` on a fresh topic prefix, under the load tool (scripts/load.ts --external) at
 * --rate for --duration. Every --sample: each service's RSS (/proc/<pid>/status), the CPU cores it used since the
 * previous sample (/proc/<pid>/stat), and its consumer group's lag (`<prefix>passerelle-<service>`, kafkajs admin:
 * end offsets less committed offsets, summed over the partitions of its input topics). At the end, per service: the
 * RSS slope in MiB per hour (least squares over the samples from 2 minutes after the load started, the warm-up left
 * out, to the end of the load, the drain left out), the lag when the load stopped and after the drain; the documents
 * published and routed; the load average at start and end. Writes soak-<timestamp>.json and soak-<timestamp>.svg.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTiers } from '@passerelle/kafka-runtime';
import { stageInputs, topicNames } from '@passerelle/pipeline';
import { Kafka, logLevel } from 'kafkajs';
import { groupLag } from '../load/lag';
import { parseDuration } from '../load/options';
import type { LoadReport } from '../load/report';
import {
  buildServices,
  byService,
  cell,
  CLK_TCK,
  loadAverage,
  processTicks,
  releaseStack,
  reuseOrAcquireStack,
  ROOT,
  round,
  rssMiB,
  runLoadTool,
  SERVICES,
  serviceEnvironment,
  sleep,
  startServices,
  stopOnSignals,
  stopService,
  type Service,
} from './processes';
import { renderSoakChart, summarise, type Sample } from './soak-report';

/** The samples before this (from the start of the load) are warm-up (and so is the load tool's own warm-up, if it
 * lasts longer): the RSS slope is fitted on those after it. */
const WARMUP_MS = 120_000;

const USAGE = `usage: npm run soak -- [--rate 100] [--duration 30m] [--sample 10s] [--out DIR] [--pharmacies 2000] [--keys 200]
       [--drain-timeout 120s] [--metrics-port 19361] [--no-build]`;
const HELP = `${USAGE}

The soak run: composer, signer, router and retrier as separate processes (node dist/main.js) under the load tool at
--rate documents/s for --duration, on a fresh topic prefix. Every --sample, each service's RSS (MiB), CPU (cores used
over the interval) and consumer lag (its group's records not yet consumed, summed over partitions). At the end, per
service: the RSS slope in MiB/hour (least-squares fit over the samples after the first ${WARMUP_MS / 60_000} minutes of load, which
are warm-up (longer if the load tool's own warm-up lasts longer), up to the end of the load), the lag when the load stopped and after the drain; documents published and
routed; load average at start and end. Writes DIR/soak-<timestamp>.json and DIR/soak-<timestamp>.svg (RSS and lag
over time; DIR = scripts/bench/results). A drained pipeline still shows a lag of about one record per partition of a
transactionally written input (composed, signed): the commit marker takes an offset that no consumer commits past.
  --rate           documents/s (default 100)
  --duration       how long the load tool publishes (default 30m; e.g. 3m for a trial)
  --sample         the sampling interval (default 10s)
  --pharmacies     pharmacies with a certificate in the test PKI (default 2000), --keys distinct RSA keys (default 200)
  --drain-timeout  how long the load tool waits for its warm-up and for the drain at the end (default 120s)
  --metrics-port   the composer's metrics port; the signer, router and retrier take the next three (default 19361)
  --no-build       use the services' dist/ as they are (default: turbo run build first)
Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL (default: the local stack, started when it does not answer),
PASSERELLE_RETRY_TIERS (default 1s,5s,30s).`;

export interface SoakOptions {
  rate: number;
  durationMs: number;
  sampleMs: number;
  out: string;
  pharmacies: number;
  keys: number;
  drainTimeoutMs: number;
  metricsPort: number;
  build: boolean;
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rate: { type: 'string', default: '100' },
      duration: { type: 'string', default: '30m' },
      sample: { type: 'string', default: '10s' },
      out: { type: 'string', default: join(ROOT, 'scripts', 'bench', 'results') },
      pharmacies: { type: 'string', default: '2000' },
      keys: { type: 'string', default: '200' },
      'drain-timeout': { type: 'string', default: '120s' },
      'metrics-port': { type: 'string', default: '19361' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const positive = (name: string, v: string | undefined, integer: boolean) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number > 0`);
    return n;
  };
  const sampleMs = parseDuration(values.sample ?? '10s');
  if (sampleMs < 1_000) throw new Error('--sample must be 1s or more (each sample asks the broker for every group’s offsets)');
  return {
    rate: positive('rate', values.rate, false),
    durationMs: parseDuration(values.duration ?? '30m'),
    sampleMs,
    out: values.out ?? '',
    pharmacies: positive('pharmacies', values.pharmacies, true),
    keys: positive('keys', values.keys, true),
    drainTimeoutMs: parseDuration(values['drain-timeout'] ?? '120s'),
    metricsPort: positive('metrics-port', values['metrics-port'], true),
    build: !values['no-build'],
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  let o: SoakOptions;
  try {
    o = parseSoakArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model.trim()}, load average ${loadAtStart.join(' ')}`);
  const stack = await reuseOrAcquireStack();
  const services: Service[] = [];
  const kafka = new Kafka({ clientId: 'passerelle-soak', brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    buildServices(o.build);
    const env = await serviceEnvironment(stack, o.pharmacies, o.keys);
    const prefix = `soak${Date.now().toString(36)}.`;
    const work = mkdtempSync(join(tmpdir(), 'passerelle-soak-'));
    console.log(`topic prefix ${prefix}; service logs and the load report in ${work}`);
    await startServices(services, 'soak', o.metricsPort, { ...env, PASSERELLE_TOPIC_PREFIX: prefix }, work);
    const exits: { service: string; code: number | null; signal: string | null; atS: number }[] = [];
    let stopping = false;
    await admin.connect();
    const topics = topicNames(prefix);
    const tiers = parseTiers(env.PASSERELLE_RETRY_TIERS ?? '1s,5s,30s');
    const inputs = byService((s) => stageInputs(s, topics, tiers));

    const t0 = Date.now();
    for (const s of services) {
      s.child.once('exit', (code, signal) => {
        if (stopping) return;
        exits.push({ service: s.name, code, signal, atS: Math.round((Date.now() - t0) / 1000) });
        console.log(
          `soak: ${s.name} exited (code ${code}, signal ${signal}) ${Math.round((Date.now() - t0) / 1000)} s into the run; log ${s.log}`,
        );
      });
    }
    const samples: Sample[] = [];
    let previous = { at: t0, ticks: services.map((s) => processTicks(s.pid)) };
    const takeSample = async (): Promise<void> => {
      const at = Date.now();
      const ticks = services.map((s) => processTicks(s.pid));
      const seconds = (at - previous.at) / 1000;
      const lags = await Promise.all(
        SERVICES.map((s) =>
          // null until the group has committed once (it then exists), or when the broker does not answer in time.
          groupLag(admin, `${prefix}passerelle-${s}`, inputs[s]).catch(() => null),
        ),
      );
      const sample: Sample = {
        tMs: at - t0,
        load1: loadAverage()[0] ?? NaN,
        services: byService((_, i) => {
          const service = services[i] as Service;
          const rss = rssMiB(service.pid);
          const used = ((ticks[i] ?? NaN) - (previous.ticks[i] ?? NaN)) / CLK_TCK / seconds;
          return { rssMiB: round(rss, 1), cores: round(used, 3), lag: lags[i] ?? null };
        }),
      };
      previous = { at, ticks };
      samples.push(sample);
      const col = (k: 'rssMiB' | 'cores' | 'lag') => SERVICES.map((s) => cell(sample.services[s][k])).join('/');
      console.log(
        `soak [${String(Math.round(sample.tMs / 1000)).padStart(5)}s] RSS MiB c/s/r/rt ${col('rssMiB')}  cores ${col('cores')}  lag ${col('lag')}  load ${sample.load1}`,
      );
    };
    let sampling = true;
    const sampler = (async () => {
      for (let next = t0 + o.sampleMs; sampling; next += o.sampleMs) {
        while (sampling && Date.now() < next) await sleep(Math.min(250, next - Date.now()));
        if (!sampling) break;
        await takeSample();
        // A sample that took longer than the interval (a loaded broker): the next one is due from now, not at once.
        if (Date.now() > next + o.sampleMs) next = Date.now();
      }
    })();

    /** When the load tool ended its warm-up (one event per pharmacy) and when it stopped publishing, since t0 */
    const times: { rateStartMs: number | null; loadEndMs: number | null } = { rateStartMs: null, loadEndMs: null };
    const reportFile = join(work, 'load.json');
    const code = await runLoadTool(
      prefix,
      [
        '--rate',
        String(o.rate),
        '--duration',
        `${o.durationMs}ms`,
        '--pharmacies',
        String(o.pharmacies),
        '--keys',
        String(o.keys),
        '--drain-timeout',
        `${o.drainTimeoutMs}ms`,
        '--report',
        reportFile,
      ],
      env,
      (line) => {
        if (line.startsWith('warm-up:')) times.rateStartMs = Date.now() - t0;
        if (line.startsWith('published ')) times.loadEndMs = Date.now() - t0;
        console.log(`  load | ${line}`);
      },
    );
    sampling = false;
    await sampler;
    // The lag once the load tool has drained (or given up draining).
    await takeSample();
    const loadAtEnd = loadAverage();
    stopping = true;
    await Promise.all(services.map(stopService));
    if (code !== 0 && code !== 1) throw new Error(`the load tool exited with code ${code} (its output is above)`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as LoadReport;
    const { rateStartMs, loadEndMs } = times;
    const fitFromMs = Math.max(WARMUP_MS, rateStartMs ?? 0);
    const fitToMs = loadEndMs ?? Date.now() - t0;
    const perService = summarise(samples, fitFromMs, fitToMs);
    const result = {
      startedAt: startedAt.toISOString(),
      machine: { cores: cpus().length, cpuModel: cpus()[0]?.model.trim(), node: process.version },
      settings: {
        rate: o.rate,
        durationS: o.durationMs / 1000,
        sampleS: o.sampleMs / 1000,
        pharmacies: o.pharmacies,
        keys: o.keys,
        services: 'node dist/main.js',
        stack: { brokers: stack.brokers, registry: stack.registryUrl },
      },
      method: `time 0 = the load tool started (services ready); RSS slope = least-squares fit over the samples from ${round(fitFromMs / 1000, 0)} s (${WARMUP_MS / 1000} s, or the end of the load tool's warm-up if later: warm-up excluded) to the end of publishing (${round(fitToMs / 1000, 0)} s; the drain excluded); CPU = cores used over each interval; lag = the group's end offsets less committed offsets over its input topics`,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      timesS: {
        rateStart: rateStartMs === null ? null : round(rateStartMs / 1000, 1),
        loadEnd: loadEndMs === null ? null : round(loadEndMs / 1000, 1),
        end: round((Date.now() - t0) / 1000, 1),
      },
      documents: {
        warmup: report.run.warmup?.events ?? 0,
        published: report.totals.produced,
        routed: report.totals.routed,
        parked: report.totals.parked,
        deadLettered: report.totals.deadLettered,
        unfinished: report.totals.unfinished,
        routedPerSecond: round(report.throughput.routedPerS, 1),
        endToEndMs: report.endToEndMs,
      },
      services: perService,
      readyMs: byService((_, i) => services[i]?.readyMs ?? null),
      exits,
      samples,
    };

    const rows: string[][] = [['', ...SERVICES]];
    const add = (label: string, f: (s: (typeof SERVICES)[number]) => string) => rows.push([label, ...SERVICES.map(f)]);
    add(`RSS slope MiB/h (fit ${round(fitFromMs / 1000, 0)} s → end of load)`, (s) => cell(perService[s].rssSlopeMiBPerHour));
    add(
      'RSS MiB first / last / max',
      (s) => `${cell(perService[s].rssMiB.first)} / ${cell(perService[s].rssMiB.last)} / ${cell(perService[s].rssMiB.max)}`,
    );
    add('mean cores', (s) => cell(perService[s].meanCores));
    add(
      'lag at end of load / after drain / max',
      (s) => `${cell(perService[s].lagAtLoadEnd)} / ${cell(perService[s].finalLag)} / ${cell(perService[s].maxLag)}`,
    );
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
    console.log(`\n${rows.map((row) => row.map((v, c) => v.padEnd(widths[c] ?? 0)).join('  ')).join('\n')}`);
    const d = result.documents;
    console.log(
      `documents: ${d.published} published at ${o.rate}/s (after ${d.warmup} warm-up), ${d.routed} routed, ${d.parked} parked, ${d.deadLettered} dead-lettered, ${d.unfinished} unfinished; end-to-end p50 ${d.endToEndMs.p50} p99 ${d.endToEndMs.p99} ms`,
    );
    console.log(
      `load average start ${loadAtStart.join(' ')} → end ${loadAtEnd.join(' ')}${exits.length ? `; services that exited: ${exits.map((e) => e.service).join(', ')}` : ''}`,
    );

    mkdirSync(o.out, { recursive: true });
    const base = join(o.out, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    const markers = [{ tMs: fitFromMs, label: 'warm-up ends' }, ...(loadEndMs === null ? [] : [{ tMs: loadEndMs, label: 'load stops' }])];
    const title = `Soak: ${o.rate} docs/s for ${o.durationMs / 60_000} min, ${startedAt.toISOString()}, load average ${loadAtStart[0]} → ${loadAtEnd[0]}`;
    writeFileSync(`${base}.svg`, renderSoakChart(samples, title, markers));
    console.log(`results: ${base}.json, ${base}.svg`);
    return exits.length ? 1 : 0;
  } finally {
    await Promise.all(services.map(stopService));
    await admin.disconnect().catch(() => undefined);
    releaseStack();
  }
}

if (require.main === module) {
  stopOnSignals();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
