import { percentile, percentiles, Timeline } from './stats';

describe('load statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000
    expect(percentiles(values)).toEqual({ count: 1000, p50: 500, p75: 750, p95: 950, p99: 990, 'p99.9': 999, max: 1000 });
    expect(percentile([7], 99)).toBe(7);
    expect(percentiles([])).toMatchObject({ count: 0, p50: NaN, max: NaN });
    // Order of the input does not matter.
    expect(percentiles([5, 1, 3]).p50).toBe(3);
  });

  it('buckets a run by second and sums windows', () => {
    const tl = new Timeline(10_000);
    tl.at(10_100).produced += 5;
    tl.at(12_999).routed += 2;
    tl.at(12_500).latencies.push(120, 80);
    expect(tl.seconds.map((s) => s.t)).toEqual([0, 1, 2]);
    expect(tl.window(0, 3)).toMatchObject({ seconds: 3, produced: 5, routed: 2, latencies: [120, 80] });
    expect(tl.window(-5, 1)).toMatchObject({ seconds: 1, produced: 5, routed: 0 });
  });
});
