import { classify, type Classified } from './errors';
import { H, type Headers } from './headers';
import { dlqTopic, retryTopic, type RetryTier } from './topics';

/** A record whose handling failed, as it was read, and what went wrong. */
export interface FailedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  /** The raw value, kept byte for byte (null: a tombstone) */
  value: Buffer | null;
  /** The record's headers as read (a retried record carries its earlier failures') */
  headers: Headers;
  /** What was thrown */
  error: unknown;
  tiers: RetryTier[];
  /** Epoch ms of the failure */
  now: number;
}

export interface FailureRoute {
  error: Classified;
  /** The record to produce: the next retry tier's topic or the dead-letter topic */
  record: { topic: string; key: Buffer | null; value: Buffer; headers: Headers };
  destination: string;
  deadLettered: boolean;
  /** 1 for a first failure, counted across the retry tiers */
  attempt: number;
  /** When the retrier sends it back to its topic (epoch ms); none for a dead letter */
  dueAt?: number;
}

/**
 * Where a failed record goes, and with which headers: a pure decision, so that the stage only produces it. A
 * permanent error goes to `<topic>.dlq` at once; a transient one to the tier of its attempt
 * (`<topic>.retry.<tier>`, due `now + delay`), and to the dead letters past the last tier. The record keeps its bytes
 * and headers, plus the failure's: attempt, first and last failure times (the first kept across attempts), error code,
 * class and message (our own messages only, at most 500 characters), origin topic, partition and offset, and `due-at`
 * for a retry.
 */
export function routeFailure(failed: FailedRecord): FailureRoute {
  const { topic, partition, offset, headers, now } = failed;
  const error = classify(failed.error);
  const attempt = Number(headers[H.attempt] ?? 0) + 1;
  const tier = failed.tiers[attempt - 1];
  const deadLettered = error.errorClass === 'permanent' || tier === undefined;
  const destination = deadLettered ? dlqTopic(topic) : retryTopic(topic, tier);
  const out: Headers = {
    ...headers,
    [H.attempt]: String(attempt),
    [H.firstFailureAt]: headers[H.firstFailureAt] ?? String(now),
    [H.lastFailureAt]: String(now),
    [H.errorCode]: error.code,
    [H.errorClass]: error.errorClass,
    [H.errorMessage]: error.message.slice(0, 500),
    [H.originTopic]: topic,
    [H.originPartition]: String(partition),
    [H.originOffset]: offset,
  };
  const dueAt = deadLettered ? undefined : now + tier.delayMs;
  if (dueAt === undefined) delete out[H.dueAt];
  else out[H.dueAt] = String(dueAt);
  return {
    error,
    record: { topic: destination, key: failed.key, value: failed.value ?? Buffer.alloc(0), headers: out },
    destination,
    deadLettered,
    attempt,
    dueAt,
  };
}
