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
