import { Agent as HttpsAgent } from 'node:https';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { PermanentError, TransientError } from './errors';

/**
 * The Confluent wire format (magic byte 0, 4-byte schema id, Avro body) over a Confluent-compatible registry.
 *
 * The registry library fetches and caches writer schemas; decoding is done here with the topic's own schema as the
 * reader (so an old record gets the defaults of fields added since) through a resolver cached per writer id: the
 * library would re-parse the reader schema for every message.
 */
/** The Avro schema of a topic's values (undefined: the topic has none). The runtime knows no topic: the caller tells. */
export type SchemaOf = (topic: string) => object | undefined;

/** The registry subject of a topic's values (Confluent's TopicNameStrategy). */
export const subjectOf = (topic: string): string => `${topic}-value`;

/** The largest scratch buffer an encoder keeps: a rarer, larger value is serialised into its own buffer. */
const MAX_SCRATCH = 4 * 1024 * 1024;

export class RegistryCodec {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly readers = new Map<string, avro.Type>();
  private readonly resolvers = new Map<string, { reader: avro.Type; resolver: avro.Resolver | null }>();
  private readonly writers = new Map<number, avro.Type>();
  /** Where {@link encode} serialises, grown (up to {@link MAX_SCRATCH}) to the largest value seen. */
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(
    readonly registry: SchemaRegistry,
    private readonly schemaOf: SchemaOf,
  ) {}

  /** `ca`: the CA certificates (PEM) to trust for an https registry instead of the system's (SCHEMA_REGISTRY_CA_FILE). */
  static connect(url: string, schemaOf: SchemaOf, ca?: string): RegistryCodec {
    const agent = ca !== undefined && url.startsWith('https:') ? new HttpsAgent({ ca, keepAlive: true }) : undefined;
    return new RegistryCodec(new SchemaRegistry({ host: url, clientId: 'passerelle', retry: { retries: 2 }, agent }), schemaOf);
  }

  private reader(topic: string): avro.Type {
    let t = this.readers.get(topic);
    if (!t) {
      const schema = this.schemaOf(topic);
      if (!schema) throw new PermanentError('NO_SCHEMA', `topic ${topic} has no Avro schema`);
      t = avro.Type.forSchema(schema as avro.Schema);
      this.readers.set(topic, t);
    }
    return t;
  }

  /** The schema id of a topic's value schema, registered under `<topic>-value` if absent. */
  schemaId(topic: string): Promise<number> {
    let id = this.ids.get(topic);
    if (!id) {
      const schema = this.schemaOf(topic);
      if (!schema) throw new PermanentError('NO_SCHEMA', `topic ${topic} has no Avro schema`);
      id = this.registry
        .register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: subjectOf(topic) })
        .then((r) => r.id)
        .catch((err: unknown) => {
          this.ids.delete(topic);
          throw registryError(err);
        });
      this.ids.set(topic, id);
    }
    return id;
  }

  /** Encodes a value for a topic (the schema is registered on first use). */
  async encode(topic: string, value: unknown): Promise<Buffer> {
    const id = await this.schemaId(topic);
    const type = this.reader(topic);
    // Serialised after the 5-byte header in the scratch buffer (nothing awaits from here on: no other encode can
    // interleave), then copied once. avsc's toBuffer serialised a value larger than its 1 KiB buffer twice, the second
    // time into a zero-filled one, and the header was joined by a third copy: ~7 % of the composer's CPU.
    let out: Buffer;
    try {
      const end = type.encode(value, this.scratch, 5);
      if (end >= 0) {
        out = Buffer.allocUnsafe(end);
        this.scratch.copy(out, 0, 0, end);
      } else {
        // Too large for the scratch: `-end` bytes were missing. Into a buffer of its exact size, which is the output.
        const size = this.scratch.length - end;
        out = Buffer.allocUnsafe(size);
        type.encode(value, out, 5);
        if (size <= MAX_SCRATCH) this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2));
      }
    } catch (err) {
      const paths: string[] = [];
      type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
      throw new PermanentError('OUTPUT_INVALID', `value for ${topic} does not match its schema at: ${paths.join(', ')}`, { cause: err });
    }
    out[0] = 0; // magic byte
    out.writeUInt32BE(id, 1);
    return out;
  }

  /** Decodes a record read from `topic`, resolving the writer's schema into the topic's reader schema. */
  async decode<T>(topic: string, buffer: Buffer | null): Promise<T> {
    if (!buffer || buffer.length < 5 || buffer[0] !== 0) {
      throw new PermanentError('NOT_AVRO', 'value is not in the Confluent Avro wire format (magic byte 0 + schema id)');
    }
    const id = buffer.readUInt32BE(1);
    const key = `${topic}#${id}`;
    let entry = this.resolvers.get(key);
    if (!entry) {
      const writer = await this.writer(id);
      const reader = this.reader(topic);
      let resolver: avro.Resolver | null = null;
      if (!reader.equals(writer)) {
        try {
          resolver = reader.createResolver(writer);
        } catch (err) {
          throw new PermanentError('SCHEMA_INCOMPATIBLE', `schema id ${id} cannot be read as ${topic}`, { cause: err });
        }
      }
      entry = { reader, resolver };
      this.resolvers.set(key, entry);
    }
    try {
      return entry.reader.fromBuffer(buffer.subarray(5), entry.resolver ?? undefined) as T;
    } catch (err) {
      throw new PermanentError('AVRO_DECODE', `body does not decode with schema id ${id}`, { cause: err });
    }
  }

  private async writer(id: number): Promise<avro.Type> {
    const cached = this.writers.get(id);
    if (cached) return cached;
    try {
      const schema = (await this.registry.getSchema(id)) as unknown as avro.Type;
      this.writers.set(id, schema);
      return schema;
    } catch (err) {
      throw registryError(err, id);
    }
  }
}

/**
 * What went wrong with a request of the registry client (@kafkajs/confluent-schema-registry over mappersmith), the one
 * place its errors are read: a connection that failed (refused, reset, timed out) comes as a "status 400" whose body
 * is the socket error's text (`<client> - Error, status 400: connect ECONNREFUSED 127.0.0.1:8081`), so no answer
 * at all is told from a real 400 by that text; an answer carries its HTTP status; an incompatible schema is the
 * library's own error.
 */
export type RegistryFailure =
  { kind: 'no-answer'; reason: string } | { kind: 'status'; status: number } | { kind: 'incompatible' } | { kind: 'unknown' };

// A Node socket error code (ECONNREFUSED, ETIMEDOUT…: upper case) or the texts of a dropped or timed-out request.
const SOCKET_ERROR = /\bE[A-Z]{4,}\b|socket hang up|[Tt]imeout/;

export function registryFailureOf(err: unknown): RegistryFailure {
  if (err instanceof Error && err.name === 'ConfluentSchemaRegistryCompatibilityError') return { kind: 'incompatible' };
  const status = (err as { status?: unknown } | null)?.status;
  const text = err instanceof Error ? err.message : String(err);
  const body = /Error, status \d{3}: (.*)$/s.exec(text)?.[1];
  if (typeof status !== 'number' || status === 400) {
    const reason = body ?? text;
    if (SOCKET_ERROR.test(reason)) return { kind: 'no-answer', reason };
  }
  return typeof status === 'number' ? { kind: 'status', status } : { kind: 'unknown' };
}

/** A 4xx from the registry is about the record (permanent); anything else means the registry is unavailable. */
export function registryError(err: unknown, id?: number): Error {
  const failure = registryFailureOf(err);
  if (failure.kind === 'status' && failure.status === 404) {
    return new PermanentError('UNKNOWN_SCHEMA', `schema id ${id ?? '?'} is not in the registry`, { cause: err });
  }
  if (failure.kind === 'incompatible' || (failure.kind === 'status' && failure.status >= 400 && failure.status < 500)) {
    const status = failure.kind === 'status' ? ` (status ${failure.status})` : ' (incompatible schema)';
    return new PermanentError('REGISTRY_REJECTED', `registry refused the request${status}`, { cause: err });
  }
  return new TransientError('REGISTRY_UNAVAILABLE', 'schema registry unavailable', { cause: err });
}
