import type { LgoEvent } from '@passerelle/schemas';
import { GeneratedEvents, MIX, parseEventLine } from './events';
import { pharmacyFiness } from './pki';

describe('load events', () => {
  it('generates a mix of the four document types, each authored by a pharmacy with a certificate', () => {
    const finess = pharmacyFiness(300);
    const gen = new GeneratedEvents(42, finess, 2000);
    const events: LgoEvent[] = [];
    for (let e = gen.next(); e; e = gen.next()) events.push(e);
    expect(events).toHaveLength(2000);
    const share = (topic: string, kind?: string) =>
      events.filter((e) => e.topic === topic && (!kind || ('review' in e.event && e.event.review.kind === kind))).length / events.length;
    expect(share('lgo.dispensation.v1')).toBeCloseTo(MIX[0]?.weight ?? 0, 1);
    expect(share('lgo.vaccination.v1')).toBeCloseTo(MIX[1]?.weight ?? 0, 1);
    expect(share('lgo.medication-review.v1', 'BILAN_PARTAGE_MEDICATION')).toBeGreaterThan(0.1);
    expect(share('lgo.medication-review.v1', 'ENTRETIEN_PHARMACEUTIQUE')).toBeGreaterThan(0.1);
    expect(events.every((e) => finess.includes(e.event.pharmacy.finess))).toBe(true);
    expect(new Set(events.map((e) => e.event.pharmacy.finess)).size).toBeGreaterThan(250);
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(2000);
  });

  it('makes distinct FINESS that the signer accepts', () => {
    const f = pharmacyFiness(2000);
    expect(new Set(f).size).toBe(2000);
    for (const x of f) expect(x).toMatch(/^\d{9}$/);
  });

  it('reads NDJSON lines with or without the {topic, event} envelope', () => {
    const gen = new GeneratedEvents(1, pharmacyFiness(5), 3);
    const e = gen.next();
    if (!e) throw new Error('no event');
    expect(parseEventLine(JSON.stringify(e), 1)).toEqual(e);
    expect(parseEventLine(JSON.stringify(e.event), 2)).toEqual(e);
    expect(() => parseEventLine('{"hello":1}', 3)).toThrow(/line 3: an NDJSON line is neither/);
    expect(() => parseEventLine('nope', 4)).toThrow(/line 4: not JSON/);
  });
});
