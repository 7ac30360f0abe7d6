import { renderChart, niceMax } from './chart';
import type { Second } from './stats';

describe('load chart', () => {
  it('draws throughput and latency lines, breaking the latency line where no message came', () => {
    const seconds: Second[] = [0, 1, 2, 3].map((t) => ({
      t,
      produced: 100,
      routed: t === 0 ? 0 : 95,
      failed: 0,
      dmp: 50,
      mss: 90,
      latencies: t === 2 ? [] : [100 + t, 300 + t],
      maxLag: 0,
    }));
    const svg = renderChart(seconds, 'run <250/s>');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('run &lt;250/s>');
    // produced, routed, then p50 and p99 each in two pieces around the empty second.
    expect(svg.match(/<polyline/g)).toHaveLength(2 + 2 * 2);
    expect(svg).toContain('docs/s');
  });

  it('rounds axis tops up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(130)).toBe(200);
    expect(niceMax(1000)).toBe(1000);
    expect(niceMax(2600)).toBe(5000);
  });
});
