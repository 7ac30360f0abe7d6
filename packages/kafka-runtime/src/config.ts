import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type LogEntry, type logCreator, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { consoleLogger } from './logger';
import { DEFAULT_TIERS, parseTiers, type RetryTier } from './topics';

/** Settings every service reads, from the environment (`KAFKA_*`, `SCHEMA_REGISTRY_URL`, `PASSERELLE_*`). */
export interface RuntimeConfig {
  brokers: string[];
  registryUrl: string;
  clientId: string;
  ssl: boolean;
  sasl?: SASLOptions;
  tiers: RetryTier[];
  /** The deployment is a test platform: test and demo INS OIDs are accepted */
  testPlatform: boolean;
  metricsPort: number;
}

/** A secret from `NAME` or, better, from the file named by `NAME_FILE`. */
export function secret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  return file ? readFileSync(file, 'utf8').trim() : env[name];
}

export function loadRuntimeConfig(service: string, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  let sasl: SASLOptions | undefined;
  if (mechanism) {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)) {
      throw new Error(`KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512`);
    }
    const username = env.KAFKA_SASL_USERNAME;
    const password = secret(env, 'KAFKA_SASL_PASSWORD');
    if (!username || !password) throw new Error('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD(_FILE) are required with SASL');
    sasl = { mechanism, username, password } as SASLOptions;
  }
  const port = Number(env.PASSERELLE_METRICS_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0) throw new Error('PASSERELLE_METRICS_PORT must be a port number');
  return {
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((b) => b.trim()).filter(Boolean),
    registryUrl: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7',
    clientId: `passerelle-${service}`,
    ssl: env.KAFKA_SSL === 'true',
    sasl,
    tiers: env.PASSERELLE_RETRY_TIERS ? parseTiers(env.PASSERELLE_RETRY_TIERS) : DEFAULT_TIERS,
    testPlatform: env.PASSERELLE_TEST_PLATFORM === 'true',
    metricsPort: port,
  };
}

/**
 * kafkajs's own log lines, into the project's pino logger. Its errors while a topic's leader moves or a coordinator
 * loads are retried by kafkajs itself: they are warnings for us, not errors. A line kafkajs repeats (each retry of a
 * connection, each restart of a consumer) is written once, then summarised: the next one after `summaryMs` carries
 * `repeated: N`, the count of those left out meanwhile.
 */
export function kafkajsLogCreator(logger: Logger, summaryMs = 30_000): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  const seen = new Map<string, { at: number; left: number }>();
  return () => ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, stack: _s, ...rest } = log as LogEntry['log'] & { stack?: unknown };
    const warn = level === logLevel.ERROR || level === logLevel.WARN;
    if (!warn) return void child.debug({ namespace, ...rest }, message);
    const key = `${namespace}|${message}`;
    const now = Date.now();
    const last = seen.get(key);
    if (last && now - last.at < summaryMs) {
      last.left += 1;
      return;
    }
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
