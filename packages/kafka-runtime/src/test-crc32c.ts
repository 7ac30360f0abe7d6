/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) one bit at a time, straight from the polynomial: the
 * independent reference the kafkajs patch tests check the patched CRC and record batches against.
 */
export function bitwiseCrc32C(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
