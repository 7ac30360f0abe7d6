import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
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
 * kafkajs's own log lines, into the service's JSON log. Its errors while a topic's leader moves or a coordinator
 * loads are retried by kafkajs itself: they are warnings for us, not errors.
 */
function kafkajsLogs(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () => ({ level, log }: LogEntry) => {
    const { message, timestamp: _t, logger: _l, ...rest } = log;
    if (level === logLevel.ERROR || level === logLevel.WARN) child.warn(rest, message);
    else child.debug(rest, message);
  };
}

/** A kafkajs client that fails fast on an unreachable broker rather than hanging. */
export function createKafka(cfg: Pick<RuntimeConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>, logger?: Logger): Kafka {
  const config: KafkaConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    ssl: cfg.ssl,
    sasl: cfg.sasl,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
    logLevel: logger ? logLevel.WARN : logLevel.ERROR,
    ...(logger ? { logCreator: kafkajsLogs(logger) } : {}),
  };
  return new Kafka(config);
}
