import fc from 'fast-check';
import { seedFastCheck } from '../../../test/support/seed';
import { frenchDate, hl7Date, hl7Timestamp, xdsTimestamp } from './hl7-time';

seedFastCheck(); // FC_SEED replays a run of the property tests below

const paris = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
/** The oracle: Paris local time and offset from Intl alone, at every call (what hl7Timestamp did before its cache). */
function intlTimestamp(epochMs: number): string {
  const parts = Object.fromEntries(paris.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  const offset = Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60000);
  const hhmm = `${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}${offset < 0 ? '-' : '+'}${hhmm}`;
}
const offsetAt = (epochMs: number) => intlTimestamp(epochMs).slice(-5);

describe('HL7 times', () => {
  it('writes Paris local time with its offset, winter and summer', () => {
    expect(hl7Timestamp(Date.UTC(2025, 10, 22, 8, 26, 40))).toBe('20251122092640+0100');
    expect(hl7Timestamp(Date.UTC(2025, 6, 14, 22, 30, 5))).toBe('20250715003005+0200');
    // Twice the same instant (cached) and then another one.
    expect(hl7Timestamp(Date.UTC(2025, 6, 14, 22, 30, 5))).toBe('20250715003005+0200');
    expect(hl7Timestamp(Date.UTC(2024, 1, 29, 23, 0, 0))).toBe('20240301000000+0100');
  });

  it('is what Intl gives, at any instant (the offset is looked up once per UTC hour)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }), (t) => {
        expect(hl7Timestamp(t)).toBe(intlTimestamp(t));
      }),
      { numRuns: 5000 },
    );
    // Any time a long can hold and a Date can show (an event's time is only a long in the Avro schema).
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15 + 2 * 86_400_000, max: 8.64e15 - 2 * 86_400_000 }), (t) => {
        expect(hl7Timestamp(t)).toBe(intlTimestamp(t));
      }),
      { numRuns: 2000 },
    );
    // Either side of a change of offset (last Sunday of March and of October, 01:00 UTC).
    for (const t of [
      Date.UTC(2026, 2, 29, 0, 59, 59, 999),
      Date.UTC(2026, 2, 29, 1),
      Date.UTC(2026, 9, 25, 0, 59, 59),
      Date.UTC(2026, 9, 25, 1),
    ]) {
      expect(hl7Timestamp(t)).toBe(intlTimestamp(t));
    }
  });

  it('relies on a fact of the tz database: from 1976 to 2060, Paris changes its offset on a whole UTC hour only', () => {
    const HOUR = 3_600_000;
    let changes = 0;
    for (let day = Date.UTC(1976, 0, 1); day < Date.UTC(2060, 0, 1); day += 24 * HOUR) {
      if (offsetAt(day) === offsetAt(day + 24 * HOUR - 1)) continue;
      changes += 1;
      for (let h = day; h < day + 24 * HOUR; h += HOUR) expect(offsetAt(h + HOUR - 1)).toBe(offsetAt(h));
    }
    expect(changes).toBeGreaterThan(150); // two a year: the walk did find them
  });

  it('writes XDS times in UTC', () => {
    expect(xdsTimestamp(Date.UTC(2025, 6, 14, 22, 30, 5))).toBe('20250714223005');
  });

  it('converts dates and refuses what is not one', () => {
    expect(hl7Date('2025-11-22')).toBe('20251122');
    expect(hl7Date('2025-13-01')).toBeNull();
    expect(hl7Date('22/11/2025')).toBeNull();
    expect(hl7Date(null)).toBeNull();
    expect(frenchDate('20251122')).toBe('22/11/2025');
    expect(frenchDate(null)).toBe('date inconnue');
  });
});
