import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The settings of the local stack, read from the files infra/stack.sh runs with, so that the Docker variants
 * (testcontainers in test/setup, docker-compose.yml) are derived from or checked against one source of truth:
 * infra/kafka/server.properties (Kafka), infra/stack.env (registry), infra/pom.xml (versions).
 */
export const REPO_ROOT = join(__dirname, '..', '..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');

/** Parses a Java properties file of plain `key=value` lines (what server.properties uses; no continuations). */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`properties: line without "=": ${line}`);
    props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return props;
}

/** Parses infra/stack.env: `KEY=value` or `KEY="value with spaces"` lines, as bash `source` reads them. */
export function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`stack.env: not a KEY=value line: ${line}`);
    const value = m[2] ?? '';
    env.set(m[1] ?? '', value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  return env;
}

export interface StackSettings {
  kafkaVersion: string;
  apicurioVersion: string;
  /** infra/kafka/server.properties as given (without log.dirs, which stack.sh adds). */
  kafka: Map<string, string>;
  /** infra/stack.env. */
  stack: Map<string, string>;
  brokerPort: number;
  controllerPort: number;
  registryPort: number;
  registryCcompatPath: string;
}

function required(map: Map<string, string>, key: string, file: string): string {
  const v = map.get(key);
  if (v === undefined) throw new Error(`${file}: ${key} is missing`);
  return v;
}

function portOf(listeners: string, name: string): number {
  const entry = listeners.split(',').find((l) => l.startsWith(`${name}://`));
  const port = entry ? Number(entry.slice(entry.lastIndexOf(':') + 1)) : NaN;
  if (!Number.isInteger(port)) throw new Error(`server.properties: no ${name} port in listeners`);
  return port;
}

/** Reads the local stack's settings from infra/. */
export function readStackSettings(): StackSettings {
  const pom = readFileSync(join(INFRA_DIR, 'pom.xml'), 'utf8');
  const pomProp = (name: string): string => {
    const m = new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom);
    if (!m?.[1]) throw new Error(`infra/pom.xml: property ${name} is missing`);
    return m[1];
  };
  const kafka = parseProperties(readFileSync(join(INFRA_DIR, 'kafka', 'server.properties'), 'utf8'));
  const stack = parseEnvFile(readFileSync(join(INFRA_DIR, 'stack.env'), 'utf8'));
  const listeners = required(kafka, 'listeners', 'server.properties');
  return {
    kafkaVersion: pomProp('kafka.version'),
    apicurioVersion: pomProp('apicurio.version'),
    kafka,
    stack,
    brokerPort: portOf(listeners, 'PLAINTEXT'),
    controllerPort: portOf(listeners, 'CONTROLLER'),
    registryPort: Number(required(stack, 'REGISTRY_PORT', 'stack.env')),
    registryCcompatPath: required(stack, 'REGISTRY_CCOMPAT_PATH', 'stack.env'),
  };
}

/** The environment variable the apache/kafka image maps to a server property (`a.b-c` → `KAFKA_A_B_C`). */
export const kafkaImageEnvName = (property: string): string => `KAFKA_${property.toUpperCase().replace(/[.-]/g, '_')}`;

/**
 * Properties whose values must differ inside a container: it listens on all of its interfaces (Docker publishes
 * the port on the host's loopback) and keeps its data in the image's directory.
 */
export const CONTAINER_SPECIFIC_PROPERTIES = new Set(['listeners', 'advertised.listeners']);

/**
 * The apache/kafka image's environment for the same broker as infra/stack.sh, its client listener published on
 * `advertisedHost:brokerPort`. Every other setting is server.properties' own.
 */
export function kafkaImageEnvironment(settings: StackSettings, advertisedHost: string, brokerPort: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of settings.kafka) {
    if (!CONTAINER_SPECIFIC_PROPERTIES.has(key)) env[kafkaImageEnvName(key)] = value;
  }
  env[kafkaImageEnvName('listeners')] = `PLAINTEXT://0.0.0.0:${brokerPort},CONTROLLER://127.0.0.1:${settings.controllerPort}`;
  env[kafkaImageEnvName('advertised.listeners')] = `PLAINTEXT://${advertisedHost}:${brokerPort}`;
  return env;
}
