import { randomBytes } from 'node:crypto';

/** W3C Trace Context `traceparent`: version 00, trace id, parent (span) id, flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Whether a value is a well-formed version-00 `traceparent` (all-zero ids are invalid by the spec). */
export function isTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  return !!m && !/^0+$/.test(m[1] ?? '') && !/^0+$/.test(m[2] ?? '');
}

/**
 * A new `traceparent` starting a trace at the publisher: random trace and span ids, sampled. Random bytes carry
 * nothing of the event.
 */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
