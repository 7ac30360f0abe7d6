/**
 * The whole pipeline in one process (composer, signer, router, retrier, the dmp-gateway when a DMP is given and the
 * mss-gateway when an MSSanté operator is), for the demo, the end-to-end tests and the
 * load tool. In production each service runs on its own (`npm start -w @passerelle/<service>`); here they share a
 * process but nothing else: each has its own consumer group, producers and transactions.
 */
import { composerFromEnv } from '@passerelle/composer';
import { dmpGatewayFromEnv } from '@passerelle/dmp-gateway';
import { mssGatewayFromEnv } from '@passerelle/mss-gateway';
import { retrier } from '@passerelle/retrier';
import { routerFromEnv } from '@passerelle/router';
import { signerFromEnv } from '@passerelle/signer';
import { runService, type RunningService, type StageMetrics } from '@passerelle/kafka-runtime';
import type { Logger } from 'pino';
import { LOCAL_BROKERS, LOCAL_REGISTRY } from './local-stack';
import { topicNames, type TopicNames } from '@passerelle/pipeline';

export interface LocalPipelineOptions {
  keyStoreDir: string;
  trustDir: string;
  /** Prefix of every topic and consumer group ('' = the real names) */
  prefix?: string;
  /** Retry tiers, e.g. `2s,5s,10s` (short for demos and tests) */
  tiers?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  metrics?: (service: string) => StageMetrics | undefined;
  /** Deliver to a DMP (the simulator): its ITI-41 endpoint, its server CA (PEM file) and the AUTH_CLI directory */
  dmp?: { endpoint: string; serverCaFile: string; authDir: string };
  /**
   * Deliver to an MSSanté operator (the simulator): its SMTP host and port, the name its certificate carries, its
   * server CA (PEM file) and the AUTH_CLI directory
   */
  mss?: { host: string; port: number; servername?: string; serverCaFile: string; authDir: string };
}

/**
 * Settings of a local, test-platform deployment: the local stack's addresses unless the environment names others (the
 * tests' stack), test INS OIDs accepted, an XDS source id that is a UUID-based OID (`2.25.…`, no registration
 * needed), a demo product reference for X-MSS-NIL.
 */
export function localEnv(opts: LocalPipelineOptions): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: LOCAL_BROKERS,
    SCHEMA_REGISTRY_URL: LOCAL_REGISTRY,
    PASSERELLE_TEST_PLATFORM: 'true',
    PASSERELLE_KEYSTORE_DIR: opts.keyStoreDir,
    PASSERELLE_TRUST_DIR: opts.trustDir,
    PASSERELLE_RETRY_TIERS: opts.tiers ?? '2s,5s,10s',
    PASSERELLE_XDS_SOURCE_ID: '2.25.329800735698586629295641978511506172918',
    PASSERELLE_MSS_PRODUCT_REFERENCE: 'PASSERELLE-DEMO-0.1',
    PASSERELLE_VENDOR_NAME: 'Passerelle (démonstration)',
    ...(opts.dmp
      ? {
          PASSERELLE_DMP_ENDPOINT: opts.dmp.endpoint,
          PASSERELLE_DMP_SERVER_CA: opts.dmp.serverCaFile,
          PASSERELLE_AUTH_DIR: opts.dmp.authDir,
          PASSERELLE_LPS_ID: 'PASSERELLE-DEMO',
          PASSERELLE_DMP_TIMEOUT_MS: '10000',
          PASSERELLE_DMP_BREAKER_OPEN_MS: '2000',
        }
      : {}),
    ...(opts.mss
      ? {
          PASSERELLE_MSS_SMTP_HOST: opts.mss.host,
          PASSERELLE_MSS_SMTP_PORT: String(opts.mss.port),
          ...(opts.mss.servername ? { PASSERELLE_MSS_SMTP_SERVERNAME: opts.mss.servername } : {}),
          PASSERELLE_MSS_SERVER_CA: opts.mss.serverCaFile,
          PASSERELLE_AUTH_DIR: opts.mss.authDir,
          PASSERELLE_MSS_CONNECT_TIMEOUT_MS: '5000',
          PASSERELLE_MSS_SOCKET_TIMEOUT_MS: '10000',
          PASSERELLE_MSS_BREAKER_OPEN_MS: '2000',
        }
      : {}),
    ...process.env,
    ...opts.env,
  };
}

export interface LocalPipeline {
  topics: TopicNames;
  services: RunningService[];
  stop(): Promise<void>;
}

export async function startLocalPipeline(opts: LocalPipelineOptions): Promise<LocalPipeline> {
  const env = localEnv(opts);
  const prefix = opts.prefix ?? '';
  const definitions = [
    composerFromEnv(env),
    signerFromEnv(env),
    routerFromEnv(env),
    retrier,
    ...(opts.dmp ? [dmpGatewayFromEnv(env)] : []),
    ...(opts.mss ? [mssGatewayFromEnv(env)] : []),
  ];
  const services: RunningService[] = [];
  for (const def of definitions) {
    services.push(await runService(def as never, { env, topicPrefix: prefix, logger: opts.logger, metrics: opts.metrics?.(def.name) }));
  }
  return {
    topics: topicNames(prefix),
    services,
    async stop() {
      await Promise.all(services.map((s) => s.stop()));
    },
  };
}
