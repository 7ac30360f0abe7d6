import type { Message, Producer, TopicMessages, TopicOffsets } from 'kafkajs';

/** The consumer's place in its group when a batch was fetched (KIP-447: the coordinator checks it at commit). */
export interface GroupMember {
  generationId: number;
  memberId: string;
}

/** What one chunk of one input partition brings to a shared transaction. */
export interface Contribution {
  /** The chunk's encoded outputs, by topic in the order produced */
  byTopic: Map<string, Message[]>;
  /** Bytes of those outputs */
  bytes: number;
  /** Input records the chunk handled */
  records: number;
  /** The input partition and the offset to commit (the chunk's last record + 1) */
  topic: string;
  partition: number;
  offset: string;
  member: GroupMember;
}

export interface SharedTransactionsOptions {
  groupId: string;
  /** The process's transactional producer (made once, or again after `drop`) */
  producer: () => Promise<Producer>;
  /** A producer whose transaction failed cannot be reused (fenced, or its state unknown) */
  drop: () => Promise<void>;
  /** A transaction starts once this many bytes are waiting, without waiting for the chunks still being handled */
  maxBytes: number;
  /** One transaction committed: its input records, and how long from its first chunk's arrival to the commit */
  committed?: (records: number, seconds: number) => void;
}

interface Waiting extends Contribution {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * One Kafka transaction for the chunks of every input partition in hand (KIP-447), instead of one per partition.
 *
 * Each chunk being handled holds a ticket ({@link enter}); when it is handled, it hands its outputs and its offset in
 * ({@link Ticket.commit}) and waits. A transaction starts when no chunk is still being handled, or when `maxBytes` are
 * waiting, and carries every chunk waiting then (of one group generation): their outputs, then all their offsets with
 * the consumer's generation and member id, then the commit. One transaction is in flight at a time; what arrives
 * meanwhile goes in the next. A transaction that fails fails all its chunks (each batch ends, and its records are
 * fetched again); its producer is dropped.
 *
 * Why it is exactly once without a producer per partition: the coordinator refuses the offsets of a member that is
 * no longer in the generation it fetched in (TxnOffsetCommit v3), so a zombie's transaction can only abort; and the
 * partition's next owner reads its committed offset with require_stable (OffsetFetch v7), which waits for any
 * transaction still carrying offsets of that partition to end.
 */
export class SharedTransactions {
  private readonly waiting: Waiting[] = [];
  private handling = 0;
  private inFlight = false;
  private firstArrival = 0;

  constructor(private readonly opts: SharedTransactionsOptions) {}

  /** A chunk starts being handled: no transaction starts without it until it commits or leaves. */
  enter(): Ticket {
    this.handling += 1;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.handling -= 1;
      return true;
    };
    return {
      commit: (contribution) =>
        new Promise<void>((resolve, reject) => {
          if (!close()) throw new Error('ticket already closed');
          if (this.waiting.length === 0) this.firstArrival = performance.now();
          this.waiting.push({ ...contribution, resolve, reject });
          this.next();
        }),
      leave: () => {
        if (close()) this.next();
      },
    };
  }

  private waitingBytes(): number {
    let bytes = 0;
    for (const w of this.waiting) bytes += w.bytes;
    return bytes;
  }

  private next(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    if (this.handling > 0 && this.waitingBytes() < this.opts.maxBytes) return;
    // One generation per transaction: the coordinator checks one. (Chunks of two generations never wait together,
    // since kafkajs rejoins only once every batch has returned; this keeps it true if that changes.)
    const member = (this.waiting[0] as Waiting).member;
    const same = (w: Waiting) => w.member.generationId === member.generationId && w.member.memberId === member.memberId;
    const chunks = this.waiting.filter(same);
    const rest = this.waiting.filter((w) => !same(w));
    this.waiting.length = 0;
    this.waiting.push(...rest);
    const started = this.firstArrival;
    this.firstArrival = performance.now();
    this.inFlight = true;
    void this.run(chunks, member)
      .then(
        () => {
          this.opts.committed?.(
            chunks.reduce((n, c) => n + c.records, 0),
            (performance.now() - started) / 1000,
          );
          for (const c of chunks) c.resolve();
        },
        (err: unknown) => {
          for (const c of chunks) c.reject(err);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.next();
      });
  }

  private async run(chunks: Waiting[], member: GroupMember): Promise<void> {
    // Outputs by topic, in the order the chunks arrived (a partition's chunks are never in one transaction twice,
    // and each output keeps its order within its chunk: per-key order holds).
    const byTopic = new Map<string, Message[]>();
    const offsets = new Map<string, { partition: number; offset: string }[]>();
    for (const c of chunks) {
      for (const [topic, messages] of c.byTopic) {
        const list = byTopic.get(topic);
        if (list) for (const m of messages) list.push(m);
        else byTopic.set(topic, messages.slice());
      }
      c.byTopic.clear();
      let partitions = offsets.get(c.topic);
      if (!partitions) offsets.set(c.topic, (partitions = []));
      partitions.push({ partition: c.partition, offset: c.offset });
    }
    await commitTransaction(await this.opts.producer(), this.opts.drop, {
      groupId: this.opts.groupId,
      outputs: takeOutputs(byTopic),
      offsets: [...offsets].map(([topic, partitions]) => ({ topic, partitions })),
      member,
    });
  }
}

/** The outputs by topic as kafkajs sends them, the map emptied (what is sent is held only by the transaction). */
export function takeOutputs(byTopic: Map<string, Message[]>): TopicMessages[] {
  const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  byTopic.clear();
  return topicMessages;
}

/**
 * One transaction of `producer`: the outputs, then the input offsets (with the group member when given: KIP-447), then
 * the commit. Any failure aborts it and drops the producer (fenced, or in a state not known: the next gets a fresh
 * one). The outputs are let go once sent, before the commit's round trips: every partition in hand has a chunk at
 * once, and what each holds through those round trips is the process's peak memory.
 */
export async function commitTransaction(
  producer: Producer,
  drop: () => Promise<void>,
  t: { groupId: string; outputs: TopicMessages[]; offsets: TopicOffsets[]; member?: GroupMember },
): Promise<void> {
  const txn = await producer.transaction().catch(async (err: unknown) => {
    await drop();
    throw err;
  });
  try {
    let outputs: TopicMessages[] | undefined = t.outputs;
    t.outputs = [];
    if (outputs.length > 0) await txn.sendBatch({ acks: -1, topicMessages: outputs });
    outputs = undefined;
    await txn.sendOffsets({ consumerGroupId: t.groupId, topics: t.offsets, consumerGroupMetadata: t.member });
    await txn.commit();
  } catch (err) {
    await txn.abort().catch(() => undefined);
    await drop();
    throw err;
  }
}

/** A chunk's place in the shared transactions: it commits (waits for its transaction) or leaves (nothing to commit). */
export interface Ticket {
  commit(contribution: Contribution): Promise<void>;
  leave(): void;
}
