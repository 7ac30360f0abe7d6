import { randomFillSync } from 'node:crypto';
import type { IHeaders } from 'kafkajs';

/**
 * The headers Passerelle sets (DESIGN §5). Ids, trace context, retry bookkeeping and error codes only: never a name,
 * an INS, a birth date or a document body.
 */
export const H = {
  eventId: 'event-id',
  documentId: 'document-id',
  traceparent: 'traceparent',
  attempt: 'attempt',
  firstFailureAt: 'first-failure-at',
  lastFailureAt: 'last-failure-at',
  errorCode: 'error-code',
  errorClass: 'error-class',
  errorMessage: 'error-message',
  originTopic: 'origin-topic',
  originPartition: 'origin-partition',
  originOffset: 'origin-offset',
  dueAt: 'due-at',
  replayedAt: 'replayed-at',
} as const;

export type Headers = Record<string, string>;

/** kafkajs headers (Buffers, possibly arrays) as plain strings. */
export function readHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Random ids are cut from a pool filled 4 KiB at a time (as Node's randomUUID does): a `randomBytes` call per id, two
 * per new trace, was ~3 % of the composer's CPU.
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

function randomHex(bytes: number): string {
  if (poolUsed + bytes > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  poolUsed += bytes;
  return pool.toString('hex', poolUsed - bytes, poolUsed);
}

/** A W3C trace context: a new trace, or a child span of the parent's trace. */
export function childTraceparent(parent?: string): string {
  const m = parent ? TRACEPARENT.exec(parent) : null;
  const traceId = m?.[1] ?? randomHex(16);
  const flags = m?.[3] ?? '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}
