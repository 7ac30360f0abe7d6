import { parseArgs } from 'node:util';

/** A pass/fail rule from the command line: `p99<1000ms`, `success>99.9%`, `throughput>=900/s`, `drain<30s`, `lag<5000`. */
export interface Threshold {
  text: string;
  metric: ThresholdMetric;
  op: '<' | '<=' | '>' | '>=';
  /** In the report's unit: ms for latencies and drain, % for success, documents/s for throughput, records for lag */
  value: number;
}

export const THRESHOLD_METRICS = ['p50', 'p75', 'p95', 'p99', 'p99.9', 'max', 'success', 'throughput', 'drain', 'lag'] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];

export interface LoadOptions {
  file?: string;
  generate?: number;
  /** Documents per second; undefined with `max` */
  rate?: number;
  max: boolean;
  durationMs: number;
  pharmacies: number;
  /** Distinct RSA keys behind the pharmacies' certificates */
  keys: number;
  seed: number;
  thresholds: Threshold[];
  report?: string;
  chart?: string;
  /** Write the generated events as NDJSON to this file and stop (a file to replay later) */
  save?: string;
  /** Events in flight at most with --max (published, not yet in a final state) */
  window: number;
  /** One event per pharmacy first, not measured (loads each certificate once, warms the JIT) */
  warmup: boolean;
  drainTimeoutMs: number;
  pkiDir: string;
  /** Use services already running (separate processes) on this topic prefix instead of starting them in-process */
  external?: string;
}

/** `60s`, `2m`, `500ms`, or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration like 60s, 2m or 500ms`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

export function parseThreshold(text: string): Threshold {
  const m = /^\s*(p50|p75|p95|p99\.9|p99|max|success|throughput|drain|lag)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|%|\/s)?\s*$/.exec(text);
  if (!m) throw new Error(`threshold "${text}": expected e.g. p99<1000ms, success>99.9%, throughput>=900/s, drain<30s, lag<5000`);
  const metric = m[1] as ThresholdMetric;
  const unit = m[4];
  let value = Number(m[3]);
  const latency = metric.startsWith('p') || metric === 'max' || metric === 'drain';
  if (latency && unit === 's') value *= 1000;
  else if (latency && unit !== undefined && unit !== 'ms') throw new Error(`threshold "${text}": ${metric} is a time (ms or s)`);
  if (metric === 'success' && unit !== undefined && unit !== '%') throw new Error(`threshold "${text}": success is a percentage`);
  if (metric === 'throughput' && unit !== undefined && unit !== '/s') throw new Error(`threshold "${text}": throughput is per second`);
  return { text: text.trim(), metric, op: m[2] as Threshold['op'], value };
}

/** Whether a measured value keeps a threshold. */
export function holds(t: Threshold, measured: number): boolean {
  switch (t.op) {
    case '<':
      return measured < t.value;
    case '<=':
      return measured <= t.value;
    case '>':
      return measured > t.value;
    case '>=':
      return measured >= t.value;
  }
}

export const USAGE = `usage: npx tsx scripts/load.ts [--file events.ndjson | --generate N] [--rate R/s | --max] [--duration 60s]
       [--pharmacies 2000] [--keys 200] [--threshold p99<1000ms --threshold success>99.9%] [--report out.json]
       [--chart out.svg] [--window 1000] [--no-warmup] [--drain-timeout 120s] [--seed 1] [--pki-dir DIR]
       [--external PREFIX] [--save events.ndjson]`;

/** Whether the command line asks for the usage (`--help` or `-h`, wherever it sits, whatever else it says). */
export function wantsHelp(argv: string[]): boolean {
  const { values } = parseArgs({ args: argv, strict: false, options: { help: { type: 'boolean', short: 'h' } } });
  return values.help === true;
}

export function parseLoadArgs(argv: string[], cwd = process.cwd()): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      file: { type: 'string' },
      generate: { type: 'string' },
      rate: { type: 'string' },
      max: { type: 'boolean', default: false },
      duration: { type: 'string', default: '60s' },
      pharmacies: { type: 'string', default: '2000' },
      keys: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      threshold: { type: 'string', multiple: true, default: [] },
      report: { type: 'string' },
      chart: { type: 'string' },
      save: { type: 'string' },
      window: { type: 'string', default: '1000' },
      'no-warmup': { type: 'boolean', default: false },
      'drain-timeout': { type: 'string', default: '120s' },
      'pki-dir': { type: 'string' },
      external: { type: 'string' },
    },
  });
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  if (values.file && values.generate) throw new Error('--file and --generate exclude each other');
  if (values.rate && values.max) throw new Error('--rate and --max exclude each other');
  if (!values.rate && !values.max && !values.save) throw new Error('say --rate R/s or --max');
  let rate: number | undefined;
  if (values.rate) {
    const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(values.rate);
    if (!m || Number(m[1]) <= 0) throw new Error('--rate must be documents per second, e.g. 250 or 250/s');
    rate = Number(m[1]);
  }
  const pharmacies = int('pharmacies', values.pharmacies, 1);
  const keys = Math.min(int('keys', values.keys, 1), pharmacies);
  return {
    file: values.file,
    generate: values.generate === undefined ? undefined : int('generate', values.generate, 1),
    rate,
    max: values.max ?? false,
    durationMs: parseDuration(values.duration ?? '60s'),
    pharmacies,
    keys,
    seed: int('seed', values.seed, 0),
    thresholds: (values.threshold ?? []).map(parseThreshold),
    report: values.report,
    chart: values.chart,
    save: values.save,
    window: int('window', values.window, 1),
    warmup: !values['no-warmup'],
    drainTimeoutMs: parseDuration(values['drain-timeout'] ?? '120s'),
    pkiDir: values['pki-dir'] ?? `${cwd}/.cache/load-pki/${pharmacies}-${keys}`,
    external: values.external,
  };
}
