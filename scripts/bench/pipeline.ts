/**
 * The pipeline benchmark: the services as separate processes, compiled JavaScript as in production, under the load
 * tool, and what each of them costs.
 *
 *   npm run bench                              (60 s at --max, then 60 s at 250 documents/s)
 *   npm run bench -- --duration 20s            (a quick trial)
 *
 * In one run: `openssl speed -seconds 3 rsa2048` (one core, the machine's yardstick); the local stack (reused when it
 * answers, else acquired and released: a stack that was already running is left running); the services built
 * (`turbo run build`) and started as `node services/<name>/dist/main.js` on a fresh topic prefix per load run; the
 * load tool (scripts/load.ts --external) at --max, then at --rate. Per run: documents/s sustained, end-to-end
 * percentiles, CPU ms per document of each service (utime+stime from /proc/<pid>/stat over the measured window: from
 * the end of the load tool's warm-up to its report, drain included; the Kafka client is in the process), the
 * broker's CPU, peak RSS per service, the time each service took to be ready. Prints a table and writes
 * scripts/bench/results/pipeline-<timestamp>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../load/options';
import type { LoadReport } from '../load/report';
import { formatSummary, summariseProfileFile, type ProfileSummary } from './cpuprofile';
import {
  batchTotals,
  buildServices,
  byService,
  cell,
  CLK_TCK,
  loadAverage as load,
  processTicks,
  releaseStack,
  reuseOrAcquireStack,
  ROOT,
  round,
  rssMiB,
  runLoadTool,
  SERVICES,
  serviceEnvironment,
  startServices,
  stopOnSignals,
  stopService,
  type Service,
  type ServiceName,
  type Stack,
} from './processes';

const USAGE = `usage: npm run bench -- [--duration 60s] [--rate 250] [--pharmacies 2000] [--keys 200] [--drain-timeout 300s]
       [--no-build] [--out DIR] [--profile DIR] [--metrics-port 19351]`;
const HELP = `${USAGE}

The pipeline benchmark: composer, signer, router and retrier as separate processes (node dist/main.js), driven by the
load tool at --max for --duration, then at --rate documents/s for --duration, each run on a fresh topic prefix.
Prints and writes as JSON (DIR/pipeline-<timestamp>.json, DIR = scripts/bench/results): documents/s sustained,
end-to-end p50/p95/p99, CPU ms per document of each service and of the broker, peak RSS and readiness per service,
openssl's RSA-2048 signs/s on one core, the ratio documents per service-CPU-second / openssl signs/s, load averages.
  --duration     each load run's producing time (default 60s; e.g. 20s for a trial)
  --rate         documents/s of the second run (default 250)
  --pharmacies   pharmacies with a certificate in the test PKI (default 2000), --keys distinct RSA keys (default 200)
  --drain-timeout  how long the load tool waits for the warm-up and for the drain (default 300s)
  --no-build     use the services' dist/ as they are (default: turbo run build first)
  --profile DIR  run each service under node --cpu-prof (profiles in DIR/<run>/<service>/, written when it stops:
                 the whole process, start-up and warm-up included) and print where each one's busy time went
  --metrics-port the first service's metrics port, the others on the next ones (default 19351; another free range
                 when another benchmark runs on the same machine)
Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL (default: the local stack), PASSERELLE_RETRY_TIERS (default 1s,5s,30s),
PASSERELLE_TRANSACTIONS (per-partition or shared for every service; default each service's own: see the README).`;

const FIRST_PORT = 19_351;

interface Options {
  durationMs: number;
  rate: number;
  pharmacies: number;
  keys: number;
  drainTimeoutMs: number;
  build: boolean;
  out: string;
  /** Where the services' CPU profiles go (none when undefined) */
  profile?: string;
  metricsPort: number;
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string', default: '60s' },
      rate: { type: 'string', default: '250' },
      pharmacies: { type: 'string', default: '2000' },
      keys: { type: 'string', default: '200' },
      'drain-timeout': { type: 'string', default: '300s' },
      'no-build': { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, 'scripts', 'bench', 'results') },
      profile: { type: 'string' },
      'metrics-port': { type: 'string', default: String(FIRST_PORT) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const int = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
    return n;
  };
  return {
    durationMs: parseDuration(values.duration ?? '60s'),
    rate: int('rate', values.rate),
    pharmacies: int('pharmacies', values.pharmacies),
    keys: int('keys', values.keys),
    drainTimeoutMs: parseDuration(values['drain-timeout'] ?? '300s'),
    build: !values['no-build'],
    out: values.out ?? '',
    profile: values.profile,
    metricsPort: int('metrics-port', values['metrics-port']),
  };
}

/** RSA-2048 signs per second on one core, as `openssl speed -seconds 3 rsa2048` reports them. */
export function parseOpensslSpeed(output: string): number {
  const m = /^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)/m.exec(output);
  if (!m) throw new Error('openssl speed: no "rsa 2048 bits" line in its output');
  return Number(m[1]);
}

interface RunResult {
  name: string;
  mode: string;
  prefix: string;
  loadAverage: { start: number[]; end: number[] };
  documents: number;
  routed: number;
  unfinished: number;
  warmupUnfinished: number;
  /** The denominator of the CPU figures: measured documents finished + the warm-up's left in flight */
  processedInWindow: number;
  docsPerSecond: number;
  routedPerSecondOverall: number;
  producedPerSecond: number;
  endToEndMs: { p50: number; p95: number; p99: number; max: number };
  measuredSeconds: number;
  cpuMsPerDocument: Record<ServiceName | 'total', number | null>;
  serviceCores: Record<ServiceName | 'total', number | null>;
  broker: { pid: number | null; cpuMsPerDocument: number | null; averageCores: number | null };
  registry: { pid: number | null; cpuMsPerDocument: number | null; averageCores: number | null };
  rssMb: Record<ServiceName, number>;
  /** Input records handled per transaction in the window (each service's passerelle_batch_records) */
  recordsPerTransaction: Record<ServiceName, number | null>;
  readyMs: Record<ServiceName, number>;
  listeningMs: Record<ServiceName, number>;
  loadReport: string;
  /** Where each service's busy time went (with --profile), whole process */
  profiles?: Partial<Record<ServiceName, ProfileSummary>>;
}

async function runOnce(
  name: string,
  loadArgs: string[],
  o: Options,
  env: NodeJS.ProcessEnv,
  pids: Stack['pids'],
  work: string,
): Promise<RunResult> {
  const loadAtStart = load();
  const prefix = `bench${Date.now().toString(36)}.`;
  const serviceEnv: NodeJS.ProcessEnv = { ...env, PASSERELLE_TOPIC_PREFIX: prefix };
  const services: Service[] = [];
  const stopAll = () => Promise.all(services.map(stopService));
  try {
    await startServices(services, name, o.metricsPort, serviceEnv, work, o.profile ? (s) => join(o.profile as string, name, s) : undefined);
    const rssTimer = setInterval(() => {
      for (const s of services) s.peakRssMiB = Math.max(s.peakRssMiB, rssMiB(s.pid) || 0);
    }, 1_000);
    const snapshot = () => ({
      at: Date.now(),
      services: services.map((s) => processTicks(s.pid)),
      broker: pids.broker ? processTicks(pids.broker) : NaN,
      registry: pids.registry ? processTicks(pids.registry) : NaN,
      transactions: Promise.all(services.map((s) => batchTotals(s.port))),
    });
    let start: ReturnType<typeof snapshot> | undefined;
    let end: ReturnType<typeof snapshot> | undefined;
    /** Warm-up events still in the pipeline when the clock started (their cost falls in the measured window) */
    let warmupUnfinished = 0;
    const reportFile = join(work, `load-${name}.json`);
    const loadTool = runLoadTool(
      prefix,
      [
        ...loadArgs,
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
        // The measured window: from the end of the warm-up (every certificate opened once) to the report (drain done).
        if (line.startsWith('warm-up:')) {
          start = snapshot();
          warmupUnfinished = Number(/(\d+) unfinished/.exec(line)?.[1] ?? 0);
        }
        if (line.startsWith('Passerelle load report')) end = snapshot();
        console.log(`  load | ${line}`);
      },
    );
    const code = await loadTool;
    clearInterval(rssTimer);
    if (code !== 0 && code !== 1) throw new Error(`the load tool exited with code ${code}`);
    if (!start || !end) throw new Error('the load tool printed no warm-up or no report line: nothing measured');
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as LoadReport;
    const documents = report.totals.produced - report.totals.unfinished;
    const seconds = (end.at - start.at) / 1000;
    const ms = (ticks: number) => (ticks * 1000) / CLK_TCK;
    // The warm-up's unfinished documents went through the pipeline inside the window too (ahead of the measured ones).
    const processed = documents + warmupUnfinished;
    const perDoc = (ticks: number) => round(ms(ticks) / processed);
    const cores = (ticks: number) => round(ms(ticks) / 1000 / seconds);
    const s0 = start;
    const e0 = end;
    const serviceTicks = services.map((_, i) => (e0.services[i] ?? NaN) - (s0.services[i] ?? NaN));
    const total = serviceTicks.reduce((a, b) => a + b, 0);
    const [txStart, txEnd] = await Promise.all([s0.transactions, e0.transactions]);
    const perTransaction = (i: number) => {
      const a = txStart[i];
      const b = txEnd[i];
      return a && b && b.count > a.count ? round((b.records - a.records) / (b.count - a.count), 1) : null;
    };
    const result: RunResult = {
      name,
      mode: report.run.mode,
      prefix,
      loadAverage: { start: loadAtStart, end: load() },
      documents,
      processedInWindow: processed,
      routed: report.totals.routed,
      unfinished: report.totals.unfinished,
      warmupUnfinished,
      docsPerSecond: round(report.throughput.steadyRoutedPerS, 1) ?? NaN,
      routedPerSecondOverall: round(report.throughput.routedPerS, 1) ?? NaN,
      producedPerSecond: round(report.throughput.producedPerS, 1) ?? NaN,
      endToEndMs: { p50: report.endToEndMs.p50, p95: report.endToEndMs.p95, p99: report.endToEndMs.p99, max: report.endToEndMs.max },
      measuredSeconds: round(seconds, 1) ?? NaN,
      cpuMsPerDocument: { ...byService((_, i) => perDoc(serviceTicks[i] ?? NaN)), total: perDoc(total) },
      serviceCores: { ...byService((_, i) => cores(serviceTicks[i] ?? NaN)), total: cores(total) },
      broker: { pid: pids.broker ?? null, cpuMsPerDocument: perDoc(e0.broker - s0.broker), averageCores: cores(e0.broker - s0.broker) },
      registry: {
        pid: pids.registry ?? null,
        cpuMsPerDocument: perDoc(e0.registry - s0.registry),
        averageCores: cores(e0.registry - s0.registry),
      },
      rssMb: byService((_, i) => Math.round(services[i]?.peakRssMiB ?? NaN)),
      recordsPerTransaction: byService((_, i) => perTransaction(i)),
      readyMs: byService((_, i) => services[i]?.readyMs ?? NaN),
      listeningMs: byService((_, i) => services[i]?.listeningMs ?? NaN),
      loadReport: reportFile,
    };
    if (o.profile) {
      // A profile is written when its process exits: stop the services first.
      await stopAll();
      result.profiles = {};
      for (const s of SERVICES) {
        const dir = join(o.profile, name, s);
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) {
          console.log(`${name}: ${s} wrote no CPU profile in ${dir}`);
          continue;
        }
        result.profiles[s] = summariseProfileFile(join(dir, file));
        console.log(formatSummary(`${name}: ${s} (${join(dir, file)})`, result.profiles[s]));
      }
    }
    return result;
  } finally {
    await stopAll();
  }
}

function table(runs: RunResult[], openssl: number): string {
  const rows: string[][] = [['', ...runs.map((r) => r.name)]];
  const add = (label: string, f: (r: RunResult) => number | string | null) => rows.push([label, ...runs.map((r) => String(f(r) ?? '-'))]);
  add('documents finished (unfinished; warm-up left)', (r) => `${r.documents} (${r.unfinished}; ${r.warmupUnfinished})`);
  add('documents/s sustained', (r) => r.docsPerSecond);
  add('end-to-end p50 / p95 / p99 ms', (r) => `${r.endToEndMs.p50} / ${r.endToEndMs.p95} / ${r.endToEndMs.p99}`);
  for (const s of SERVICES) add(`CPU ms/document ${s}`, (r) => cell(r.cpuMsPerDocument[s]));
  add('CPU ms/document, 4 services', (r) => cell(r.cpuMsPerDocument.total));
  add('service cores used', (r) => cell(r.serviceCores.total));
  add('broker CPU ms/document (cores)', (r) => `${cell(r.broker.cpuMsPerDocument)} (${cell(r.broker.averageCores)})`);
  add('ratio docs/service-CPU-s ÷ openssl sign/s', (r) => cell(round(1000 / (r.cpuMsPerDocument.total ?? NaN) / openssl, 3)));
  add('input records per transaction c/s/r/rt', (r) => SERVICES.map((s) => r.recordsPerTransaction?.[s] ?? '-').join(' / '));
  add('peak RSS MiB c/s/r/rt', (r) => SERVICES.map((s) => r.rssMb[s]).join(' / '));
  add('ready ms c/s/r/rt', (r) => SERVICES.map((s) => r.readyMs[s]).join(' / '));
  add('load average start → end', (r) => `${r.loadAverage.start.join(' ')} → ${r.loadAverage.end.join(' ')}`);
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  return rows.map((row) => row.map((v, c) => v.padEnd(widths[c] ?? 0)).join('  ')).join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  let o: Options;
  try {
    o = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const startedAt = new Date();
  const loadAtStart = load();
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model.trim()}, load average ${loadAtStart.join(' ')}`);
  const opensslOut = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const openssl = parseOpensslSpeed(opensslOut);
  console.log(`openssl speed -seconds 3 rsa2048 (one core): ${openssl} sign/s`);

  const stack = await reuseOrAcquireStack();
  try {
    buildServices(o.build);
    const env = await serviceEnvironment(stack, o.pharmacies, o.keys);
    const work = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
    console.log(`service logs and load reports in ${work}`);
    const runs: RunResult[] = [];
    runs.push(await runOnce('max', ['--max'], o, env, stack.pids, work));
    runs.push(await runOnce(`rate${o.rate}`, ['--rate', String(o.rate)], o, env, stack.pids, work));

    const [max, rated] = runs as [RunResult, RunResult];
    const ratio = round(1000 / (max.cpuMsPerDocument.total ?? NaN) / openssl, 3);
    const result = {
      startedAt: startedAt.toISOString(),
      machine: { cores: cpus().length, cpuModel: cpus()[0]?.model.trim(), node: process.version },
      settings: {
        durationS: o.durationMs / 1000,
        rate: o.rate,
        pharmacies: o.pharmacies,
        keys: o.keys,
        services: 'node dist/main.js',
        // PASSERELLE_TRANSACTIONS when set, else each service's own (composer, signer, router shared; retrier per-partition)
        transactions: process.env.PASSERELLE_TRANSACTIONS ?? 'services-own',
      },
      opensslSignPerSecond: openssl,
      brokerJit: stack.brokerJit ?? null,
      loadAverage: { start: loadAtStart, end: load() },
      docsPerSecond: { max: max.docsPerSecond, [rated.name]: rated.docsPerSecond },
      p50Ms: { max: max.endToEndMs.p50, [rated.name]: rated.endToEndMs.p50 },
      p95Ms: { max: max.endToEndMs.p95, [rated.name]: rated.endToEndMs.p95 },
      p99Ms: { max: max.endToEndMs.p99, [rated.name]: rated.endToEndMs.p99 },
      /** At --max (the per-run figures are under runs) */
      cpuMsPerDocument: max.cpuMsPerDocument,
      brokerCpu: { max: max.broker, [rated.name]: rated.broker },
      ratio,
      /** Peak at --max */
      rssMb: max.rssMb,
      readyMs: max.readyMs,
      runs: { max, [rated.name]: rated },
    };
    console.log(`\n${table(runs, openssl)}`);
    console.log(`openssl RSA-2048: ${openssl} sign/s on one core; ratio at --max: ${ratio}`);
    mkdirSync(o.out, { recursive: true });
    const file = join(o.out, `pipeline-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`results: ${file}`);
    return 0;
  } finally {
    releaseStack();
  }
}

if (require.main === module) {
  stopOnSignals();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
