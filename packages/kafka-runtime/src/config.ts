import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type LogEntry, type logCreator, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError } from '@passerelle/errors';
import { consoleLogger, LOG_LEVELS, type LogLevel } from './logger';
import { readFlag, readOneOf, readOptional, readParsed, readPemFile, readPort, readRequired } from './settings';
import { DEFAULT_TIERS, parseTiers, type RetryTier } from './topics';

/** Settings every service reads, from the environment (`KAFKA_*`, `SCHEMA_REGISTRY_URL`, `PASSERELLE_*`, `LOG_LEVEL`). */
export interface RuntimeConfig {
  brokers: string[];
  registryUrl: string;
  /** The CA certificates (PEM) trusted for an https registry (`SCHEMA_REGISTRY_CA_FILE`), else the system's */
  registryCa?: string;
  clientId: string;
  /** TLS: `true` trusts the system's CAs; options carry the CA certificates to trust instead (`KAFKA_SSL_CA_FILE`) */
  ssl: boolean | tls.ConnectionOptions;
  sasl?: SASLOptions;
  tiers: RetryTier[];
  metricsPort: number;
  /** The address /metrics, /livez and /readyz listen on */
  metricsHost: string;
  /** Prefix of every topic and consumer group of the deployment */
  topicPrefix: string;
  logLevel: LogLevel;
  /** How the stage commits (`PASSERELLE_TRANSACTIONS`): unset, the service's own choice (see `StageOptions.transactions`) */
  transactions?: TransactionMode;
}

export const TRANSACTION_MODES = ['per-partition', 'shared'] as const;
export type TransactionMode = (typeof TRANSACTION_MODES)[number];

/** The variables {@link loadRuntimeConfig} reads (the README's configuration table lists them; a test checks it). */
export const RUNTIME_VARIABLES = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'SCHEMA_REGISTRY_CA_FILE',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_PASSWORD_FILE',
  'PASSERELLE_TOPIC_PREFIX',
  'PASSERELLE_RETRY_TIERS',
  'PASSERELLE_METRICS_PORT',
  'PASSERELLE_METRICS_HOST',
  'LOG_LEVEL',
  'PASSERELLE_TRANSACTIONS',
] as const;

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
const BROKER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const TOPIC_PREFIX = /^[A-Za-z0-9._-]*$/;

/**
 * The settings every service needs, read once from the environment and checked: the cluster and the registry have
 * no default (a service never talks to a broker it was not told of); a bad value throws a {@link ConfigError} naming
 * the variable and what it accepts.
 */
export function loadRuntimeConfig(service: string, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const brokers = readRequired(env, 'KAFKA_BROKERS', 'host:port[,host:port…]')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || !brokers.every((b) => BROKER.test(b))) {
    throw new ConfigError('KAFKA_BROKERS', 'must be host:port[,host:port…]');
  }
  const registryUrl = readRequired(env, 'SCHEMA_REGISTRY_URL', 'an http(s) URL of a Confluent-compatible registry API');
  if (!isHttpUrl(registryUrl))
    throw new ConfigError('SCHEMA_REGISTRY_URL', 'must be an http(s) URL of a Confluent-compatible registry API');
  let sasl: SASLOptions | undefined;
  const mechanism = readOptional(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  if (mechanism !== undefined) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new ConfigError('KAFKA_SASL_MECHANISM', `must be one of ${SASL_MECHANISMS.join(', ')} (unset: no SASL)`);
    }
    const username = readRequired(env, 'KAFKA_SASL_USERNAME', 'the SASL user, with KAFKA_SASL_MECHANISM');
    const password = secret(env, 'KAFKA_SASL_PASSWORD');
    if (!password) throw new ConfigError('KAFKA_SASL_PASSWORD', 'or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM');
    sasl = { mechanism, username, password } as SASLOptions;
  }
  const ssl = readFlag(env, 'KAFKA_SSL');
  const ca = readPemFile(env, 'KAFKA_SSL_CA_FILE', "the CA certificates of the brokers' TLS listeners");
  if (ca !== undefined && !ssl) throw new ConfigError('KAFKA_SSL_CA_FILE', 'is set but KAFKA_SSL is not true: set KAFKA_SSL=true');
  const registryCa = readPemFile(env, 'SCHEMA_REGISTRY_CA_FILE', "the CA certificates of the registry's HTTPS");
  if (registryCa !== undefined && !registryUrl.startsWith('https:'))
    throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', 'is set but SCHEMA_REGISTRY_URL is not https: give the https URL');
  const topicPrefix = readOptional(env, 'PASSERELLE_TOPIC_PREFIX') ?? '';
  if (!TOPIC_PREFIX.test(topicPrefix)) throw new ConfigError('PASSERELLE_TOPIC_PREFIX', 'must hold only letters, digits, ".", "_" and "-"');
  const transactions = readOptional(env, 'PASSERELLE_TRANSACTIONS');
  if (transactions !== undefined && !(TRANSACTION_MODES as readonly string[]).includes(transactions)) {
    throw new ConfigError('PASSERELLE_TRANSACTIONS', `must be one of ${TRANSACTION_MODES.join(', ')} (unset: the service's own)`);
  }
  return {
    brokers,
    registryUrl,
    registryCa,
    clientId: `passerelle-${service}`,
    ssl: ca === undefined ? ssl : { ca: [ca] },
    sasl,
    tiers: readParsed(env, 'PASSERELLE_RETRY_TIERS', 'must be durations like 5s,1m,10m,1h (units ms, s, m, h)', parseTiers, DEFAULT_TIERS),
    metricsPort: readPort(env, 'PASSERELLE_METRICS_PORT', 0),
    metricsHost: readOptional(env, 'PASSERELLE_METRICS_HOST') ?? '127.0.0.1',
    topicPrefix,
    logLevel: readOneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    transactions: transactions as TransactionMode | undefined,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A secret from `NAME` or, better, from the file named by `NAME_FILE`. */
export function secret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (!file) return env[name];
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError(`${name}_FILE`, 'must name a readable file');
  }
}

/**
 * What kafkajs says (at WARN, once per producer: each stage makes one per input partition) when an idempotent
 * producer's send retries are bounded, which they are here: a producer inherits the client's `retry` (8 attempts, up to
 * 5 s apart), so that a broker that stays away fails the transaction instead of blocking the stage. It is safe for
 * every idempotent producer made with {@link createKafka}, because each is transactional (the stages, the dead-letter
 * replay): a send that runs out of retries fails its transaction, which is aborted (read-committed consumers never see
 * its records) and the producer is dropped; the next one re-initialises the same transactional id, which bumps the
 * epoch and restarts the sequence numbers, so no gap or reuse of a sequence can lose or duplicate a record. The fault
 * tests prove it on a real broker killed mid-transaction (0 lost, 0 duplicated). An idempotent producer that is not
 * transactional must set `retry: { retries: Number.MAX_SAFE_INTEGER }` itself (the publisher and the load tool do).
 * The line goes to debug, not to operators' consoles.
 */
export const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * kafkajs's own log lines, into the project's pino logger. Its errors while a topic's leader moves or a coordinator
 * loads are retried by kafkajs itself: they are warnings for us, not errors. A line kafkajs repeats (each retry of a
 * connection, each restart of a consumer) is written once, then summarised: the next one after `summaryMs` carries
 * `repeated: N`, the count of those left out meanwhile.
 */
export function kafkajsLogCreator(logger: Logger, summaryMs = 30_000): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  const seen = new Map<string, { at: number; left: number }>();
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, stack: _s, ...rest } = log as LogEntry['log'] & { stack?: unknown };
      if (namespace === 'Producer' && message === BOUNDED_RETRIES_WARNING) return void child.debug({ namespace, ...rest }, message);
      const warn = level === logLevel.ERROR || level === logLevel.WARN;
      if (!warn) return void child.debug({ namespace, ...rest }, message);
      const key = `${namespace}|${message}`;
      const now = Date.now();
      const last = seen.get(key);
      if (last && now - last.at < summaryMs) {
        last.left += 1;
        return;
      }
      // Lines carry addresses and error texts: forget the quiet ones now and then, so the map stays small.
      if (seen.size >= 1_000) for (const [k, v] of seen) if (now - v.at >= summaryMs && v.left === 0) seen.delete(k);
      seen.set(key, { at: now, left: 0 });
      child.warn({ namespace, ...rest, ...(last?.left ? { repeated: last.left } : {}) }, message);
    };
}

/** The sockets of each client made by {@link createKafka}, so that a stop that does not end can close them. */
const connections = new WeakMap<Kafka, { sockets: Set<Socket>; closed: boolean }>();

function trackedSockets(state: { sockets: Set<Socket>; closed: boolean }): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket: Socket = ssl
      ? tls.connect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    if (state.closed) {
      // After closeConnections: kafkajs reconnects on demand; each attempt fails at once instead of reaching a broker.
      socket.destroy(new Error('connection closed by its owner'));
      return socket;
    }
    state.sockets.add(socket);
    socket.once('close', () => state.sockets.delete(socket));
    return socket;
  };
}

/**
 * Destroys every connection of a client made by {@link createKafka}, and every one it opens afterwards: what is left
 * when a graceful disconnect did not end in time. Returns how many were open.
 */
export function closeConnections(kafka: Kafka): number {
  const state = connections.get(kafka);
  if (!state) return 0;
  state.closed = true;
  const open = state.sockets.size;
  for (const socket of state.sockets) socket.destroy(new Error('connection closed by its owner'));
  state.sockets.clear();
  return open;
}

/**
 * A kafkajs client that fails fast on an unreachable broker rather than hanging. Its log lines go to `logger`, or to
 * the command logger (warn and above, readable lines on stderr) when none is given: never kafkajs's raw JSON.
 */
export function createKafka(cfg: Pick<RuntimeConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>, logger?: Logger): Kafka {
  const state = { sockets: new Set<Socket>(), closed: false };
  const config: KafkaConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    ssl: cfg.ssl,
    sasl: cfg.sasl,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
    logLevel: logLevel.INFO,
    logCreator: kafkajsLogCreator(logger ?? consoleLogger(cfg.clientId)),
    socketFactory: trackedSockets(state),
  };
  const kafka = new Kafka(config);
  connections.set(kafka, state);
  return kafka;
}
