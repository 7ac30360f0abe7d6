import { childTraceparent, readHeaders } from './headers';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

describe('trace context', () => {
  it('a new trace: a W3C traceparent, sampled, with ids never seen before (across refills of the random pool)', () => {
    // 2,000 new traces use 48 KB of random bytes: the 4 KiB pool is refilled a dozen times.
    const parents = Array.from({ length: 2_000 }, () => childTraceparent());
    for (const p of parents) expect(p).toMatch(TRACEPARENT);
    const ids = parents.flatMap((p) => (TRACEPARENT.exec(p) as RegExpExecArray).slice(1, 3));
    expect(new Set(ids).size).toBe(ids.length);
    expect(parents.every((p) => p.endsWith('-01'))).toBe(true);
  });

  it("a child span keeps its parent's trace id and flags, with a span id of its own", () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const children = Array.from({ length: 600 }, () => childTraceparent(parent));
    for (const c of children) expect(c).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    expect(new Set(children).size).toBe(children.length);
    expect(children).not.toContain(parent);
  });

  it('a parent that is not a traceparent starts a new trace', () => {
    expect(childTraceparent('not-a-trace')).toMatch(TRACEPARENT);
    expect(childTraceparent('not-a-trace')).not.toContain('not-a-trace');
  });
});

describe('readHeaders', () => {
  it('kafkajs headers (Buffers, arrays) as strings: the first of an array, undefined ones left out', () => {
    expect(readHeaders({ a: Buffer.from('x'), b: [Buffer.from('y'), Buffer.from('z')], c: undefined, d: 'w' })).toEqual({
      a: 'x',
      b: 'y',
      d: 'w',
    });
    expect(readHeaders(undefined)).toEqual({});
  });
});
