import {
  consoleLogger,
  createLogger,
  createTopics,
  RegistryCodec,
  type Failure,
  type HandlerResult,
  type InputRecord,
  type LogLevel,
  type OutputRecord,
  type RuntimeConfig,
  type ServiceContext,
  type ServiceDefinition,
} from '@passerelle/kafka-runtime';
import { PERSONAL_DATA_FIELDS, schemaOfTopic, type StageName } from '@passerelle/schemas';
import type pino from 'pino';
import type { Logger } from 'pino';
import { stageInputs, topicNames, topicsToCreate, type TopicNames } from './topology';

/** What a stage's handler is given: the runtime's context and the deployment's topic names. */
export interface StageContext extends ServiceContext {
  topics: TopicNames;
}

export interface StageParts<T> {
  handler: (record: InputRecord<T>) => Promise<HandlerResult> | HandlerResult;
  onFailure?: (failure: Failure<T>) => OutputRecord[];
}

/**
 * The stages whose transactions are `shared` (one for the chunks of every input partition in hand, KIP-447): the
 * CPU-bound ones, which read many partitions (the composer 18) and whose transactions, one per partition's chunk,
 * carried 2-5 records each at 250 documents/s for ~2.7 ms of client CPU apiece. The gateways keep a transaction per
 * partition (a chunk waits on its destination: a shared transaction would wait for the slowest), and the retrier too
 * (a handful of records an hour).
 */
export const SHARED_TRANSACTION_STAGES: ReadonlySet<StageName> = new Set<StageName>(['composer', 'signer', 'router']);

/**
 * A stage of the catalogue as a service the runtime runs: it reads the catalogue's inputs for the stage, creates
 * every topic of the deployment when missing, encodes with the topics' Avro schemas and never logs the catalogue's
 * personal-data fields. `build` gives the stage's handler (and its failure statuses) for the deployment's topics.
 */
export function pipelineService<T>(
  stage: StageName,
  build: (ctx: StageContext) => StageParts<T>,
  options: { raw?: boolean; close?: () => void | Promise<void> } = {},
): ServiceDefinition<T> {
  const parts = new WeakMap<ServiceContext, StageParts<T>>();
  const partsOf = (ctx: ServiceContext): StageParts<T> => {
    let p = parts.get(ctx);
    if (!p) {
      p = build({ ...ctx, topics: topicNames(ctx.config.topicPrefix) });
      parts.set(ctx, p);
    }
    return p;
  };
  const onFailure = (ctx: ServiceContext) => partsOf(ctx).onFailure ?? (() => []);
  return {
    name: stage,
    raw: options.raw,
    transactions: SHARED_TRANSACTION_STAGES.has(stage) ? 'shared' : 'per-partition',
    close: options.close,
    schemaOf: schemaOfTopic,
    redact: PERSONAL_DATA_FIELDS,
    inputTopics: (ctx) => stageInputs(stage, topicNames(ctx.config.topicPrefix), ctx.config.tiers),
    topics: (ctx) => topicsToCreate(topicNames(ctx.config.topicPrefix), ctx.config.tiers),
    handler: (ctx) => partsOf(ctx).handler,
    onFailure,
  };
}

/** The codec of the pipeline's topics (each topic's Avro schema from `schemas/avro`). */
export const pipelineCodec = (registryUrl: string, ca?: string): RegistryCodec => RegistryCodec.connect(registryUrl, schemaOfTopic, ca);

/** Creates the deployment's topics that are missing (what every service does at start). */
export async function ensurePipelineTopics(config: RuntimeConfig, topics: TopicNames, logger?: Logger, partitions = 6): Promise<void> {
  await createTopics(config, topicsToCreate(topics, config.tiers, partitions), logger);
}

/** A JSON logger that never writes the catalogue's personal-data fields. */
export const pipelineLogger = (name: string, options: { destination?: pino.DestinationStream; level?: LogLevel } = {}): Logger =>
  createLogger(name, { ...options, redact: PERSONAL_DATA_FIELDS });

/** The logger of commands (readable lines on stderr, warn and above), with the same redaction. */
export const commandLogger = (name: string, level?: string): Logger => consoleLogger(name, { level, redact: PERSONAL_DATA_FIELDS });
