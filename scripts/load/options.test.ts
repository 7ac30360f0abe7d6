import { holds, parseDuration, parseLoadArgs, parseThreshold, wantsHelp } from './options';

describe('load tool options', () => {
  it('reads thresholds in the report units', () => {
    expect(parseThreshold('p99<1000ms')).toEqual({ text: 'p99<1000ms', metric: 'p99', op: '<', value: 1000 });
    expect(parseThreshold('p99.9 <= 2s')).toMatchObject({ metric: 'p99.9', op: '<=', value: 2000 });
    expect(parseThreshold('success>99.9%')).toMatchObject({ metric: 'success', op: '>', value: 99.9 });
    expect(parseThreshold('throughput>=900/s')).toMatchObject({ metric: 'throughput', op: '>=', value: 900 });
    expect(parseThreshold('lag<5000')).toMatchObject({ metric: 'lag', value: 5000 });
    expect(() => parseThreshold('p98<1s')).toThrow(/expected e\.g\./);
    expect(() => parseThreshold('success>99ms')).toThrow(/percentage/);
    expect(() => parseThreshold('p99<5%')).toThrow(/time/);
  });

  it('judges a measured value against a threshold', () => {
    expect(holds(parseThreshold('p99<1000ms'), 999)).toBe(true);
    expect(holds(parseThreshold('p99<1000ms'), 1000)).toBe(false);
    expect(holds(parseThreshold('success>=99.9%'), 99.9)).toBe(true);
    expect(holds(parseThreshold('throughput>1000/s'), 812)).toBe(false);
  });

  it('parses durations', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow(/duration/);
  });

  it('parses a command line, with its defaults and its exclusions', () => {
    const o = parseLoadArgs(
      ['--generate', '500', '--rate', '250/s', '--threshold', 'p99<1000ms', '--threshold', 'success>99.9%', '--report', 'r.json'],
      '/repo',
    );
    expect(o).toMatchObject({
      generate: 500,
      rate: 250,
      max: false,
      durationMs: 60_000,
      pharmacies: 2000,
      keys: 200,
      report: 'r.json',
      warmup: true,
      pkiDir: '/repo/.cache/load-pki/2000-200',
    });
    expect(o.thresholds.map((t) => t.metric)).toEqual(['p99', 'success']);
    expect(parseLoadArgs(['--max', '--pharmacies', '50', '--no-warmup'])).toMatchObject({
      max: true,
      pharmacies: 50,
      keys: 50,
      warmup: false,
    });
    expect(() => parseLoadArgs(['--rate', '10', '--max'])).toThrow(/exclude/);
    expect(() => parseLoadArgs(['--file', 'a', '--generate', '3', '--max'])).toThrow(/exclude/);
    expect(() => parseLoadArgs(['--duration', '10s'])).toThrow(/--rate R\/s or --max/);
    expect(() => parseLoadArgs(['--rate', 'fast'])).toThrow(/documents per second/);
    expect(() => parseLoadArgs(['--max', '--bogus'])).toThrow();
  });

  it('sees --help or -h wherever it sits, and only as an option', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['--max', '--duration', '10s', '-h'])).toBe(true);
    expect(wantsHelp(['--bogus', '--help'])).toBe(true);
    expect(wantsHelp(['--max', '--duration', '10s'])).toBe(false);
    expect(wantsHelp([])).toBe(false);
  });
});
