import { randomBytes, randomUUID } from 'node:crypto';
import avro from 'avsc';
import { RegistryCodec } from './codec';
import { PermanentError } from './errors';
import { ITEM_SCHEMA, type Item } from './test-schema';

// The codec serialises into a scratch buffer it keeps (grown to the largest value seen, up to 4 MiB) and copies the
// result once, instead of avsc's toBuffer (two serialisations of a value over 1 KiB) and a concatenation with the
// header. Its output must stay exactly the Confluent wire format of the value, whatever the sizes in turn: small,
// larger than the scratch (it grows), larger than the largest scratch kept (a buffer of its own), small again.
describe('registry codec (real registry)', () => {
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
  const topic = `codec-${randomUUID()}`;
  const codec = RegistryCodec.connect(registryUrl, (t) => (t === topic ? ITEM_SCHEMA : undefined));
  const type = avro.Type.forSchema(ITEM_SCHEMA as avro.Schema);
  const item = (stateBytes: number): Item => ({
    documentId: randomUUID(),
    eventId: randomUUID(),
    state: randomBytes(Math.ceil(stateBytes / 2))
      .toString('hex')
      .slice(0, stateBytes),
  });

  it('writes the wire format (magic byte, schema id, Avro body) of values of every size, in any order', async () => {
    const id = await codec.schemaId(topic);
    const sizes = [10, 70_000, 100, 300_000, 5 * 1024 * 1024, 20, 200_000];
    const encoded: { bytes: Buffer; expected: Buffer }[] = [];
    for (const size of sizes) {
      const value = item(size);
      const bytes = await codec.encode(topic, value);
      const expected = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), type.toBuffer(value)]);
      expected.writeUInt32BE(id, 1);
      expect(bytes.equals(expected)).toBe(true);
      expect(await codec.decode<Item>(topic, bytes)).toEqual(value);
      encoded.push({ bytes, expected });
    }
    // Each output is its own: later encodes (through the same scratch) did not change the earlier ones.
    expect(encoded.map((e) => e.bytes.equals(e.expected))).toEqual(sizes.map(() => true));
  });

  it('a value that does not match the schema is a permanent OUTPUT_INVALID, and the next one encodes', async () => {
    await expect(codec.encode(topic, { documentId: 'd', eventId: 7, state: 's' })).rejects.toThrow(PermanentError);
    await expect(codec.encode(topic, { documentId: 'd', eventId: 7, state: 's' })).rejects.toMatchObject({ code: 'OUTPUT_INVALID' });
    const value = item(50);
    expect(await codec.decode<Item>(topic, await codec.encode(topic, value))).toEqual(value);
  });
});
