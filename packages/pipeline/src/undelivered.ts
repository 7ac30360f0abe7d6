import type { RegistryCodec, StageMetrics } from '@passerelle/kafka-runtime';
import type { DocumentStatus } from '@passerelle/schemas';
import type { Kafka, Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { isDone, mergeStatus } from './status';

/**
 * The documents not delivered yet, from `documents.status`: every status record of a document is merged (the routes'
 * gateways write their own records), and a document leaves the set once {@link isDone} (every route with a gateway
 * delivered or failed, or a final state without routes: parked, dead-lettered). What is kept per document is its
 * merged status while it is undelivered; nothing about a patient is read (ids, states, stages, times).
 *
 * Why the status follower and not a gateway: a gateway only sees the records it holds; a document waiting in a retry
 * tier (the retrier holds it), for a certificate, behind a breaker, or not yet routed is invisible to it. Every stage
 * writes the document's status, so a follower of that topic sees all of them, from composition on.
 */
export class UndeliveredDocuments {
  private readonly pending = new Map<string, DocumentStatus>();

  /** One status record, in the order of its partition (one document's records are on one partition). */
  apply(status: DocumentStatus): void {
    const merged = mergeStatus(this.pending.get(status.documentId), status);
    if (isDone(merged)) this.pending.delete(status.documentId);
    else this.pending.set(status.documentId, merged);
  }

  get count(): number {
    return this.pending.size;
  }

  /** When the oldest undelivered document began (its first status entry, epoch ms), or undefined when there is none */
  oldestSince(): number | undefined {
    let oldest: number | undefined;
    for (const s of this.pending.values()) {
      const since = Math.min(s.at, ...s.history.map((h) => h.at));
      if (oldest === undefined || since < oldest) oldest = since;
    }
    return oldest;
  }
}

export interface UndeliveredFollower {
  documents: UndeliveredDocuments;
  stop(): Promise<void>;
}

/**
 * Follows `statusTopic` from its beginning (compacted: every document's last status, plus what the cleaner has not
 * removed yet) with a group of its own, and reports the undelivered documents to `metrics` after each batch and every
 * `everyMs` (the age grows while nothing is written).
 */
export async function followUndelivered(opts: {
  kafka: Kafka;
  codec: RegistryCodec;
  statusTopic: string;
  metrics: StageMetrics;
  groupId?: string;
  everyMs?: number;
}): Promise<UndeliveredFollower> {
  const documents = new UndeliveredDocuments();
  const report = () => opts.metrics.undelivered?.(documents.count, documents.oldestSince());
  const consumer: Consumer = opts.kafka.consumer({
    groupId: opts.groupId ?? `passerelle-status-monitor-${randomUUID()}`,
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.statusTopic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        if (message.value) documents.apply(await opts.codec.decode<DocumentStatus>(opts.statusTopic, message.value));
        resolveOffset(message.offset);
      }
      report();
      await heartbeat();
    },
  });
  report();
  const timer = setInterval(report, opts.everyMs ?? 15_000);
  timer.unref();
  return {
    documents,
    async stop() {
      clearInterval(timer);
      await consumer.disconnect();
    },
  };
}
