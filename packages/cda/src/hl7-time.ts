/**
 * HL7 timestamps. Documents carry local French time with its offset (the ANS examples do: `20210409153500+0100`);
 * XDS metadata carries UTC. Both derive from the event's own time, never from the clock, so that the same event
 * always yields the same bytes.
 */
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

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const HOUR_MS = 3_600_000;
// Paris's UTC offset in each UTC hour, as Intl (the tz database) gives it: Intl formatting is the costly part, and
// since 1976 France changes its offset on a whole UTC hour, so one look-up serves every event of that hour. Earlier
// instants (offsets of seconds before 1911) are formatted by Intl each time. Bounded: cleared when full.
const offsets = new Map<number, number>();
const SINCE = Date.UTC(1976, 0, 1);

/** `YYYYMMDDHHMMSS+ZZZZ` in Europe/Paris local time. */
export function hl7Timestamp(epochMs: number): string {
  if (!(epochMs >= SINCE)) return formatParis(epochMs);
  const hour = Math.floor(epochMs / HOUR_MS);
  let offsetMinutes = offsets.get(hour);
  if (offsetMinutes === undefined) {
    offsetMinutes = parisLocal(epochMs).offsetMinutes;
    if (offsets.size >= 10_000) offsets.clear();
    offsets.set(hour, offsetMinutes);
  }
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${xdsTimestamp(Math.floor(epochMs / 1000) * 1000 + offsetMinutes * 60_000)}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** Intl's local time of an instant in Paris, and the offset from UTC that makes it. */
function parisLocal(epochMs: number): { local: string; offsetMinutes: number } {
  const parts = Object.fromEntries(paris.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  const local = `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`;
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return { local, offsetMinutes: Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60000) };
}

function formatParis(epochMs: number): string {
  const { local, offsetMinutes } = parisLocal(epochMs);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** `YYYYMMDDHHMMSS` in UTC, as XDS wants creationTime. */
export function xdsTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/**
 * `YYYY-MM-DD` → `YYYYMMDD`. A value that is not such a date (the schema only says "string") yields null, and the
 * builders then use a nullFlavor or the event time instead of writing an invalid timestamp.
 */
export function hl7Date(isoDate: string | null | undefined): string | null {
  if (!isoDate) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return null;
  const [, y = '', mo = '', d = ''] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return `${y}${mo}${d}`;
}

/** `YYYYMMDD` → `DD/MM/YYYY`, for narrative text and the PDF. */
export function frenchDate(hl7: string | null): string {
  if (!hl7) return 'date inconnue';
  return `${hl7.slice(6, 8)}/${hl7.slice(4, 6)}/${hl7.slice(0, 4)}`;
}
