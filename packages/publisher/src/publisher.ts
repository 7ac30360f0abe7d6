import { Agent as HttpsAgent } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConfigError } from '@passerelle/errors';
import { consoleLogger, kafkajsLogCreator, registryFailureOf } from '@passerelle/kafka-runtime';
import { subjectOf, topicSchemas, type EventTopic } from '@passerelle/schemas';
import {
  Kafka,
  KafkaJSError,
  KafkaJSProtocolError,
  logLevel as KafkaLogLevel,
  Partitioners,
  type ICustomPartitioner,
  type Message,
  type Producer,
  type RecordMetadata,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import {
  BrokerUnavailableError,
  InvalidEventError,
  PublishRejectedError,
  RegistryUnavailableError,
  SchemaRejectedError,
  type Violation,
} from './errors';
import { eventKey, type KeySource } from './event-key';
import { isTraceparent, newTraceparent } from './trace-context';
import { checkEvent, topicForEvent } from './validate-event';

/** Header names on every record. Only identifiers chosen by software, never personal data. */
export const HEADERS = {
  eventId: 'event-id',
  traceparent: 'traceparent',
  contentType: 'content-type',
} as const;

/** Values are Avro in the Confluent wire format: magic byte 0, 4-byte schema id, Avro binary body. */
export const CONTENT_TYPE = 'application/vnd.confluent.avro';

export interface PublisherOptions {
  /** `host:port`, one or several (comma-separated in a string). */
  brokers: string | string[];
  /** Base URL of a Confluent-compatible registry API, e.g. `http://127.0.0.1:18081/apis/ccompat/v7`. */
  registryUrl: string;
  registryAuth?: { username: string; password: string };
  /** The CA certificates (PEM) to trust for an https registry, instead of the system's. */
  registryCa?: string;
  clientId?: string;
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
  /** Accept the INS test and demo OIDs (test platforms only). Default false. */
  testPlatform?: boolean;
  /**
   * Prefix of every topic name of a deployment or a test (`PASSERELLE_TOPIC_PREFIX`, e.g. `t42.`): events go to
   * `<prefix><family topic>`. Default ''.
   */
  topicPrefix?: string;
  /**
   * The Kafka topic of an event family, when it is not `<topicPrefix><family topic>` (a test's private topic).
   * The registry subject always follows the Kafka topic: `<topic>-value` (TopicNameStrategy).
   */
  topicNames?: Partial<Record<EventTopic, string>>;
  /**
   * Makes the record key an HMAC (see {@link eventKey}): required outside a test platform, at least
   * {@link MIN_KEY_SECRET_BYTES} bytes, the same for every publisher of a deployment (read it from a file).
   */
  keySecret?: string | Buffer;
  /** Register an event schema that the registry does not hold yet. Default true; false = look up only. */
  autoRegister?: boolean;
  /** Per TCP connection attempt to a broker. Default 3 000 ms. */
  connectionTimeoutMs?: number;
  /** Attempts after the first when connecting to the cluster. Default 2 (about 5 s in all on a closed port). */
  connectRetries?: number;
  /** Longest wait for the broker to acknowledge one `publish`/batch. Default 30 000 ms. */
  publishTimeoutMs?: number;
  /** Longest wait for the registry when resolving a schema id. Default 10 000 ms. */
  registryTimeoutMs?: number;
  /** Records per produce request in `publishMany`. Default 500. */
  batchSize?: number;
  /** kafkajs log level. Default WARN. */
  logLevel?: KafkaLogLevel;
  /** Where kafkajs's log lines go (pino). Default: readable lines on stderr, warn and above. */
  logger?: Logger;
}

export interface PublishOptions {
  /** Continue the caller's trace instead of starting one (W3C `traceparent`). */
  traceparent?: string;
}

export interface PublishResult {
  /** The Kafka topic the record was produced to. */
  topic: string;
  /** The event's family topic (its schema). */
  eventTopic: EventTopic;
  partition: number;
  /** Offset of the record (an int64, as a decimal string). */
  offset: string;
  schemaId: number;
  key: string;
  eventId: string;
  traceparent: string;
}

export interface BatchItem {
  event: unknown;
  /** Defaults to the topic the body tells ({@link topicForEvent}). */
  topic?: EventTopic;
  traceparent?: string;
}

export interface Publisher {
  /** Validates, resolves the schema id, encodes and produces one event. Nothing is produced if it is invalid. */
  publish(topic: EventTopic, event: unknown, options?: PublishOptions): Promise<PublishResult>;
  /**
   * Validates every event first (one invalid event: none is produced, and the error lists each by index), then
   * produces them in batches; results are in input order.
   */
  publishMany(items: BatchItem[]): Promise<PublishResult[]>;
  /** Disconnects the producer. The publisher may not be used afterwards. */
  close(): Promise<void>;
}

/** The producer settings the publisher runs with (exported so that tests can assert them). */
export const PRODUCER_SETTINGS = {
  // Idempotence: the broker drops duplicates of a retried batch (producer id + sequence numbers). kafkajs requires
  // acks=-1 for it and keeps retrying sends (retries = MAX_SAFE_INTEGER) so as not to break the sequence.
  idempotent: true,
  acks: -1,
  // One request in flight per broker connection: a retried batch can never overtake the next one, so one
  // patient's events keep their order even across retries.
  maxInFlightRequests: 1,
} as const;

const DEFAULT_BATCH = 500;

/** The shortest key secret accepted: 256 bits, as many as the HMAC's hash. */
export const MIN_KEY_SECRET_BYTES = 32;

/**
 * Outside a test platform the record key must be an HMAC: a plain SHA-256 of the FINESS and the local patient id was
 * reversed to the local id in 43 guesses (local ids are often counters). On a test platform a plain hash stays
 * allowed, for the samples and the demo.
 */
function checkKeySecret(options: Pick<PublisherOptions, 'keySecret' | 'testPlatform'>): void {
  if (options.testPlatform) return;
  const secret = options.keySecret;
  if (secret === undefined || secret.length === 0) {
    throw new ConfigError(
      'keySecret',
      'is required outside a test platform (PASSERELLE_KEY_SECRET_FILE for the command): without it a record key is a plain hash of the FINESS and the local patient id, which trying local ids reverses',
    );
  }
  if (Buffer.byteLength(secret) < MIN_KEY_SECRET_BYTES) {
    throw new ConfigError('keySecret', `must be at least ${MIN_KEY_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 48\`)`);
  }
}

/** Wraps kafkajs's default (Java-compatible murmur2) partitioner to remember which partition each record got, so
 * that a batch's per-partition base offsets can be turned into per-record offsets. */
function recordingPartitioner(assigned: WeakMap<object, number>): ICustomPartitioner {
  return () => {
    const partition = Partitioners.DefaultPartitioner();
    return (args) => {
      const p = partition(args);
      assigned.set(args.message, p);
      return p;
    };
  };
}

function withDeadline<T>(ms: number, work: Promise<T>, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const causeText = (err: unknown): string => {
  const e = err as { message?: unknown; cause?: { message?: unknown } };
  const inner = typeof e?.cause?.message === 'string' ? e.cause.message : undefined;
  const outer = typeof e?.message === 'string' ? e.message : String(err);
  return inner && inner !== outer ? `${outer} (${inner})` : outer;
};

/**
 * The publisher's error for a failed schema lookup or registration of `topic` under `subject`: unreachable (no answer,
 * or a server error) is transient; a 4xx or an incompatible schema is permanent.
 */
export function registryFailure(err: unknown, registryUrl: string, topic: string, subject: string): Error {
  if (err instanceof RegistryUnavailableError || err instanceof SchemaRejectedError) return err;
  const failure = registryFailureOf(err);
  switch (failure.kind) {
    case 'no-answer':
      return new RegistryUnavailableError(`Schema registry unreachable at ${registryUrl}: ${failure.reason}`, { cause: err });
    case 'incompatible':
      return new SchemaRejectedError(`Schema registry subject ${subject}: ${(err as Error).message}`, { cause: err });
    case 'status':
      return failure.status >= 400 && failure.status < 500
        ? new SchemaRejectedError(`Schema registry refused the schema of ${topic} (HTTP ${failure.status}): ${causeText(err)}`, {
            cause: err,
          })
        : new RegistryUnavailableError(`Schema registry at ${registryUrl} failed (HTTP ${failure.status}): ${causeText(err)}`, {
            cause: err,
          });
    default:
      return new RegistryUnavailableError(`Schema registry unreachable at ${registryUrl}: ${causeText(err)}`, { cause: err });
  }
}

/**
 * Creates a publisher for LGO events: validation against the topic's Avro schema and the pipeline's rules, schema
 * id from the registry (registered when absent), Confluent wire format, idempotent producer, key without personal
 * data, headers `event-id`, `traceparent`, `content-type`. A broker that does not answer fails with
 * {@link BrokerUnavailableError} within `connectRetries` × `connectionTimeoutMs` and a few seconds of backoff.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const brokers = (Array.isArray(options.brokers) ? options.brokers : options.brokers.split(',')).map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new BrokerUnavailableError('No Kafka broker address given');
  checkKeySecret(options);
  const brokerText = brokers.join(',');
  const clientId = options.clientId ?? 'passerelle-publisher';
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const registryTimeoutMs = options.registryTimeoutMs ?? 10_000;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const validateOptions = { testPlatform: options.testPlatform ?? false };

  const kafka = new Kafka({
    clientId,
    brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: Math.min(publishTimeoutMs, 30_000),
    // Bounds connecting and metadata requests, so that a dead broker is reported in seconds, not minutes.
    retry: { retries: options.connectRetries ?? 2, initialRetryTime: 300, maxRetryTime: 2_000 },
    logLevel: options.logLevel ?? KafkaLogLevel.WARN,
    logCreator: kafkajsLogCreator(options.logger ?? consoleLogger(clientId)),
  });
  const assigned = new WeakMap<object, number>();
  const producer: Producer = kafka.producer({
    idempotent: PRODUCER_SETTINGS.idempotent,
    maxInFlightRequests: PRODUCER_SETTINGS.maxInFlightRequests,
    // kafkajs merges the client's bounded retry into the producer's; an idempotent producer must keep retrying a
    // send (a gap in its sequence numbers would break exactly-once), so the send retries are unbounded and
    // `publishTimeoutMs` bounds the wait instead.
    retry: { retries: Number.MAX_SAFE_INTEGER },
    createPartitioner: recordingPartitioner(assigned),
  });

  const registry = new SchemaRegistry({
    host: options.registryUrl.replace(/\/+$/, ''),
    clientId,
    auth: options.registryAuth,
    retry: { retries: 2, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
    agent: options.registryCa !== undefined ? new HttpsAgent({ ca: options.registryCa, keepAlive: true }) : undefined,
  });

  let connected: Promise<void> | undefined;
  let closed = false;
  const schemaIds = new Map<EventTopic, Promise<number>>();
  const kafkaTopic = (topic: EventTopic): string => options.topicNames?.[topic] ?? `${options.topicPrefix ?? ''}${topic}`;

  function connect(): Promise<void> {
    if (closed) return Promise.reject(new BrokerUnavailableError('The publisher is closed'));
    connected ??= producer.connect().catch((err: unknown) => {
      connected = undefined;
      throw new BrokerUnavailableError(`Kafka broker unreachable at ${brokerText}: ${causeText(err)}`, { cause: err });
    });
    return connected;
  }

  async function lookupOrRegister(topic: EventTopic): Promise<number> {
    const subject = subjectOf(kafkaTopic(topic));
    const schema = { type: SchemaType.AVRO, schema: JSON.stringify(topicSchemas[topic].schema) } as const;
    try {
      return await registry.getRegistryIdBySchema(subject, schema);
    } catch (err) {
      // The library turns a 404 (the subject, or this schema under it, is not there yet) into its own
      // ConfluentSchemaRegistryError (not exported, and without the status); anything else is rethrown as is.
      if (!(err instanceof Error && err.name === 'ConfluentSchemaRegistryError')) throw err;
      if (options.autoRegister === false) {
        throw new SchemaRejectedError(`Schema of ${topic} is not registered under ${subject} and auto-registration is off`);
      }
    }
    // The registry library registers under the subject and, for a new subject, sets BACKWARD compatibility.
    const { id } = await registry.register(schema, { subject });
    return id;
  }

  function schemaId(topic: EventTopic): Promise<number> {
    let id = schemaIds.get(topic);
    if (!id) {
      id = withDeadline(
        registryTimeoutMs,
        lookupOrRegister(topic),
        () => new RegistryUnavailableError(`Schema registry at ${options.registryUrl} did not answer within ${registryTimeoutMs} ms`),
      ).catch((err: unknown) => {
        schemaIds.delete(topic);
        throw registryFailure(err, options.registryUrl, topic, subjectOf(kafkaTopic(topic)));
      });
      schemaIds.set(topic, id);
    }
    return id;
  }

  interface Prepared {
    topic: EventTopic;
    kafkaTopic: string;
    message: Message;
    schemaId: number;
    key: string;
    eventId: string;
    traceparent: string;
  }

  /** Every problem of one item: the event's, and a caller's traceparent that is not one. */
  function violationsOf(topic: EventTopic, event: unknown, traceparent: string | undefined): Violation[] {
    const violations = checkEvent(topic, event, validateOptions);
    if (traceparent !== undefined && !isTraceparent(traceparent)) {
      violations.push({ path: '(traceparent)', rule: 'must be a W3C traceparent 00-<32 hex>-<16 hex>-<2 hex>' });
    }
    return violations;
  }

  /** Encodes an event that passed {@link violationsOf} (so its required fields are there and typed). */
  async function prepare(topic: EventTopic, event: unknown, traceparent: string | undefined): Promise<Prepared> {
    const valid = event as KeySource & { eventId: string };
    const id = await schemaId(topic);
    // Avro fills the defaults of fields the LGO left out as it writes.
    const value = await registry.encode(id, valid);
    const key = eventKey(valid, options.keySecret);
    const tp = traceparent ?? newTraceparent();
    return {
      topic,
      kafkaTopic: kafkaTopic(topic),
      schemaId: id,
      key,
      eventId: valid.eventId,
      traceparent: tp,
      message: {
        key,
        value,
        headers: { [HEADERS.eventId]: valid.eventId, [HEADERS.traceparent]: tp, [HEADERS.contentType]: CONTENT_TYPE },
      },
    };
  }

  /** Produces prepared records in one request and gives each its partition and offset. */
  async function produce(batch: Prepared[]): Promise<PublishResult[]> {
    await connect();
    const byTopic = new Map<string, Prepared[]>();
    for (const p of batch) byTopic.set(p.kafkaTopic, [...(byTopic.get(p.kafkaTopic) ?? []), p]);
    let metadata: RecordMetadata[];
    try {
      metadata = await withDeadline(
        publishTimeoutMs,
        producer.sendBatch({
          acks: PRODUCER_SETTINGS.acks,
          topicMessages: [...byTopic].map(([topic, items]) => ({ topic, messages: items.map((p) => p.message) })),
        }),
        () => new BrokerUnavailableError(`Kafka broker at ${brokerText} did not acknowledge within ${publishTimeoutMs} ms`),
      );
    } catch (err) {
      if (err instanceof BrokerUnavailableError) {
        // Stop kafkajs from retrying in the background: the caller is told the publication failed.
        connected = undefined;
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
      if (err instanceof KafkaJSProtocolError && !err.retriable) {
        throw new PublishRejectedError(`Kafka refused the records: ${causeText(err)}`, { cause: err });
      }
      if (err instanceof KafkaJSError && (err.retriable || err.name === 'KafkaJSNumberOfRetriesExceeded')) {
        throw new BrokerUnavailableError(`Kafka broker at ${brokerText} failed: ${causeText(err)}`, { cause: err });
      }
      throw new PublishRejectedError(`Kafka refused the records: ${causeText(err)}`, { cause: err });
    }
    // Within a partition, a batch's records get consecutive offsets from the base offset, in the order sent.
    const base = new Map(metadata.map((m) => [`${m.topicName}\u0000${m.partition}`, BigInt(m.baseOffset ?? m.offset ?? '0')]));
    const rank = new Map<string, bigint>();
    return batch.map((p) => {
      const partition = assigned.get(p.message);
      if (partition === undefined) throw new PublishRejectedError(`No partition recorded for a record of ${p.kafkaTopic}`);
      const slot = `${p.kafkaTopic}\u0000${partition}`;
      const n = rank.get(slot) ?? 0n;
      rank.set(slot, n + 1n);
      const offset = (base.get(slot) ?? -1n) + n;
      return {
        topic: p.kafkaTopic,
        eventTopic: p.topic,
        partition,
        offset: offset.toString(),
        schemaId: p.schemaId,
        key: p.key,
        eventId: p.eventId,
        traceparent: p.traceparent,
      };
    });
  }

  return {
    async publish(topic, event, publishOptions = {}) {
      const violations = violationsOf(topic, event, publishOptions.traceparent);
      if (violations.length > 0) throw new InvalidEventError(violations, topic);
      const prepared = await prepare(topic, event, publishOptions.traceparent);
      const [result] = await produce([prepared]);
      if (!result) throw new PublishRejectedError(`No acknowledgement for the record of ${topic}`);
      return result;
    },

    async publishMany(items) {
      // Validate everything before producing anything, so that one bad event stops the whole batch.
      const violations: Violation[] = [];
      const topics = items.map((item, index) => {
        try {
          const topic = item.topic ?? topicForEvent(item.event);
          violations.push(...violationsOf(topic, item.event, item.traceparent).map((v) => ({ ...v, index })));
          return topic;
        } catch (err) {
          if (!(err instanceof InvalidEventError)) throw err;
          violations.push(...err.violations.map((v) => ({ ...v, index })));
          return undefined;
        }
      });
      if (violations.length > 0) throw new InvalidEventError(violations);
      const results: PublishResult[] = [];
      for (let start = 0; start < items.length; start += batchSize) {
        const chunk = items.slice(start, start + batchSize);
        const prepared = await Promise.all(chunk.map((item, i) => prepare(topics[start + i] as EventTopic, item.event, item.traceparent)));
        results.push(...(await produce(prepared)));
      }
      return results;
    },

    async close() {
      closed = true;
      if (connected) {
        connected = undefined;
        await producer.disconnect();
      }
    },
  };
}
