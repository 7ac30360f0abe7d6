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

export class RegistryCodec {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly readers = new Map<string, avro.Type>();
  private readonly resolvers = new Map<string, { reader: avro.Type; resolver: avro.Resolver | null }>();
  private readonly writers = new Map<number, avro.Type>();

  constructor(
    readonly registry: SchemaRegistry,
    private readonly schemaOf: SchemaOf,
  ) {}

  static connect(url: string, schemaOf: SchemaOf): RegistryCodec {
    return new RegistryCodec(new SchemaRegistry({ host: url, clientId: 'passerelle', retry: { retries: 2 } }), schemaOf);
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
    let body: Buffer;
    try {
      body = type.toBuffer(value);
    } catch (err) {
      const paths: string[] = [];
      type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
      throw new PermanentError('OUTPUT_INVALID', `value for ${topic} does not match its schema at: ${paths.join(', ')}`, { cause: err });
    }
    const header = Buffer.alloc(5);
    header.writeUInt32BE(id, 1);
    return Buffer.concat([header, body]);
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

/** Network failures, which the registry client (mappersmith) reports as a "status 400" carrying the socket error. */
const NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|timeout/i;

/** A 4xx from the registry is about the record (permanent); anything else means the registry is unavailable. */
export function registryError(err: unknown, id?: number): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (NETWORK.test(text)) return new TransientError('REGISTRY_UNAVAILABLE', 'schema registry unavailable', { cause: err });
  const status = (err as { status?: number }).status ?? Number(/status (\d{3})/.exec(text)?.[1] ?? NaN);
  if (status === 404) return new PermanentError('UNKNOWN_SCHEMA', `schema id ${id ?? '?'} is not in the registry`, { cause: err });
  if (status >= 400 && status < 500) return new PermanentError('REGISTRY_REJECTED', `registry refused the request (status ${status})`, { cause: err });
  return new TransientError('REGISTRY_UNAVAILABLE', 'schema registry unavailable', { cause: err });
}
