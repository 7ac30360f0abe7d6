import pino, { type Logger } from 'pino';

/**
 * JSON logs. Passerelle logs ids, topics, offsets and error codes, never personal data. Redaction is the second line
 * of defence should a value slip into a log call: a record's `value` and `body` are always redacted, and the caller
 * names its own domain's fields (the pipeline passes the catalogue's personal-data fields).
 */
export const ALWAYS_REDACTED = ['value', 'body'];

function redaction(keys: readonly string[] = []) {
  const all = [...new Set([...ALWAYS_REDACTED, ...keys])];
  return { paths: [...all, ...all.map((k) => `*.${k}`)], censor: '[redacted]' };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Where the JSON lines go (default: stdout) */
  destination?: pino.DestinationStream;
  /** Default info (a service's is its configuration's `LOG_LEVEL`) */
  level?: LogLevel;
  /** Field names never written, wherever they appear (besides {@link ALWAYS_REDACTED}) */
  redact?: readonly string[];
}

/** A service's JSON logger. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? 'info',
      base: { service },
      redact: redaction(options.redact),
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
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
export function consoleLogger(name: string, options: { level?: string; redact?: readonly string[] } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'warn';
  return pino(
    { name, level, redact: redaction(options.redact), base: undefined, timestamp: false },
    { write: (line: string) => void process.stderr.write(formatLogLine(line)) },
  );
}
