import { frenchDate, hl7Date, hl7Timestamp, xdsTimestamp } from './hl7-time';

describe('HL7 times', () => {
  it('writes Paris local time with its offset, winter and summer', () => {
    expect(hl7Timestamp(Date.UTC(2025, 10, 22, 8, 26, 40))).toBe('20251122092640+0100');
    expect(hl7Timestamp(Date.UTC(2025, 6, 14, 22, 30, 5))).toBe('20250715003005+0200');
    // Twice the same instant (cached) and then another one.
    expect(hl7Timestamp(Date.UTC(2025, 6, 14, 22, 30, 5))).toBe('20250715003005+0200');
    expect(hl7Timestamp(Date.UTC(2024, 1, 29, 23, 0, 0))).toBe('20240301000000+0100');
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
