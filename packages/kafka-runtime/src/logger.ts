import pino, { type Logger } from 'pino';

/**
 * JSON logs. Passerelle logs ids, topics, offsets and error codes, never personal data; the redaction below is
 * the second line of defence should a value slip into a log call.
 */
export const REDACTED_KEYS = [
  'ins', 'matricule', 'patient', 'birthFamilyName', 'birthGivenNames', 'firstGivenName', 'birthDate', 'birthPlace',
  'usedFamilyName', 'usedGivenName', 'familyName', 'givenName', 'documentXml', 'signatureXml', 'value', 'body',
];

const redact = { paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`)], censor: '[redacted]' };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A service's JSON logger, at `level` (a service's is its configuration's `LOG_LEVEL`; default info). */
export function createLogger(service: string, destination?: pino.DestinationStream, level: LogLevel = 'info'): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service },
      redact,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const NOT_SHOWN = new Set(['level', 'time', 'msg', 'name', 'service', 'component', 'pid', 'hostname']);

/** One pino JSON line as a person reads it: `name warn: message (key=value …)`. */
export function formatLogLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const who = [o.name, o.component].filter((x) => typeof x === 'string' && x !== '').join('/');
  const fields = Object.entries(o)
    .filter(([k, v]) => !NOT_SHOWN.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  const level = LEVEL_NAMES[Number(o.level)] ?? String(o.level);
  return `${who} ${level}: ${String(o.msg ?? '')}${fields.length ? ` (${fields.join(' ')})` : ''}\n`;
}

/**
 * The logger of commands (demo, operator commands, tests' own clients): the same pino logger and redaction, at warn
 * and above by default (`LOG_LEVEL` overrides), written to stderr as one readable line per entry, never raw JSON.
 */
export function consoleLogger(name: string, level = process.env.LOG_LEVEL ?? 'warn'): Logger {
  return pino({ name, level, redact, base: undefined, timestamp: false }, { write: (line: string) => void process.stderr.write(formatLogLine(line)) });
}
