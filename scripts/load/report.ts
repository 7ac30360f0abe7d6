import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { holds, type LoadOptions, type Threshold } from './options';
import { percentiles, type Percentiles, type Second } from './stats';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryMiB: number;
  freeMemoryMiB: number;
  node: string;
  /** 1, 5 and 15-minute load averages */
  loadAverage: number[];
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMiB: Math.round(freemem() / 2 ** 20),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export interface LoadReport {
  run: {
    source: string;
    mode: string;
    durationS: number;
    pharmacies: number;
    distinctKeys: number;
    pipeline: string;
    prefix: string;
    startedAt: string;
    warmup: { events: number; seconds: number } | null;
  };
  machineAtStart: Machine;
  loadAverageAtEnd: number[];
  totals: {
    produced: number;
    routed: number;
    deadLettered: number;
    parked: number;
    unfinished: number;
    dmpMessages: number;
    mssMessages: number;
    retries: number;
    deadLetters: number;
  };
  successPct: number;
  throughput: {
    /** Events published per second while producing */
    producedPerS: number;
    /** Documents routed per second, from the first publish to the last document's final state (drain included) */
    routedPerS: number;
    /** Documents routed per second in the steady part (after the first 10 s, while producing) */
    steadyRoutedPerS: number;
  };
  endToEndMs: Percentiles;
  peakLag: number;
  drainMs: number;
  peakRssMiB: number;
  /**
   * CPU used by this process (pipeline and load tool together when in-process) during the measured phase: on a shared
   * machine, documents per CPU second tell the pipeline's cost apart from the share of the CPU it was given.
   */
  cpu: { processSeconds: number; averageCores: number; routedPerCpuSecond: number };
  thresholds: { text: string; measured: number; ok: boolean }[];
  timeline: {
    t: number;
    produced: number;
    routed: number;
    failed: number;
    dmp: number;
    mss: number;
    p50: number;
    p99: number;
    maxLag: number;
  }[];
}

export function measuredValue(r: LoadReport, t: Threshold): number {
  switch (t.metric) {
    case 'success':
      return r.successPct;
    case 'throughput':
      return r.throughput.routedPerS;
    case 'drain':
      return r.drainMs;
    case 'lag':
      return r.peakLag;
    default:
      return r.endToEndMs[t.metric];
  }
}

/** Thresholds against the report: each with what was measured and whether it held (NaN never holds). */
export function judge(r: LoadReport, thresholds: readonly Threshold[]): LoadReport['thresholds'] {
  return thresholds.map((t) => {
    const measured = measuredValue(r, t);
    return { text: t.text, measured, ok: Number.isFinite(measured) && holds(t, measured) };
  });
}

export function timelineRows(seconds: readonly Second[]): LoadReport['timeline'] {
  return seconds.map((s) => {
    const p = percentiles(s.latencies);
    return {
      t: s.t,
      produced: s.produced,
      routed: s.routed,
      failed: s.failed,
      dmp: s.dmp,
      mss: s.mss,
      p50: p.p50,
      p99: p.p99,
      maxLag: s.maxLag,
    };
  });
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

/** The final report as people read it. */
export function formatReport(r: LoadReport): string {
  const t = r.totals;
  const e = r.endToEndMs;
  const lines = [
    `Passerelle load report: ${r.run.mode}, ${r.run.durationS}s of ${r.run.source}, ${r.run.pharmacies} pharmacies (${r.run.distinctKeys} distinct RSA keys), ${r.run.pipeline}`,
    `machine: ${r.machineAtStart.cores} cores ${r.machineAtStart.cpuModel}, ${f0(r.machineAtStart.memoryMiB)} MiB; load average ${r.machineAtStart.loadAverage.join(' ')} at start, ${r.loadAverageAtEnd.join(' ')} at end`,
    `totals: produced ${f0(t.produced)}, routed ${f0(t.routed)}, dead-lettered ${f0(t.deadLettered)}, parked ${f0(t.parked)}, unfinished ${f0(t.unfinished)}; messages dmp ${f0(t.dmpMessages)}, mss ${f0(t.mssMessages)}; retries ${f0(t.retries)}, dead letters ${f0(t.deadLetters)}`,
    `success: ${r.successPct.toFixed(3)} %`,
    `throughput: produced ${f1(r.throughput.producedPerS)}/s, routed ${f1(r.throughput.routedPerS)} docs/s overall, ${f1(r.throughput.steadyRoutedPerS)} docs/s steady`,
    `end-to-end (publish → dmp/mss read committed, ${f0(e.count)} messages): p50 ${f0(e.p50)} ms, p75 ${f0(e.p75)} ms, p95 ${f0(e.p95)} ms, p99 ${f0(e.p99)} ms, p99.9 ${f0(e['p99.9'])} ms, max ${f0(e.max)} ms`,
    `peak lag: ${f0(r.peakLag)} records (largest consumer group); drain: ${f0(r.drainMs)} ms; peak RSS of this process: ${f0(r.peakRssMiB)} MiB`,
  ];
  lines.push(
    `CPU of this process: ${f1(r.cpu.processSeconds)} s (${r.cpu.averageCores.toFixed(2)} cores on average), ${f1(r.cpu.routedPerCpuSecond)} documents routed per CPU second`,
  );
  if (r.run.warmup) lines.push(`warm-up (not measured): ${r.run.warmup.events} events in ${r.run.warmup.seconds.toFixed(1)} s`);
  for (const th of r.thresholds) lines.push(`threshold ${th.text}: ${th.ok ? 'ok' : 'BROKEN'} (measured ${f1(th.measured)})`);
  return lines.join('\n');
}

export function describeSource(o: LoadOptions): string {
  if (o.file) return `events replayed from ${o.file}`;
  return o.generate ? `${o.generate} generated events` : 'generated events';
}
