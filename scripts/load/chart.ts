import type { Second } from './stats';
import { percentile } from './stats';

const W = 760;
const H = 200;
const PAD = { left: 56, right: 16, top: 28, bottom: 28 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Rounds up to 1, 2 or 5 × a power of ten, for a readable axis. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

function panel(
  y0: number,
  title: string,
  unit: string,
  seconds: number,
  series: { name: string; color: string; values: (number | null)[] }[],
): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = niceMax(Math.max(0, ...all));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (seconds <= 1 ? 0 : (t / (seconds - 1)) * iw);
  const y = (v: number) => y0 + PAD.top + ih - (v / top) * ih;
  const out: string[] = [
    `<text x="${PAD.left}" y="${y0 + 18}" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${W - PAD.right}" y2="${y(0)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${y(top)}" x2="${PAD.left}" y2="${y(0)}" stroke="#999"/>`,
  ];
  for (const f of [0, 0.5, 1]) {
    out.push(
      `<text x="${PAD.left - 6}" y="${y(top * f) + 4}" font-size="10" text-anchor="end">${+(top * f).toFixed(2)}${f === 1 ? ` ${esc(unit)}` : ''}</text>`,
    );
  }
  for (let t = 0; t < seconds; t += Math.max(1, Math.ceil(seconds / 8 / 10) * 10)) {
    out.push(`<text x="${x(t)}" y="${y(0) + 14}" font-size="10" text-anchor="middle">${t}s</text>`);
  }
  series.forEach((s, i) => {
    // A missing value (no message that second) breaks the line instead of drawing a false zero.
    const parts: string[][] = [[]];
    s.values.forEach((v, t) => {
      if (v === null) parts.push([]);
      else (parts[parts.length - 1] as string[]).push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    });
    for (const p of parts.filter((p) => p.length > 0)) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${p.join(' ')}"/>`);
    }
    out.push(`<text x="${W - PAD.right - 90}" y="${y0 + 18 + i * 12}" font-size="11" fill="${s.color}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** A two-panel SVG: throughput (produced and routed documents per second) and end-to-end latency (p50, p99 per second). */
export function renderChart(timeline: readonly Second[], title: string): string {
  const n = timeline.length;
  const lat = (q: number) =>
    timeline.map((s) =>
      s.latencies.length
        ? percentile(
            [...s.latencies].sort((a, b) => a - b),
            q,
          )
        : null,
    );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 24}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${PAD.left}" y="16" font-size="14">${esc(title)}</text>`,
    panel(16, 'Throughput', 'docs/s', n, [
      { name: 'produced/s', color: '#1f77b4', values: timeline.map((s) => s.produced) },
      { name: 'routed/s', color: '#2ca02c', values: timeline.map((s) => s.routed) },
    ]),
    panel(16 + H, 'End-to-end latency (publish → dmp/mss, read committed)', 'ms', n, [
      { name: 'p50', color: '#ff7f0e', values: lat(50) },
      { name: 'p99', color: '#d62728', values: lat(99) },
    ]),
    '</svg>',
    '',
  ].join('\n');
}
