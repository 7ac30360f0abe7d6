import { parseThreshold } from './options';
import { formatReport, judge, type LoadReport } from './report';

const report = (over: Partial<LoadReport> = {}): LoadReport => ({
  run: {
    source: 'generated events',
    mode: '250/s',
    durationS: 60,
    pharmacies: 2000,
    distinctKeys: 200,
    pipeline: 'in process',
    prefix: 'load1.',
    startedAt: '2026-01-01T00:00:00Z',
    warmup: null,
  },
  machineAtStart: { cores: 2, cpuModel: 'CPU', memoryMiB: 24000, freeMemoryMiB: 20000, node: 'v20', loadAverage: [1, 1, 1] },
  loadAverageAtEnd: [1, 1, 1],
  totals: {
    produced: 1000,
    routed: 998,
    deadLettered: 2,
    parked: 0,
    unfinished: 0,
    dmpMessages: 700,
    mssMessages: 900,
    retries: 3,
    deadLetters: 2,
  },
  successPct: 99.8,
  throughput: { producedPerS: 250, routedPerS: 240, steadyRoutedPerS: 248 },
  endToEndMs: { count: 1600, p50: 300, p75: 400, p95: 800, p99: 1200, 'p99.9': 2000, max: 2500 },
  peakLag: 120,
  drainMs: 1500,
  peakRssMiB: 300,
  cpu: { processSeconds: 50, averageCores: 0.8, routedPerCpuSecond: 20 },
  thresholds: [],
  timeline: [],
  ...over,
});

describe('load report', () => {
  it('judges each threshold against the figure it names', () => {
    const r = report();
    const verdicts = judge(r, ['p99<1000ms', 'p95<1s', 'success>=99.9%', 'throughput>=200/s', 'drain<2s', 'lag<100'].map(parseThreshold));
    expect(verdicts).toEqual([
      { text: 'p99<1000ms', measured: 1200, ok: false },
      { text: 'p95<1s', measured: 800, ok: true },
      { text: 'success>=99.9%', measured: 99.8, ok: false },
      { text: 'throughput>=200/s', measured: 240, ok: true },
      { text: 'drain<2s', measured: 1500, ok: true },
      { text: 'lag<100', measured: 120, ok: false },
    ]);
  });

  it('never passes a threshold on a figure that could not be measured', () => {
    const r = report({ drainMs: NaN, endToEndMs: { count: 0, p50: NaN, p75: NaN, p95: NaN, p99: NaN, 'p99.9': NaN, max: NaN } });
    expect(judge(r, [parseThreshold('p99<1000ms'), parseThreshold('drain<60s')]).map((v) => v.ok)).toEqual([false, false]);
  });

  it('prints the figures people look for', () => {
    const text = formatReport({ ...report(), thresholds: [{ text: 'p99<1000ms', measured: 1200, ok: false }] });
    expect(text).toContain('success: 99.800 %');
    expect(text).toContain('p50 300 ms, p75 400 ms, p95 800 ms, p99 1,200 ms, p99.9 2,000 ms, max 2,500 ms');
    expect(text).toContain('peak lag: 120 records');
    expect(text).toContain('threshold p99<1000ms: BROKEN (measured 1200.0)');
  });
});
