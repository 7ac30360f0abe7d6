import { PasserelleError, type ErrorClass } from '@passerelle/errors';
import type { EventTopic } from './catalogue';
import { EVENT_TOPICS, subjectOf, topicSchemas } from './topics';

/**
 * Registration of the LGO event schemas in a Confluent-compatible registry (Apicurio's /apis/ccompat/v7 or
 * Confluent's own), over its REST API: `PUT /config/<subject>` then `POST /subjects/<subject>/versions`.
 */

/** Why a registration failed: `code` is stable, the message names the subject and the registry's answer. */
export class SchemaRegistrationError extends PasserelleError {
  override readonly name = 'SchemaRegistrationError';
  /** An unreachable registry may come back; a refusal stays a refusal. */
  readonly errorClass: ErrorClass;
  constructor(
    readonly code: 'REGISTRY_UNREACHABLE' | 'SCHEMA_INCOMPATIBLE' | 'REGISTRY_REFUSED',
    readonly subject: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.errorClass = code === 'REGISTRY_UNREACHABLE' ? 'transient' : 'permanent';
  }
}

export type CompatibilityLevel =
  'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

export interface RegistrationOptions {
  /** Prefix of every topic name of a deployment or a test (`PASSERELLE_TOPIC_PREFIX`), '' by default. */
  topicPrefix?: string;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

async function call(url: string, method: 'PUT' | 'POST', body: unknown, subject: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { 'Content-Type': CONTENT_TYPE, Accept: CONTENT_TYPE },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // fetch's TypeError("fetch failed") carries the reason (ECONNREFUSED, a timeout…) in `cause`. Duck-typed:
    // under Jest, errors from Node's fetch come from another realm and fail `instanceof Error`.
    const { message, cause } = error as { message?: unknown; cause?: { message?: unknown } };
    const reason = typeof cause?.message === 'string' ? cause.message : String(message ?? error);
    throw new SchemaRegistrationError('REGISTRY_UNREACHABLE', subject, `${method} ${url}: registry unreachable (${reason})`);
  }
  const text = await response.text();
  if (!response.ok) {
    // Confluent's error body: { error_code, message }; the message is about the schema, never about event data.
    let detail = text;
    try {
      detail = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    const code = response.status === 409 ? 'SCHEMA_INCOMPATIBLE' : 'REGISTRY_REFUSED';
    throw new SchemaRegistrationError(code, subject, `${method} ${url}: ${response.status} ${detail}`, response.status);
  }
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Sets the compatibility level of one subject (`PUT /config/<subject>`). Works before the subject's first
 * version, so the rule applies from the first registration on.
 */
export async function setSubjectCompatibility(
  registryUrl: string,
  subject: string,
  level: CompatibilityLevel,
  timeoutMs = 10_000,
): Promise<void> {
  const base = registryUrl.replace(/\/+$/, '');
  await call(`${base}/config/${encodeURIComponent(subject)}`, 'PUT', { compatibility: level }, subject, timeoutMs);
}

/**
 * Registers an Avro schema under a subject (`POST /subjects/<subject>/versions`) and returns its id. Registering
 * a schema already there returns its existing id; a schema the subject's compatibility rule refuses throws
 * {@link SchemaRegistrationError} with code `SCHEMA_INCOMPATIBLE`.
 */
export async function registerAvroSchema(
  registryUrl: string,
  subject: string,
  schema: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<number> {
  const base = registryUrl.replace(/\/+$/, '');
  // schemaType is left out for Avro, as Confluent's own clients do (older registries reject the field).
  const answer = await call(
    `${base}/subjects/${encodeURIComponent(subject)}/versions`,
    'POST',
    { schema: JSON.stringify(schema) },
    subject,
    timeoutMs,
  );
  const id = (answer as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'number') {
    throw new SchemaRegistrationError('REGISTRY_REFUSED', subject, `registry answered without a schema id for ${subject}`);
  }
  return id;
}

/**
 * Registers each LGO event topic's value schema under `<prefix><topic>-value` (TopicNameStrategy), with BACKWARD
 * compatibility set on the subject first: consumers on a new schema version can read every event already written,
 * so a schema change can only add fields with defaults (or remove fields). Idempotent. Returns the schema ids by
 * topic (unprefixed).
 */
export async function registerEventSchemas(registryUrl: string, options: RegistrationOptions = {}): Promise<Record<EventTopic, number>> {
  const { topicPrefix = '', timeoutMs = 10_000 } = options;
  const ids = {} as Record<EventTopic, number>;
  for (const topic of Object.values(EVENT_TOPICS)) {
    const subject = subjectOf(`${topicPrefix}${topic}`);
    await setSubjectCompatibility(registryUrl, subject, 'BACKWARD', timeoutMs);
    ids[topic] = await registerAvroSchema(registryUrl, subject, topicSchemas[topic].schema, timeoutMs);
  }
  return ids;
}
