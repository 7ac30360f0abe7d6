import { Breaker } from './breaker';

describe('Breaker', () => {
  let now = 1_000_000;
  const changes: string[] = [];
  const make = () =>
    new Breaker({ threshold: 3, openMs: 1_000, maxOpenMs: 4_000, now: () => now, onChange: (s, d) => changes.push(`${s}:${d.failures}`) });

  beforeEach(() => {
    now = 1_000_000;
    changes.length = 0;
  });

  it('stays closed below the threshold, and a success resets the count', () => {
    const b = make();
    expect(b.failed()).toBe(false);
    expect(b.failed()).toBe(false);
    b.succeeded();
    expect(b.failed()).toBe(false);
    expect(b.admit()).toEqual({ send: true });
    expect(changes).toEqual([]);
  });

  it('opens at the threshold: records wait until the back-off is over, then one probe goes', () => {
    const b = make();
    b.failed();
    b.failed();
    expect(b.failed('DMP_TIMEOUT')).toBe(true);
    expect(b.current).toBe('open');
    expect(b.admit()).toEqual({ send: false, until: now + 1_000 });
    now += 1_000;
    expect(b.admit()).toEqual({ send: true });
    expect(b.current).toBe('half-open');
    // While the probe is out, others wait.
    expect(b.admit()).toMatchObject({ send: false });
    b.succeeded();
    expect(b.current).toBe('closed');
    expect(changes).toEqual(['open:3', 'closed:0']);
  });

  it('a failed probe opens it again for twice as long, up to the maximum; the change is told once', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failed();
    for (const wait of [2_000, 4_000, 4_000]) {
      now += 10_000;
      expect(b.admit()).toEqual({ send: true });
      expect(b.failed()).toBe(true);
      expect(b.admit()).toEqual({ send: false, until: now + wait });
    }
    expect(changes).toEqual(['open:3']);
  });

  it('a probe that was not sent after all (released) lets the next record probe at once', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failed();
    now += 1_000;
    expect(b.admit()).toEqual({ send: true });
    expect(b.admit()).toMatchObject({ send: false });
    b.released();
    expect(b.admit()).toEqual({ send: true });
    b.succeeded();
    expect(b.current).toBe('closed');
    b.released();
    expect(b.current).toBe('closed');
  });
});
