/** Nearest-rank percentile of sorted values (`q` in 0–100); NaN when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  // The tolerance keeps 99.9 % of 1,000 at rank 999 despite binary floating point.
  const rank = Math.ceil((q * sorted.length) / 100 - 1e-9);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  'p99.9': number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p75: percentile(sorted, 75),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    'p99.9': percentile(sorted, 99.9),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
  };
}

/** What happened in one second of the run. */
export interface Second {
  /** Seconds since the measured phase began */
  t: number;
  produced: number;
  /** Documents that reached their final state as routed */
  routed: number;
  failed: number;
  dmp: number;
  mss: number;
  /** End-to-end latencies (ms) of the messages that reached dmp/mss in this second */
  latencies: number[];
  maxLag: number;
}

/** Per-second counters of a run, from its start. */
export class Timeline {
  readonly seconds: Second[] = [];
  constructor(readonly start: number) {}

  at(now: number): Second {
    const t = Math.max(0, Math.floor((now - this.start) / 1000));
    while (this.seconds.length <= t) {
      this.seconds.push({ t: this.seconds.length, produced: 0, routed: 0, failed: 0, dmp: 0, mss: 0, latencies: [], maxLag: 0 });
    }
    return this.seconds[t] as Second;
  }

  /** Sums over the seconds [from, to). */
  window(from: number, to: number): Omit<Second, 't' | 'maxLag'> & { maxLag: number; seconds: number } {
    const slice = this.seconds.slice(Math.max(0, from), Math.max(0, to));
    const sum = (f: (s: Second) => number) => slice.reduce((a, s) => a + f(s), 0);
    return {
      seconds: slice.length,
      produced: sum((s) => s.produced),
      routed: sum((s) => s.routed),
      failed: sum((s) => s.failed),
      dmp: sum((s) => s.dmp),
      mss: sum((s) => s.mss),
      latencies: slice.flatMap((s) => s.latencies),
      maxLag: slice.reduce((a, s) => Math.max(a, s.maxLag), 0),
    };
  }
}
