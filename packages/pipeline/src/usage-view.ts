import { randomUUID } from 'node:crypto';
import { readHeaders, readTopicToEnd, type RegistryCodec } from '@passerelle/kafka-runtime';
import type { DocumentStatus } from '@passerelle/schemas';
import type { Consumer, Kafka } from 'kafkajs';
import { UsageLedger } from './usage';

/** The usage counters as `documents.status` stands now: one read to its end (`passerelle usage`). */
export async function readUsage(kafka: Kafka, codec: RegistryCodec, statusTopic: string, timeoutMs = 60_000): Promise<UsageLedger> {
  const ledger = new UsageLedger();
  for (const r of await readTopicToEnd(kafka, statusTopic, timeoutMs)) {
    if (r.message.value) ledger.add(await codec.decode<DocumentStatus>(statusTopic, r.message.value), readHeaders(r.message.headers));
  }
  return ledger;
}

/**
 * A consumer that keeps the per-pharmacy, per-month usage counters up to date (the console's usage page).
 *
 * Exactly once by rebuilding, not by a transactional read-process-write: the counters are a function of the
 * documents' statuses (`UsageLedger`), so the view reads the compacted `documents.status` from the beginning at every
 * start, read committed (an aborted stage transaction's statuses are never seen), in a consumer group of its own that
 * commits nothing. A record read twice merges into its document and counts once; a restart replays the topic and
 * lands on the same figures. A transactional consumer would need a counters topic of its own and per-document state
 * to know whether a record moves a document from one count to another, which is what the fold keeps anyway; replay
 * costs one read of a compacted topic (one record per document once the cleaner has passed).
 *
 * The limit is compaction's: once the cleaner has left only the last record of a document, a document delivered by
 * two gateways keeps the history of the last one to write (see the README's limits), so a rebuild may see the other
 * route as sent rather than delivered.
 */
export class UsageView {
  readonly ledger = new UsageLedger();
  private consumer: Consumer | undefined;
  private readonly positions = new Map<number, bigint>();

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: RegistryCodec,
    readonly statusTopic: string,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `usage-view-${randomUUID()}`, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const next = BigInt(payload.lastOffset) + 1n;
      if (next > (this.positions.get(payload.partition) ?? 0n)) this.positions.set(payload.partition, next);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.statusTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        this.ledger.add(await this.codec.decode<DocumentStatus>(this.statusTopic, message.value), readHeaders(message.headers));
      },
    });
  }

  /** Resolves once the view has read every record committed on the topic when called; throws after `timeoutMs`. */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: { partition: number; high: string; low: string }[];
    try {
      ends = await admin.fetchTopicOffsets(this.statusTopic);
    } finally {
      await admin.disconnect();
    }
    const behind = () => ends.filter((o) => BigInt(o.high) > BigInt(o.low) && (this.positions.get(o.partition) ?? 0n) < BigInt(o.high));
    const deadline = Date.now() + timeoutMs;
    while (behind().length > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `usage view: not caught up after ${timeoutMs} ms (partitions ${behind()
            .map((o) => o.partition)
            .join(', ')})`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
