/**
 * patches/kafkajs+2.2.4.patch keeps large buffers (≥ 4 KiB: record values) by reference in kafkajs's encoder instead
 * of copying them at every level of a produce request, computes the batch CRC over the parts, and writes the parts
 * to the socket as they are (socket-write-patch.int.test.ts). The bytes must be exactly those of a plain concatenation: checked here on record batches
 * mixing small and large values (CRC recomputed bitwise over the batch body, every value read back by kafkajs's own
 * decoder), and on a whole produce request. (The broker checks every batch too: CORRUPT_MESSAGE otherwise.)
 */
import { randomBytes } from 'node:crypto';
import { bitwiseCrc32C } from './test-crc32c';
/* eslint-disable @typescript-eslint/no-require-imports */
const Encoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeInt32(v: number): unknown;
  writeBytes(v: Buffer): unknown;
  writeEncoder(e: unknown): unknown;
  size(): number;
  buffer: Buffer;
};
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (o: object) => Promise<{ buffer: Buffer; size(): number }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{
  records: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }[];
}>;
/* eslint-enable @typescript-eslint/no-require-imports */

describe('kafkajs encoder, patched to keep large buffers by reference', () => {
  const values = [randomBytes(10), randomBytes(25_000), randomBytes(4_095), randomBytes(4_096), randomBytes(70_000), randomBytes(1)];

  it('writes record batches whose CRC and records are those of their bytes', async () => {
    const records = values.map((value, i) => Record({ offsetDelta: i, key: Buffer.from(`k${i}`), value, headers: { h: `v${i}` } }));
    const encoded = await RecordBatch({ records, lastOffsetDelta: records.length - 1, firstSequence: 3, transactional: true });
    const bytes = encoded.buffer;
    expect(bytes.length).toBe(encoded.size());
    // FirstOffset int64, Length int32, PartitionLeaderEpoch int32, Magic int8, CRC uint32, then the body the CRC covers.
    expect(bytes.readInt32BE(8)).toBe(bytes.length - 12);
    expect(bytes.readInt8(16)).toBe(2);
    expect(bytes.readUInt32BE(17)).toBe(bitwiseCrc32C(bytes.subarray(21)));
    const batch = await decodeBatch(new Decoder(bytes));
    expect(batch.records.map((r) => r.value?.equals(values[batch.records.indexOf(r)] as Buffer))).toEqual(values.map(() => true));
    expect(batch.records.map((r) => String(r.headers.h))).toEqual(values.map((_, i) => `v${i}`));
  });

  it('nests encoders holding large parts with the same bytes as when each level is joined first', async () => {
    const batches = await Promise.all(
      [values.slice(0, 3), values.slice(3)].map((vs) =>
        RecordBatch({ records: vs.map((value, i) => Record({ offsetDelta: i, value })), lastOffsetDelta: vs.length - 1 }),
      ),
    );
    const nested = new Encoder();
    const joined = new Encoder();
    for (const b of batches) {
      nested.writeInt32(b.size());
      nested.writeEncoder(b);
      joined.writeBytes(Buffer.from(b.buffer)); // a copy: the plain way
    }
    const outer = new Encoder();
    outer.writeInt32(nested.size());
    outer.writeEncoder(nested);
    const plain = new Encoder();
    plain.writeBytes(Buffer.from(joined.buffer));
    expect(outer.size()).toBe(plain.size());
    expect(outer.buffer.equals(plain.buffer)).toBe(true);
  });
});
