/**
 * patches/kafkajs+2.2.4.patch computes the record batches' CRC-32C in native code (@node-rs/crc32, the CPU's CRC-32C
 * instruction) and, where that package is missing, in JavaScript eight bytes at a time (slicing-by-8) instead of one
 * (a producer spent about an eighth of its CPU there with 25 KB records). Each must give the same CRC for every length
 * and alignment, and over parts the CRC of their concatenation: checked here against a bitwise CRC-32C written from
 * the polynomial, and against the standard check value. (The broker checks every batch's CRC too: a wrong one is
 * refused as CORRUPT_MESSAGE by every integration test.)
 */
import { randomBytes } from 'node:crypto';
import { bitwiseCrc32C } from './test-crc32c';

interface Crc32C {
  (buffer: Buffer): number;
  crc32CParts(parts: Buffer[]): number;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const used = require('kafkajs/src/protocol/recordBatch/crc32C') as Crc32C & { native: boolean; javascript: Crc32C };
/* eslint-enable @typescript-eslint/no-require-imports */

it('is the native one here (@node-rs/crc32 is a dependency of this package)', () => {
  expect(used.native).toBe(true);
});

describe.each([
  ['the one kafkajs uses', used],
  ['the JavaScript one', used.javascript],
])('kafkajs CRC-32C, %s', (_name, crc32C) => {
  it('gives the standard check value', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with a bitwise CRC-32C for every length from 0 to 100 and every offset into a larger buffer', () => {
    const data = randomBytes(200);
    for (let length = 0; length <= 100; length++) {
      for (let offset = 0; offset < 8; offset++) {
        const slice = data.subarray(offset, offset + length);
        expect(crc32C(slice)).toBe(bitwiseCrc32C(slice));
      }
    }
  });

  it('agrees on a 25 KB record and on all-ones bytes', () => {
    const record = randomBytes(25_000);
    expect(crc32C(record)).toBe(bitwiseCrc32C(record));
    const ones = Buffer.alloc(1_031, 0xff);
    expect(crc32C(ones)).toBe(bitwiseCrc32C(ones));
  });

  it('over parts, gives the CRC of their concatenation (empty parts included)', () => {
    const parts = [randomBytes(61), Buffer.alloc(0), randomBytes(25_003), randomBytes(7), Buffer.alloc(0)];
    expect(crc32C.crc32CParts(parts)).toBe(bitwiseCrc32C(Buffer.concat(parts)));
    expect(crc32C.crc32CParts([])).toBe(0);
  });
});
