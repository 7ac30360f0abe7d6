import { SERVICES, type ServiceName } from './processes';
import { parseSoakArgs } from './soak';
import { axis, linearFit, renderSoakChart, summarise, type Sample, type ServiceSample } from './soak-report';

/** Samples every 10 s for `minutes`, each service's RSS and lag given by a function of the time in ms. */
function samples(minutes: number, f: (s: ServiceName, tMs: number) => ServiceSample): Sample[] {
  const out: Sample[] = [];
  for (let t = 10_000; t <= minutes * 60_000; t += 10_000) {
    out.push({ tMs: t, load1: 2, services: Object.fromEntries(SERVICES.map((s) => [s, f(s, t)])) as Record<ServiceName, ServiceSample> });
  }
  return out;
}

describe('the soak run', () => {
  it('fits a least-squares line', () => {
    const fit = linearFit([
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 7],
    ]);
    expect(fit?.slope).toBeCloseTo(2, 12);
    expect(fit?.intercept).toBeCloseTo(1, 12);
    // Noise around y = 0.5x: the fit is the closed form's, not the endpoints'.
    const noisy = linearFit([
      [0, 0],
      [1, 1],
      [2, 0],
      [3, 2],
    ]);
    expect(noisy?.slope).toBeCloseTo(0.5, 12);
    expect(noisy?.intercept).toBeCloseTo(0, 12);
    expect(linearFit([[1, 1]])).toBeNull();
    expect(
      linearFit([
        [1, 1],
        [1, 2],
      ]),
    ).toBeNull();
  });

  it('gives each service its RSS slope in MiB per hour without the warm-up, and its lag at the end of the load and after the drain', () => {
    // The signer grows 12 MiB per hour after a warm-up jump; the others are flat after it.
    const data = samples(10, (s, t) => ({
      rssMiB: t < 120_000 ? 50 + t / 10_000 : s === 'signer' ? 200 + (12 * t) / 3_600_000 : 150,
      cores: s === 'signer' ? 0.5 : 0.1,
      lag: s === 'signer' ? (t <= 480_000 ? t / 1000 : 0) : 0,
    }));
    const summary = summarise(data, 120_000, 480_000);
    expect(summary.signer.rssSlopeMiBPerHour).toBeCloseTo(12, 1);
    expect(summary.composer.rssSlopeMiBPerHour).toBe(0);
    expect(summary.signer.fitSamples).toBe(37); // 120 s to 480 s, both ends
    expect(summary.signer.lagAtLoadEnd).toBe(480);
    expect(summary.signer.finalLag).toBe(0);
    expect(summary.signer.maxLag).toBe(480);
    expect(summary.signer.meanCores).toBe(0.5);
    expect(summary.router.rssMiB.first).toBe(51);
    expect(summary.router.rssMiB.last).toBe(150);
  });

  it('leaves out samples it could not read, and says null when too few remain to fit', () => {
    const data = samples(3, (s, t) => ({ rssMiB: s === 'retrier' || t < 170_000 ? null : 100, cores: null, lag: null }));
    const summary = summarise(data, 120_000, 180_000);
    expect(summary.retrier.rssSlopeMiBPerHour).toBeNull();
    expect(summary.retrier.fitSamples).toBe(0);
    expect(summary.composer.fitSamples).toBe(2);
    expect(summary.composer.finalLag).toBeNull();
    expect(summary.composer.meanCores).toBeNull();
  });

  it('draws RSS and lag per service over time, breaking a line where a sample is missing', () => {
    const data = samples(5, (s, t) => ({
      rssMiB: s === 'router' && t === 60_000 ? null : 100 + t / 60_000,
      cores: 0.2,
      lag: s === 'signer' ? 40 : 0,
    }));
    const svg = renderSoakChart(data, 'soak <100/s>', [
      { tMs: 120_000, label: 'warm-up ends' },
      { tMs: 240_000, label: 'load stops' },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('soak &lt;100/s&gt;');
    // Per panel one line per service, the router's RSS in two pieces around its missing sample: 5 + 4.
    expect(svg.match(/<polyline/g)).toHaveLength(9);
    for (const s of SERVICES) expect(svg.match(new RegExp(`>${s}</text>`, 'g'))).toHaveLength(2);
    expect(svg).toContain('warm-up ends');
    expect(svg).toContain('MiB');
    // Every point is inside the drawing (no NaN from an empty or flat series).
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg.match(/<text/g)?.length).toBe(svg.match(/<\/text>/g)?.length);
  });

  it('starts the RSS axis near its lowest value and the lag axis at zero', () => {
    expect(axis(143, 161, false)).toEqual({ lo: 140, hi: 165, ticks: [140, 145, 150, 155, 160, 165] });
    expect(axis(0, 0, true).lo).toBe(0);
    expect(axis(0, 0, true).hi).toBeGreaterThan(0);
    expect(axis(3, 950, true)).toMatchObject({ lo: 0, hi: 1000 });
  });

  it('reads its options, with 100 documents/s for 30 minutes sampled every 10 s by default', () => {
    expect(parseSoakArgs([])).toMatchObject({ rate: 100, durationMs: 1_800_000, sampleMs: 10_000, build: true });
    expect(parseSoakArgs(['--rate', '20', '--duration', '3m', '--sample', '5s', '--no-build'])).toMatchObject({
      rate: 20,
      durationMs: 180_000,
      sampleMs: 5_000,
      build: false,
    });
    expect(() => parseSoakArgs(['--rate', '0'])).toThrow('--rate must be a number > 0');
    expect(() => parseSoakArgs(['--sample', '500ms'])).toThrow('--sample must be 1s or more');
    expect(() => parseSoakArgs(['--bogus'])).toThrow();
  });
});
