import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { closeConnections, type TransactionMode } from './config';
import { kafkaErrorChain, PermanentError, type Classified } from './errors';
import { routeFailure } from './failure-routing';
import { readHeaders, type Headers } from './headers';
import type { RegistryCodec } from './codec';
import type { RetryTier } from './topics';
import type { StageMetrics } from './metrics';
import { commitTransaction, SharedTransactions, takeOutputs, type GroupMember } from './shared-transactions';

/** One input record, decoded. */
export interface InputRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  headers: Headers;
  /** The decoded value (or the raw bytes when the stage reads raw) */
  value: T;
  raw: KafkaMessage;
}

/** One output record. `value` is Avro-encoded with the topic's schema unless it is already a Buffer. */
export interface OutputRecord {
  topic: string;
  key: string | Buffer | null;
  value: unknown;
  headers?: Headers;
}

/** A record whose time has not come: the partition waits until `until` (epoch ms). */
export interface Defer {
  deferUntil: number;
}

export type HandlerResult = OutputRecord[] | Defer;

export interface StageOptions<T> {
  /** The service's name: names the consumer group and transactional ids */
  name: string;
  kafka: Kafka;
  codec: RegistryCodec;
  inputTopics: string[];
  /** Decide what a record becomes. Throwing is how a handler says a record failed. */
  handle: (record: InputRecord<T>) => Promise<HandlerResult> | HandlerResult;
  /** Read values as raw bytes instead of decoding them (the retrier) */
  raw?: boolean;
  tiers: RetryTier[];
  logger: Logger;
  metrics?: StageMetrics;
  /** Extra records for a failed input (e.g. its status), given what is known of it */
  onFailure?: (failure: Failure<T>) => OutputRecord[];
  /** Larger input values are dead-lettered unread (default 1 MiB: an LGO event is a few KB) */
  maxInputBytes?: number;
  /** Records handled per transaction (default 200) */
  maxBatchRecords?: number;
  /**
   * Bytes of encoded output per transaction (default {@link MAX_CHUNK_BYTES}): the chunk ends after the record that
   * reaches it. A composer turns each few-KB event into a 25 KB document: 200 events make 5 MB per transaction, held
   * until it commits, for each of the 18 partitions in hand at once.
   */
  maxBatchBytes?: number;
  /**
   * How input records and their outputs are committed (default `per-partition`):
   * - `per-partition`: a transactional producer per input partition, a transaction per chunk of each (fencing by
   *   transactional id); every transaction costs its round trips (~2.7 ms of client CPU with kafkajs) for a few records
   *   at moderate rates, as many partitions as the stage reads;
   * - `shared`: one transactional producer per stage instance and one transaction for the chunks of every partition
   *   in hand ({@link SharedTransactions}, KIP-447: fencing by the group's generation, stable offset reads). Its cost:
   *   an instance killed in the middle of a transaction holds its partitions' next owner until the broker aborts it
   *   (`transactionTimeoutMs`).
   */
  transactions?: TransactionMode;
  /**
   * `shared` only: how long the broker lets a transaction run before it aborts it (default 10 s; kafkajs's 60 s
   * otherwise): what holds the partitions of an instance killed in the middle of one.
   */
  transactionTimeoutMs?: number;
  /**
   * How long a rebalance waits for a member busy in a batch to rejoin before it goes on without it (default 60 s,
   * kafkajs's): a member left out is a zombie until its batch ends, and its transaction is refused then.
   */
  rebalanceTimeoutMs?: number;
  /** How long the group waits for a silent member before its partitions go to the others (default 6 s, the broker's least) */
  sessionTimeoutMs?: number;
  /**
   * How many input partitions are processed at once (default {@link ALL_PARTITIONS}: every partition assigned). Each
   * partition still has one batch in hand at a time (per-key order) and its own transactional producer (exactly once).
   */
  concurrency?: number;
  groupId?: string;
  /**
   * How long stop() waits for the graceful path (the batch in hand commits, the group is left) before it closes the
   * client's connections (default 20 s: a full batch of signatures on a loaded 2-core machine takes a few seconds).
   */
  stopTimeoutMs?: number;
}

/**
 * The default concurrency: more than a stage is ever assigned (the catalogue's topics have a few partitions each),
 * so that every assigned partition is processed at once; kafkajs starts only as many as have records.
 */
export const ALL_PARTITIONS = 64;

/** The default bytes of output per transaction: as much as a partition's fetch brings in (1 MiB). */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** `shared` transactions: one starts, without waiting for chunks still being handled, once this many bytes wait. */
export const MAX_SHARED_BYTES = 8 * MAX_CHUNK_BYTES;

/** Stages made in this process, to number their transactional ids (`shared`). */
let stagesMade = 0;

export interface Failure<T> {
  record: Omit<InputRecord<T>, 'value'> & { value?: T };
  error: Classified;
  /** Where the record went: a retry topic or the dead-letter topic */
  destination: string;
  deadLettered: boolean;
  attempt: number;
}

export interface Stage {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** In its group with partitions assigned, or at least joined */
  isReady(): boolean;
  /** False once the consumer has crashed for good */
  isLive(): boolean;
}

/**
 * Runs a stage: consume → handle → produce, each batch chunk's outputs in a Kafka transaction with the consumer
 * offsets, so that each input record's outputs and its offset are committed together or not at all (read committed
 * downstream). Two ways ({@link StageOptions.transactions}):
 * - `per-partition`: each input partition gets its own transactional producer, `<group>.<topic>.<partition>`, and a
 *   transaction per chunk: when the partition moves to another instance, that instance's producer with the same
 *   transactional id fences the old one (zombie fencing by epoch);
 * - `shared`: one producer per stage instance and one transaction for the chunks of every partition in hand
 *   ({@link SharedTransactions}), fenced by the group's generation (KIP-447, which the kafkajs patch adds).
 *
 * After each rebalance kafkajs restarts a partition from the committed offset it reads when the group is joined, which
 * can be older than the truth: a transaction of the partition was still committing (this instance's own batch in
 * flight, or the previous owner's last one: the coordinator writes its markers after answering the commit). So the
 * first batch of a partition after a join reads the committed offset again and skips the records below it (they are
 * already committed, handling them again would duplicate their outputs): `per-partition`, after initialising a new
 * producer for it (InitProducerId returns only once every earlier transaction of that id is complete); `shared`, with
 * `require_stable` (the coordinator answers only once no transaction carrying the partition's offsets is in progress).
 *
 * A failing record never blocks its partition: it goes to the next retry tier (transient) or the dead-letter topic
 * (permanent, or past the last tier), byte for byte with its headers plus the error's, in the same transaction
 * ({@link routeFailure} decides where and with which headers).
 */
export function createStage<T>(opts: StageOptions<T>): Stage {
  const groupId = opts.groupId ?? `passerelle-${opts.name}`;
  const log = opts.logger;
  const chunkSize = opts.maxBatchRecords ?? 200;
  const chunkBytes = opts.maxBatchBytes ?? MAX_CHUNK_BYTES;
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 6_000;
  const maxInputBytes = opts.maxInputBytes ?? 1024 * 1024;
  const producers = new Map<string, Promise<Producer>>();
  const shared = opts.transactions === 'shared';
  /** `shared`: the consumer's generation and member id, as the last join gave them */
  let member: GroupMember | undefined;
  /**
   * `shared`: the process's transactional id. Unique among the running instances (host and process id), the same
   * again for a restarted container (pid 1, same host name), whose new producer then fences the old one at once.
   */
  const sharedId = shared ? `${groupId}.${hostname()}.${process.pid}.${(stagesMade += 1)}` : '';
  const transactions = shared
    ? new SharedTransactions({
        groupId,
        producer: () => producerFor(sharedId),
        drop: () => dropProducer(sharedId),
        maxBytes: MAX_SHARED_BYTES,
        committed: (records, seconds) => opts.metrics?.transaction?.(records, seconds),
      })
    : undefined;
  /**
   * Per partition, the group generation (counted here, one more at each join) in which its committed offset was read
   * again (see handleBatch; `per-partition`: after its producer was made new, and a partition whose producer is dropped
   * is no longer verified).
   */
  const verified = new Map<string, number>();
  let generation = 0;
  /**
   * The generation in which a beat found the group rebalancing (a member joined, left or died): the chunks in hand
   * commit what they have handled and their batches end, so that this member rejoins now rather than after whole
   * chunks (a gateway's chunk, one call to its destination per record, can outlast the session: a dead member's
   * partitions waited for it).
   */
  let rebalancingIn = -1;
  let admin: Promise<Admin> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  let consumer: Consumer | undefined;
  let joined = false;
  let crashed = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;

  /** The transactional producer of `id` (a partition's, or the process's when `shared`), made at first use. */
  async function producerFor(id: string): Promise<Producer> {
    let p = producers.get(id);
    if (!p) {
      p = (async () => {
        const producer = opts.kafka.producer({
          transactionalId: id,
          idempotent: true,
          maxInFlightRequests: 1,
          ...(shared ? { transactionTimeout: opts.transactionTimeoutMs ?? 10_000 } : {}),
        });
        await producer.connect(); // InitProducerId: every earlier transaction of this id is now complete
        return producer;
      })();
      producers.set(id, p);
      p.catch(() => producers.delete(id));
    }
    return p;
  }

  /**
   * The group's committed offset of a partition (-1 when none), as the group coordinator has it now; `stable`: once no
   * transaction carrying offsets of the partition is still in progress (the coordinator answers
   * UNSTABLE_OFFSET_COMMIT until then; asked again, 10 ms to 0.5 s apart, as long as the batch is current).
   */
  async function committedOffset(topic: string, partition: number, stable?: () => boolean): Promise<bigint> {
    for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
      try {
        const [offsets] = await (
          await adminClient()
        ).fetchOffsets({ groupId, topics: [{ topic, partitions: [partition] }], requireStable: stable !== undefined });
        return BigInt(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
      } catch (err) {
        if (stable === undefined || (err as { type?: string }).type !== 'UNSTABLE_OFFSET_COMMIT' || !stable()) throw err;
        await sleep(wait);
      }
    }
  }

  function adminClient(): Promise<Admin> {
    if (!admin) {
      admin = (async () => {
        const a = opts.kafka.admin();
        await a.connect();
        return a;
      })();
      admin.catch(() => (admin = undefined)); // a failed connection is tried again at the next read
    }
    return admin;
  }

  async function dropProducer(id: string): Promise<void> {
    const p = producers.get(id);
    producers.delete(id);
    verified.delete(id);
    if (p) await p.then((pr) => pr.disconnect()).catch(() => undefined);
  }

  /** The failed record to its retry tier or dead letter ({@link routeFailure}), with whatever `onFailure` adds. */
  function failure(msg: KafkaMessage, topic: string, partition: number, headers: Headers, err: unknown, value?: T): OutputRecord[] {
    const route = routeFailure({
      topic,
      partition,
      offset: msg.offset,
      key: msg.key,
      value: msg.value,
      headers,
      error: err,
      tiers: opts.tiers,
      now: Date.now(),
    });
    const { error, destination, deadLettered, attempt } = route;
    opts.metrics?.failed(topic, error.code, deadLettered ? 'dead-letter' : 'retry');
    log.warn({ topic, partition, offset: msg.offset, code: error.code, class: error.errorClass, attempt, destination }, 'record failed');
    const record = { topic, partition, offset: msg.offset, key: msg.key, headers, raw: msg, value };
    const extra = opts.onFailure?.({ record, error, destination, deadLettered, attempt }) ?? [];
    return [route.record, ...extra];
  }

  /**
   * The outputs of one record, encoded (Avro with the topic's schema unless already a Buffer), added to the chunk's
   * messages by topic, all or none (an output that fails to encode leaves the chunk as it was): the decoded outputs
   * (documents, archives, XML) are let go at once. Returns the bytes added, and notes the event time of each output
   * that has one (for the end-to-end latency metric).
   */
  async function addOutputs(outputs: OutputRecord[], chunk: ChunkOutputs): Promise<number> {
    const values: Buffer[] = [];
    for (const o of outputs) values.push(Buffer.isBuffer(o.value) ? o.value : await opts.codec.encode(o.topic, o.value));
    let bytes = 0;
    for (const [i, o] of outputs.entries()) {
      const value = values[i] as Buffer;
      let list = chunk.byTopic.get(o.topic);
      if (!list) chunk.byTopic.set(o.topic, (list = []));
      list.push({ key: o.key, value, headers: o.headers });
      bytes += value.length;
      const eventTime = Buffer.isBuffer(o.value) ? undefined : (o.value as { occurredAt?: unknown } | null)?.occurredAt;
      if (typeof eventTime === 'number') chunk.eventTimes.push([o.topic, eventTime]);
    }
    return bytes;
  }

  async function processBatch(payload: EachBatchPayload): Promise<void> {
    // kafkajs heartbeats only when asked: while a batch is handled (a gateway waiting for its destination, a chunk of
    // CPU-bound records), a beat every interval keeps the member in its group under the short session timeout. A beat
    // that finds the group rebalancing makes the chunks in hand end early (rebalancingIn); kafkajs rejoins at the next
    // heartbeat it is asked for; the chunk's transaction still fences.
    const beat = setInterval(() => {
      const beatIn = generation;
      payload.heartbeat().catch((err: { type?: string }) => {
        if (err.type === 'REBALANCE_IN_PROGRESS' || err.type === 'ILLEGAL_GENERATION') rebalancingIn = beatIn;
      });
    }, sessionTimeoutMs / 6);
    try {
      await handleBatch(payload);
    } finally {
      clearInterval(beat);
    }
  }

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    let messages = batch.messages;
    /** `shared`: the group member this batch was fetched as (kafkajs rejoins only once every batch has returned) */
    const fetchedAs = member;
    // The first batch since the group was (re)joined: a new producer first, then the committed offset (see above);
    // `shared`: the committed offset once no transaction carrying the partition's offsets is in progress.
    const id = `${groupId}.${topic}.${partition}`;
    if (verified.get(id) !== generation) {
      const joinedIn = generation;
      let committed: bigint;
      if (shared) {
        committed = await committedOffset(topic, partition, () => isRunning() && !isStale() && rebalancingIn !== joinedIn);
      } else {
        await dropProducer(id); // none, or one made before this join (no batch of the partition in flight)
        await producerFor(id);
        committed = await committedOffset(topic, partition);
      }
      verified.set(id, joinedIn);
      const done = messages.filter((m) => BigInt(m.offset) < committed); // a prefix: offsets increase
      if (done.length > 0) {
        log.warn({ topic, partition, skipped: done.length, committed: committed.toString() }, 'records already committed skipped');
        resolveOffset((done[done.length - 1] as KafkaMessage).offset);
        messages = messages.slice(done.length);
      }
    }
    while (messages.length > 0 && isRunning() && !isStale()) {
      const chunk = messages.slice(0, chunkSize);
      const out: ChunkOutputs = { byTopic: new Map(), eventTimes: [] };
      let bytes = 0;
      let last: KafkaMessage | undefined;
      let deferred: { offset: string; until: number } | undefined;
      /** The records of the chunk this transaction carries (all, unless the loop ends early) */
      let handled = chunk.length;
      let rebalancing = false;
      const started = process.hrtime.bigint();
      // `shared`: this chunk is being handled; no transaction starts without it until it commits or leaves.
      const ticket = transactions?.enter();
      try {
        for (const [i, msg] of chunk.entries()) {
          // The group is rebalancing: commit what is handled and end the batch (one record at least: a batch always
          // moves on). The rest is fetched again, here or by the partition's next owner.
          if (i > 0 && rebalancingIn === generation) {
            handled = i;
            rebalancing = true;
            break;
          }
          // The transaction carries enough: it commits, the rest of the batch goes in the next one.
          if (bytes >= chunkBytes) {
            handled = i;
            break;
          }
          // Handlers are CPU-bound (XML, PDF, RSA): give the event loop a turn now and then, so that heartbeats, fetches
          // and other stages sharing the process are not starved by a long batch.
          if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
          const headers = readHeaders(msg.headers);
          let value: T | undefined;
          try {
            if (!opts.raw && (msg.value?.length ?? 0) > maxInputBytes) {
              throw new PermanentError('RECORD_TOO_LARGE', `value is larger than ${maxInputBytes} bytes`);
            }
            value = opts.raw ? (msg.value as T) : await opts.codec.decode<T>(topic, msg.value);
            const result = await opts.handle({ topic, partition, offset: msg.offset, key: msg.key, headers, value, raw: msg });
            if (!Array.isArray(result)) {
              deferred = { offset: msg.offset, until: result.deferUntil };
              handled = i;
              break;
            }
            // Encoded here: an output its schema refuses fails its record alone (dead letter). The registry failing
            // (registering the output's schema) is not the record's fault: that ends the batch, as a broker error does,
            // and the records are fetched again.
            bytes += await addOutputs(result, out).catch((err: unknown) => {
              throw err instanceof PermanentError && err.code === 'OUTPUT_INVALID' ? err : new BatchError(err);
            });
            opts.metrics?.consumed(topic, 'ok');
          } catch (err) {
            if (err instanceof BatchError) throw err.cause;
            bytes += await addOutputs(failure(msg, topic, partition, headers, err, value), out);
            opts.metrics?.consumed(topic, 'failed');
          }
          last = msg;
        }
      } catch (err) {
        ticket?.leave();
        throw err;
      }
      messages = messages.slice(handled);
      if (last) {
        const produced = [...out.byTopic].map(([t, ms]) => [t, ms.length] as const);
        const offset = (BigInt(last.offset) + 1n).toString();
        if (ticket) {
          if (!fetchedAs) throw new Error('a batch before the group was joined');
          await ticket.commit({ byTopic: out.byTopic, bytes, records: handled, topic, partition, offset, member: fetchedAs });
        } else {
          await commitTransaction(await producerFor(id), () => dropProducer(id), {
            groupId,
            outputs: takeOutputs(out.byTopic),
            offsets: [{ topic, partitions: [{ partition, offset }] }],
          });
          opts.metrics?.transaction?.(handled, Number(process.hrtime.bigint() - started) / 1e9);
        }
        resolveOffset(last.offset);
        for (const [t, n] of produced) opts.metrics?.produced(t, n);
        for (const [t, eventTime] of out.eventTimes) opts.metrics?.emitted?.(t, eventTime);
        opts.metrics?.batch(topic, handled, Number(process.hrtime.bigint() - started) / 1e9);
      } else {
        ticket?.leave();
      }
      await heartbeat(); // throws when the group is rebalancing: kafkajs rejoins
      if (deferred) {
        waitUntil(topic, partition, deferred.offset, deferred.until);
        return;
      }
      if (rebalancing) return;
    }
  }

  /** Pauses a partition whose head is not due, and resumes it at the due time. */
  function waitUntil(topic: string, partition: number, offset: string, until: number): void {
    if (!consumer) return;
    consumer.pause([{ topic, partitions: [partition] }]);
    consumer.seek({ topic, partition, offset });
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!stopping) consumer?.resume([{ topic, partitions: [partition] }]);
      },
      Math.max(0, until - Date.now()),
    );
    timers.add(timer);
  }

  async function stopNow(): Promise<void> {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    const started = Date.now();
    // disconnect() lets the running batch finish (its transaction commits or aborts) and leaves the group.
    const graceful = (async () => {
      await consumer?.disconnect();
      await Promise.all([...producers.values()].map((p) => p.then((pr) => pr.disconnect()).catch(() => undefined)));
      await admin?.then((a) => a.disconnect()).catch(() => undefined);
    })().then(
      () => true,
      () => true,
    );
    const limit = opts.stopTimeoutMs ?? 20_000;
    if (await within(graceful, limit)) {
      log.info({ stage: opts.name, ms: Date.now() - started }, 'stage stopped');
    } else {
      // Whatever is open is what keeps it from ending (a broker that no longer answers, a request in retries):
      // close the connections, so that kafkajs's pending requests fail and its loops end.
      const closed = closeConnections(opts.kafka);
      const ended = await within(graceful, 5_000);
      log.warn({ stage: opts.name, limitMs: limit, closedConnections: closed, ended }, 'stage did not stop in time: connections closed');
    }
    producers.clear();
  }

  return {
    async start() {
      consumer = opts.kafka.consumer({
        groupId,
        readUncommitted: false,
        // A member that died (kill -9) keeps its partitions until its session times out: 30 s (kafkajs's default)
        // left a restarted service idle for 22–27 s. 6 s is the broker's least (group.min.session.timeout.ms),
        // with a beat each second, during long batches too.
        sessionTimeout: sessionTimeoutMs,
        rebalanceTimeout: opts.rebalanceTimeoutMs ?? 60_000,
        heartbeatInterval: sessionTimeoutMs / 6,
        // The broker still returns a record larger than this (Kafka ≥ 0.10.1): the limit only sizes ordinary fetches.
        maxBytesPerPartition: 1024 * 1024,
        // A stop waits for the fetch in flight, which the broker holds up to this long when there is nothing to read
        // (kafkajs's default, 5 s, made every stop of an idle stage last 5 s or more, past Jest's hook timeout).
        // Fetches answered as soon as a record is there (minBytes 1): waiting for 1 MiB up to 100 ms made transactions
        // 2–3 times larger and cut the broker's CPU per document by a fifth to a third (README, Performance), but a
        // killed controller then stalled the pipeline's output for 22–42 s instead of ~12 s (test:cluster): not kept.
        maxWaitTimeInMs: 500,
        retry: { retries: 10 },
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        member = { generationId: e.payload.generationId, memberId: e.payload.memberId };
        joined = true;
        generation += 1;
        opts.metrics?.rebalanced?.();
      });
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        opts.metrics?.lag?.(e.payload.topic, e.payload.partition, Number(e.payload.offsetLag));
      });
      consumer.on(consumer.events.CRASH, (e) => {
        const restart = (e.payload as { restart?: boolean }).restart;
        log.error({ err: kafkaErrorChain(e.payload.error), restart }, 'consumer crashed');
        if (!restart) crashed = true;
      });
      await consumer.connect();
      for (const topic of opts.inputTopics) await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.concurrency ?? ALL_PARTITIONS,
        eachBatch: processBatch,
      });
      log.info({ stage: opts.name, groupId, inputs: opts.inputTopics }, 'stage started');
    },
    stop() {
      stopped ??= stopNow();
      return stopped;
    },
    isReady: () => joined && !crashed,
    isLive: () => !crashed,
  };
}

/** An error that ends the batch instead of failing the record in hand (it is about the stage, not the record). */
class BatchError extends Error {
  constructor(override readonly cause: unknown) {
    super('batch failed', { cause });
  }
}

/** A chunk's encoded outputs, by topic in the order produced, and their event times. */
interface ChunkOutputs {
  byTopic: Map<string, Message[]>;
  eventTimes: [string, number][];
}

/** Whether `p` settles within `ms` (the timer does not keep the process alive). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
