import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { testStack, uniqueName } from '../support/stack';

/**
 * @kafkajs/confluent-schema-registry (3.9, the line that runs on Node 20) against the stack's registry (Apicurio's
 * Confluent-compatible API): register, encode, decode, and schema evolution under BACKWARD compatibility.
 * Each run uses its own subject.
 */
const { registryUrl } = testStack();
const registry = new SchemaRegistry({ host: registryUrl, clientId: 'passerelle-test', retry: { retries: 1 } });

const v1 = {
  type: 'record' as const,
  name: 'Probe',
  namespace: 'fr.passerelle.test',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'quantity', type: 'int' },
  ],
};
// Compatible: a new optional field with a default, which a v2 reader fills in for events written with v1.
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
// Incompatible under BACKWARD: a v3 reader could not fill a required field that v1/v2 events do not carry…
const requiredWithoutDefault = { ...v2, fields: [...v2.fields, { name: 'lot', type: 'string' }] };
// …nor read an int where it expects a string.
const typeChange = { ...v2, fields: [{ name: 'eventId', type: 'string' }, { name: 'quantity', type: 'string' }, v2.fields[2]] };

const avro = (schema: object) => ({ type: SchemaType.AVRO as const, schema: JSON.stringify(schema) });

async function versions(subject: string): Promise<number[]> {
  const res = await fetch(`${registryUrl}/subjects/${subject}/versions`);
  expect(res.status).toBe(200);
  return (await res.json()) as number[];
}

describe('schema registry (Confluent API) with @kafkajs/confluent-schema-registry', () => {
  const subject = `${uniqueName('passerelle.registry-probe')}-value`;
  let v1Id: number;
  let writtenWithV1: Buffer;

  it('registers a schema (setting BACKWARD on a new subject), encodes and decodes in the Confluent wire format', async () => {
    ({ id: v1Id } = await registry.register(avro(v1), { subject }));
    expect(v1Id).toBeGreaterThan(0);
    const config = await (await fetch(`${registryUrl}/config/${subject}`)).json();
    expect(config).toEqual({ compatibilityLevel: 'BACKWARD' });

    writtenWithV1 = await registry.encode(v1Id, { eventId: 'e-1', quantity: 3 });
    // Magic byte 0, then the schema id as a 4-byte big-endian integer, then the Avro body.
    expect(writtenWithV1[0]).toBe(0);
    expect(writtenWithV1.readInt32BE(1)).toBe(v1Id);
    // A fresh client (no cache) fetches the writer's schema from the registry by id.
    const fresh = new SchemaRegistry({ host: registryUrl, clientId: 'passerelle-test' });
    expect(await fresh.decode(writtenWithV1)).toEqual({ eventId: 'e-1', quantity: 3 });
    expect(await fresh.getLatestSchemaId(subject)).toBe(v1Id);
  });

  it('accepts a compatible change, and an event written with v1 still decodes (as v1, and as v2 with the default)', async () => {
    const { id: v2Id } = await registry.register(avro(v2), { subject });
    expect(v2Id).not.toBe(v1Id);
    expect(await versions(subject)).toEqual([1, 2]);

    const fresh = new SchemaRegistry({ host: registryUrl, clientId: 'passerelle-test' });
    expect(await fresh.decode(writtenWithV1)).toEqual({ eventId: 'e-1', quantity: 3 });
    const asV2 = await fresh.decode(writtenWithV1, { [SchemaType.AVRO]: { readerSchema: v2 } });
    expect(asV2).toEqual({ eventId: 'e-1', quantity: 3, note: null });
    const writtenWithV2 = await fresh.encode(v2Id, { eventId: 'e-2', quantity: 1, note: 'rappel' });
    expect(await fresh.decode(writtenWithV2)).toEqual({ eventId: 'e-2', quantity: 1, note: 'rappel' });
  });

  it.each([
    ['a new required field without default', requiredWithoutDefault],
    ['a type change', typeChange],
  ])('refuses an incompatible change: %s (409, nothing registered)', async (_label, schema) => {
    const error = await registry.register(avro(schema), { subject }).catch((e: unknown) => e);
    // The library passes the registry's HTTP error on (a mappersmith ResponseError with the status).
    expect(error).toMatchObject({ status: 409 });
    expect(String((error as Error).message)).toMatch(/incompatible/i);
    expect(await versions(subject)).toEqual([1, 2]);
  });
});
