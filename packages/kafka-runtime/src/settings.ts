import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '@passerelle/errors';

/**
 * Reading settings from the environment, each checked: a missing or wrong value is a {@link ConfigError} naming the
 * variable and what it accepts (never the value given: it may be a secret), so that a service refuses to start
 * instead of failing on every record. Each service's loader is made of these.
 */
type Env = NodeJS.ProcessEnv;

/** The value, trimmed; undefined when unset or empty. */
export function readOptional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The value, trimmed; `accepts` says what it must be when it is missing. */
export function readRequired(env: Env, name: string, accepts: string): string {
  const value = readOptional(env, name);
  if (value === undefined) throw new ConfigError(name, `is required: ${accepts}`);
  return value;
}

/** One of `values`, or `fallback` when unset. */
export function readOneOf<V extends string>(env: Env, name: string, values: readonly V[], fallback: V): V {
  const value = readOptional(env, name);
  if (value === undefined) return fallback;
  if (!(values as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${values.join(', ')} (default ${fallback})`);
  }
  return value as V;
}

/** `true` or `false`, or `fallback` when unset. */
export function readFlag(env: Env, name: string, fallback = false): boolean {
  return readOneOf(env, name, ['true', 'false'], fallback ? 'true' : 'false') === 'true';
}

/** A port number 0-65535, or `fallback` when unset. */
export function readPort(env: Env, name: string, fallback: number): number {
  const value = readOptional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    throw new ConfigError(name, `must be a port number 0-65535 (default ${fallback})`);
  }
  return Number(value);
}

/** The value through `parse`, or `fallback` when unset; a value `parse` refuses is a ConfigError saying `accepts`. */
export function readParsed<R>(env: Env, name: string, accepts: string, parse: (value: string) => R, fallback: R): R {
  const value = readOptional(env, name);
  if (value === undefined) return fallback;
  try {
    return parse(value);
  } catch {
    throw new ConfigError(name, accepts);
  }
}

/** The path of an existing directory (required); `what` says what it holds. */
export function readDirectory(env: Env, name: string, what: string): string {
  const dir = readRequired(env, name, `the directory of ${what}`);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(name, `must be an existing directory: the directory of ${what}`);
  }
  return dir;
}

/** A parser for {@link readParsed}: a whole number from 1 to `max`. */
export const positiveInteger =
  (max: number) =>
  (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > max) throw new Error('out of range');
    return n;
  };

/** The text of the PEM file of CA certificates named by `name` (optional); `what` says whose CA they are. */
export function readPemFile(env: Env, name: string, what: string): string | undefined {
  const file = readOptional(env, name);
  if (!file) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(name, `must name a readable PEM file of ${what}`);
  }
  if (!pem.includes('BEGIN CERTIFICATE')) throw new ConfigError(name, 'must name a PEM file of CA certificates');
  return pem;
}
