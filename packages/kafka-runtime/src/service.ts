import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { RegistryCodec, type SchemaOf } from './codec';
import { createKafka, loadRuntimeConfig, type RuntimeConfig, type TransactionMode } from './config';
import { createLogger } from './logger';
import type { StageMetrics } from './metrics';
import { prometheusMetrics } from './prometheus';
import { createStage, type Failure, type HandlerResult, type InputRecord, type OutputRecord, type Stage } from './stage';
import { ensureTopics, type TopicSpec } from './topics';

export interface ServiceContext {
  /** The configuration, its `topicPrefix` the one the service runs with */
  config: RuntimeConfig;
  logger: Logger;
  /** Where the stage reports (a handler may report its own events, e.g. a breaker's state) */
  metrics?: StageMetrics;
}

/**
 * What a service is, as the runtime sees it: the topics it reads and creates, the schemas of their values, the fields
 * it must never log, and its pure handler. The runtime knows no topic, no stage and no domain field of its own.
 */
export interface ServiceDefinition<T> {
  name: string;
  /** The topics the stage consumes (prefixed with `ctx.config.topicPrefix`) */
  inputTopics(ctx: ServiceContext): string[];
  /** The topics to create, if missing, before the stage starts */
  topics?(ctx: ServiceContext): TopicSpec[];
  handler(ctx: ServiceContext): (record: InputRecord<T>) => Promise<HandlerResult> | HandlerResult;
  onFailure?(ctx: ServiceContext): (failure: Failure<T>) => OutputRecord[];
  raw?: boolean;
  /** How its stage commits (default `per-partition`; `PASSERELLE_TRANSACTIONS` overrides): see `StageOptions.transactions` */
  transactions?: TransactionMode;
  /** The Avro schema of each topic's values (the codec registers and reads with it) */
  schemaOf: SchemaOf;
  /** Field names its logs never show (besides a record's value and body) */
  redact?: readonly string[];
  /** Releases what the handler holds (connection pools…), once the stage has stopped */
  close?(): void | Promise<void>;
}

export interface RunningService {
  name: string;
  stage: Stage;
  /** Graceful: the batch in hand finishes and commits, the group is left, the HTTP server closes */
  stop(): Promise<void>;
  /** The port of /metrics, /livez, /readyz (0 when disabled) */
  port: number;
}

export interface RunOptions {
  /** Where the configuration is read from (default process.env), unless `runtimeConfig` is given */
  env?: NodeJS.ProcessEnv;
  /** The configuration already loaded (runMain loads it once, before anything starts) */
  runtimeConfig?: RuntimeConfig;
  /** Overrides for tests and the demo (all services in one process) */
  config?: Partial<RuntimeConfig>;
  /** Default: the configuration's `PASSERELLE_TOPIC_PREFIX` */
  topicPrefix?: string;
  logger?: Logger;
  metrics?: StageMetrics;
  /** Serve /metrics etc. on this port (default: PASSERELLE_METRICS_PORT, 0 = no server) */
  httpPort?: number;
  /** The address to listen on (default: the configuration's PASSERELLE_METRICS_HOST; 0.0.0.0 for a scraper elsewhere) */
  httpHost?: string;
  /**
   * The /metrics text (Prometheus exposition) of the registry behind `metrics`. Given with `metrics`, it also starts
   * the HTTP server when no port is set (on a free port: `RunningService.port`). Without `metrics`, the service keeps
   * its own Prometheus registry (`prometheusMetrics`) and serves it on the configured port.
   */
  metricsText?: () => Promise<string>;
}

/** Creates the topics that do not exist yet (see {@link ensureTopics}), with a client of its own. */
export async function createTopics(config: RuntimeConfig, topics: TopicSpec[], logger?: Logger): Promise<void> {
  const admin = createKafka(config, logger).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics);
  } finally {
    await admin.disconnect();
  }
}

export async function runService<T>(def: ServiceDefinition<T>, opts: RunOptions = {}): Promise<RunningService> {
  const loaded = { ...(opts.runtimeConfig ?? loadRuntimeConfig(def.name, opts.env)), ...opts.config };
  const prefix = opts.topicPrefix ?? loaded.topicPrefix;
  const config: RuntimeConfig = { ...loaded, topicPrefix: prefix };
  const logger = opts.logger ?? createLogger(def.name, { level: config.logLevel, redact: def.redact });
  const prometheus = opts.metrics ? undefined : prometheusMetrics(def.name);
  const ctx: ServiceContext = { config, logger, metrics: opts.metrics ?? prometheus };
  const kafka = createKafka(config, logger);
  const codec = RegistryCodec.connect(config.registryUrl, def.schemaOf, config.registryCa);
  if (def.topics) await createTopics(config, def.topics(ctx), logger);
  const stage = createStage<T>({
    name: def.name,
    kafka,
    codec,
    inputTopics: def.inputTopics(ctx),
    handle: def.handler(ctx),
    onFailure: def.onFailure?.(ctx),
    raw: def.raw,
    transactions: config.transactions ?? def.transactions,
    tiers: config.tiers,
    logger,
    metrics: opts.metrics ?? prometheus,
    // A prefixed deployment (a test, a tenant) has its own consumer groups too.
    groupId: `${prefix}passerelle-${def.name}`,
  });
  const host = opts.httpHost ?? config.metricsHost;
  const port = opts.httpPort ?? config.metricsPort;
  // A server when a port is set, or when the caller gave a registry to serve (then on a free port).
  const server = port || opts.metricsText ? await serveHealth(port, host, stage, opts.metricsText ?? prometheus?.text) : null;
  await stage.start();
  return {
    name: def.name,
    stage,
    port: server ? (server.address() as { port: number }).port : 0,
    async stop() {
      await stage.stop();
      await def.close?.();
      // close() waits for open connections: a scraper's keep-alive one would hold it forever.
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function serveHealth(port: number, host: string, stage: Stage, metricsText?: () => Promise<string>): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (code: number, body: string, type = 'text/plain') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.url === '/livez') return send(stage.isLive() ? 200 : 503, stage.isLive() ? 'live\n' : 'consumer crashed\n');
    if (req.url === '/readyz') return send(stage.isReady() ? 200 : 503, stage.isReady() ? 'ready\n' : 'not in its group yet\n');
    if (req.url === '/metrics' && metricsText) {
      metricsText().then(
        (t) => send(200, t, 'text/plain; version=0.0.4'),
        () => send(500, 'metrics failed\n'),
      );
      return;
    }
    send(404, 'not found\n');
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

/** Stops the services on SIGTERM/SIGINT: finish the batch, commit, leave the group. */
export function stopOnSignals(services: RunningService[], logger: Logger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await Promise.all(services.map((s) => s.stop()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * The whole of a service's `main.ts`: load its configuration once from the environment (the runtime's, then the
 * service's own through `define`), run it, stop it on signals. A missing or bad setting stops it before anything
 * starts, with one line naming the variable and what it accepts, exit code 2; a failure once started (a broker that
 * does not answer) exits 1.
 */
export function runMain<T>(name: string, define: (env: NodeJS.ProcessEnv) => ServiceDefinition<T>): void {
  let config: RuntimeConfig;
  let def: ServiceDefinition<T>;
  try {
    config = loadRuntimeConfig(name, process.env);
    def = define(process.env);
  } catch (err) {
    // About configuration, never about a record: the message names the variable (never its value).
    const message = err instanceof Error ? err.message : String(err);
    createLogger(name).fatal(`${name} not started: ${message}`);
    process.exit(2);
  }
  const logger = createLogger(name, { level: config.logLevel, redact: def.redact });
  runService(def, { logger, runtimeConfig: config }).then(
    (service) => {
      stopOnSignals([service], logger);
      // On some errors kafkajs gives up for good (CRASH with restart: false): the process would live on without
      // consuming. Exit instead, so that the supervisor (systemd, Kubernetes) starts a fresh one.
      const live = setInterval(() => {
        if (service.stage.isLive()) return;
        clearInterval(live);
        logger.fatal(`${name}: consumer crashed for good, exiting`);
        void service.stop().finally(() => process.exit(1));
      }, 1_000);
      live.unref();
    },
    (err: unknown) => {
      // Start-up errors are about configuration and connectivity, never about a record: the message is safe.
      logger.fatal({ error: err instanceof Error ? err.message : String(err) }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
