/**
 * The soak run's figures from its samples: each service's RSS slope (least squares, warm-up excluded), its lag, and
 * the chart (hand-written SVG: RSS per service over time, and consumer lag).
 */
import { niceMax } from '../load/chart';
import { round, SERVICES, type ServiceName } from './processes';

/** One service at one sampling instant; null where it could not be read (process gone, group not committed yet) */
export interface ServiceSample {
  rssMiB: number | null;
  /** CPU cores used over the interval since the previous sample (utime+stime / wall time) */
  cores: number | null;
  /** Its consumer group's lag, summed over partitions of its input topics */
  lag: number | null;
}

export interface Sample {
  /** Milliseconds since the load started */
  tMs: number;
  /** The 1-minute load average */
  load1: number;
  services: Record<ServiceName, ServiceSample>;
}

/** Least-squares line y = slope·x + intercept through the points; null with fewer than 2 distinct x. */
export function linearFit(points: readonly (readonly [number, number])[]): { slope: number; intercept: number } | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export interface ServiceSummary {
  /** MiB per hour, fitted over the samples in [fitFromMs, fitToMs]; null with fewer than 2 of them */
  rssSlopeMiBPerHour: number | null;
  fitSamples: number;
  rssMiB: { first: number | null; last: number | null; max: number | null };
  meanCores: number | null;
  /** Lag at the last sample taken while the load tool was still publishing */
  lagAtLoadEnd: number | null;
  /** Lag at the last sample (after the load tool's drain) */
  finalLag: number | null;
  maxLag: number | null;
}

/**
 * Per service: the RSS slope over the samples from `fitFromMs` to `fitToMs` (the warm-up before and the drain after
 * left out), RSS first/last/max, mean CPU, lag at the end of the load, final and largest lag.
 */
export function summarise(samples: readonly Sample[], fitFromMs: number, fitToMs: number): Record<ServiceName, ServiceSummary> {
  const numbers = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const last = <T>(xs: T[]) => (xs.length ? (xs[xs.length - 1] as T) : null);
  return Object.fromEntries(
    SERVICES.map((s) => {
      const of = (k: keyof ServiceSample) => samples.map((x) => x.services[s][k]);
      const fitted = samples
        .filter((x) => x.tMs >= fitFromMs && x.tMs <= fitToMs && x.services[s].rssMiB !== null)
        .map((x) => [x.tMs, x.services[s].rssMiB as number] as const);
      const fit = linearFit(fitted);
      const rss = numbers(of('rssMiB'));
      const cores = numbers(of('cores'));
      const lags = numbers(of('lag'));
      const duringLoad = numbers(samples.filter((x) => x.tMs <= fitToMs).map((x) => x.services[s].lag));
      const summary: ServiceSummary = {
        rssSlopeMiBPerHour: fit ? round(fit.slope * 3_600_000, 1) : null,
        fitSamples: fitted.length,
        rssMiB: { first: round(rss[0] ?? NaN, 1), last: round(last(rss) ?? NaN, 1), max: rss.length ? round(Math.max(...rss), 1) : null },
        meanCores: cores.length ? round(cores.reduce((a, b) => a + b, 0) / cores.length, 3) : null,
        lagAtLoadEnd: last(duringLoad),
        finalLag: last(lags),
        maxLag: lags.length ? Math.max(...lags) : null,
      };
      return [s, summary];
    }),
  ) as Record<ServiceName, ServiceSummary>;
}

const COLORS: Record<ServiceName, string> = { composer: '#1f77b4', signer: '#d62728', router: '#2ca02c', retrier: '#9467bd' };
const W = 760;
const H = 220;
const PAD = { left: 64, right: 110, top: 28, bottom: 30 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The axis bounds and ticks for values from `min` to `max`: steps of 1, 2 or 5 × a power of ten. */
export function axis(min: number, max: number, fromZero: boolean): { lo: number; hi: number; ticks: number[] } {
  const lo0 = fromZero ? 0 : min;
  const step = niceMax(Math.max(max - lo0, 1e-9) / 4);
  const lo = Math.floor(lo0 / step) * step;
  let hi = Math.ceil(max / step) * step;
  if (hi <= lo) hi = lo + step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(round(v, 6) ?? v);
  return { lo, hi, ticks };
}

function panel(
  y0: number,
  title: string,
  unit: string,
  samples: readonly Sample[],
  value: (s: Sample, service: ServiceName) => number | null,
  fromZero: boolean,
  markers: { tMs: number; label: string }[],
): string {
  const endMs = Math.max(1, ...samples.map((s) => s.tMs));
  const all = samples.flatMap((x) => SERVICES.map((s) => value(x, s))).filter((v): v is number => v !== null && Number.isFinite(v));
  const { lo, hi, ticks } = axis(all.length ? Math.min(...all) : 0, all.length ? Math.max(...all) : 1, fromZero);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (tMs: number) => PAD.left + (tMs / endMs) * iw;
  const y = (v: number) => y0 + PAD.top + ih - ((v - lo) / (hi - lo)) * ih;
  const out = [
    `<text x="${PAD.left}" y="${y0 + 18}" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${PAD.left}" y1="${y(lo)}" x2="${PAD.left + iw}" y2="${y(lo)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${y(hi)}" x2="${PAD.left}" y2="${y(lo)}" stroke="#999"/>`,
  ];
  for (const v of ticks) {
    out.push(
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${v}${unit ? ` ${esc(unit)}` : ''}</text>`,
    );
    out.push(`<line x1="${PAD.left}" y1="${y(v).toFixed(1)}" x2="${PAD.left + iw}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
  }
  const minutes = endMs / 60_000;
  const every = niceMax(minutes / 8);
  for (let m = 0; m <= minutes + 1e-9; m += every) {
    out.push(`<text x="${x(m * 60_000).toFixed(1)}" y="${y(lo) + 14}" font-size="10" text-anchor="middle">${round(m, 2)} min</text>`);
  }
  for (const mk of markers) {
    const mx = x(Math.min(mk.tMs, endMs)).toFixed(1);
    out.push(`<line x1="${mx}" y1="${y(hi)}" x2="${mx}" y2="${y(lo)}" stroke="#888" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${mx}" y="${y(hi) - 3}" font-size="9" fill="#555">${esc(mk.label)}</text>`);
  }
  SERVICES.forEach((s, i) => {
    // A sample that could not be read breaks the line rather than drawing a false zero.
    const parts: string[][] = [[]];
    for (const sample of samples) {
      const v = value(sample, s);
      if (v === null || !Number.isFinite(v)) parts.push([]);
      else (parts[parts.length - 1] as string[]).push(`${x(sample.tMs).toFixed(1)},${y(v).toFixed(1)}`);
    }
    for (const p of parts.filter((p) => p.length > 0)) {
      out.push(`<polyline fill="none" stroke="${COLORS[s]}" stroke-width="1.5" points="${p.join(' ')}"/>`);
    }
    out.push(`<text x="${PAD.left + iw + 8}" y="${y0 + PAD.top + 10 + i * 14}" font-size="11" fill="${COLORS[s]}">${s}</text>`);
  });
  return out.join('\n');
}

/**
 * The soak chart: RSS of each service over time (axis from its lowest value, so that a drift shows), then each
 * service's consumer lag (from zero); dashed lines where the warm-up ends and where the load stopped.
 */
export function renderSoakChart(samples: readonly Sample[], title: string, markers: { tMs: number; label: string }[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 24}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${PAD.left}" y="16" font-size="14">${esc(title)}</text>`,
    panel(16, 'RSS per service', 'MiB', samples, (x, s) => x.services[s].rssMiB, false, markers),
    panel(16 + H, 'Consumer lag per service (records, summed over partitions)', '', samples, (x, s) => x.services[s].lag, true, markers),
    '</svg>',
    '',
  ].join('\n');
}
