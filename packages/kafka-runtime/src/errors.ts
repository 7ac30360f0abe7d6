import { types } from 'node:util';
import { PasserelleError, type ErrorClass } from '@passerelle/errors';

/**
 * Every failure is either permanent (the input is wrong: dead letter at once, with the reason) or transient (the
 * world is wrong for now: retry through the tiers, then dead letter). The contract lives in `@passerelle/errors`,
 * which every package's typed errors extend; the runtime only reads it.
 */
export { PermanentError, TransientError, type ErrorClass } from '@passerelle/errors';

export interface Classified {
  code: string;
  errorClass: ErrorClass;
  /** Safe to put in a header or a log: our own messages only; an unknown error is reduced to its type. */
  message: string;
}

// A Node system error's code (EACCES, ENOENT, ECONNRESET…): it names what happened, never data.
const SYSTEM_CODE = /^E[A-Z0-9_]{1,30}$/;

/**
 * Maps any thrown value to a class. Our own errors (a {@link PasserelleError}) say what they are. Anything else — a
 * Node system error such as EACCES from the key store, a library's error, a bug — is unexpected: transient, so that
 * the world or a redeployed fix lets the record through, and dead-lettered after the last tier if not. Never
 * silently permanent.
 */
export function classify(err: unknown): Classified {
  if (err instanceof PasserelleError) return { code: err.code, errorClass: err.errorClass, message: err.message };
  // isNativeError, not instanceof: an error made in another realm (a vm context, Jest's) is an error all the same.
  const error = err instanceof Error || types.isNativeError(err) ? (err as Error & { code?: unknown }) : undefined;
  const type = error ? error.name : typeof err;
  const code = error?.code;
  const system = typeof code === 'string' && SYSTEM_CODE.test(code) ? ` (${code})` : '';
  return { code: 'UNEXPECTED', errorClass: 'transient', message: `unexpected ${type}${system}` };
}

/**
 * What a crash of the consumer was, for the log: each error's name, down the kafkajs cause chain, with the message of
 * kafkajs's own errors (protocol and connection descriptions: no record content) and a protocol error's Kafka type
 * (TOPIC_AUTHORIZATION_FAILED…). Other errors give their name only.
 */
export function kafkaErrorChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as (Error & { cause?: unknown; type?: unknown }) | undefined, depth = 0; e && depth < 5; depth++) {
    const type = typeof e.type === 'string' ? ` ${e.type}` : '';
    parts.push(e.name?.startsWith('KafkaJS') ? `${e.name}${type}: ${String(e.message).slice(0, 200)}` : String(e.name ?? 'Error'));
    e = e.cause as typeof e;
  }
  return parts.join(' ← ') || 'unknown';
}
