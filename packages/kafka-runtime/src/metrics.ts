/**
 * What a stage reports; the service decides where (Prometheus: see `prometheusMetrics` in ./prometheus). Every
 * argument is a topic name, a partition number, an error code, an outcome or a number: nothing about a record's
 * content, so no implementation can put personal data in a label.
 */
export interface StageMetrics {
  consumed(topic: string, outcome: 'ok' | 'failed'): void;
  produced(topic: string, count: number): void;
  failed(topic: string, code: string, outcome: 'retry' | 'dead-letter'): void;
  /** One chunk of an input partition: `records` input records handled and committed in `seconds` */
  batch(topic: string, records: number, seconds: number): void;
  /**
   * One transaction: `records` input records committed (a chunk of one partition, or the chunks of every partition in
   * hand when the stage's transactions are `shared`), `seconds` from handling to commit
   */
  transaction?(records: number, seconds: number): void;
  /** A committed output carrying its event's time (`occurredAt`, epoch ms): end-to-end latency so far */
  emitted?(topic: string, eventTimeMs: number): void;
  /**
   * A destination accepted what a gateway sent (the DMP's RegistryResponse, an MSSanté recipient's 250), for an event
   * of time `eventTimeMs` (epoch ms): the pipeline's end-to-end latency, event → delivery
   */
  delivered?(destination: string, eventTimeMs: number): void;
  /** Records of an input partition not yet consumed, as the consumer saw it after a batch (high watermark − 1 − last offset) */
  lag?(topic: string, partition: number, records: number): void;
  /** A gateway's breaker for `destination` opened or closed (called once per change, never per record) */
  breaker?(destination: string, open: boolean): void;
  /** The consumer (re)joined its group: per-partition figures of partitions it no longer owns are stale */
  rebalanced?(): void;
  /**
   * The certificates the service holds for one use (`sign`, `auth-cli`…): each holder's identifier (a pharmacy's
   * FINESS, never a person's) with the end of its certificate's validity (epoch ms). Replaces what was reported for
   * that use, so a removed holder disappears. Called by the service on a timer, never per record.
   */
  certificates?(usage: string, notAfterByHolder: ReadonlyMap<string, number>): void;
  /**
   * Items not yet delivered, as a follower of their statuses sees them: how many, and when the oldest began (epoch ms;
   * undefined when there is none). Called when the figures change or on a timer, never with an item's identity.
   */
  undelivered?(count: number, oldestSinceMs: number | undefined): void;
}

/** How often, by default, a service reports the certificates it holds ({@link reportCertificates}). */
export const CERTIFICATE_REPORT_MS = 60_000;

/**
 * Reports the certificates a service holds, after `firstAfterMs` (default now) and every `everyMs` (timers that keep
 * no process alive): for each use, its holders' ends of validity (see {@link StageMetrics.certificates}). A source
 * that throws reports nothing that round. Returns the function that stops it.
 */
export function reportCertificates(
  metrics: StageMetrics | undefined,
  sources: Record<string, () => ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>>>,
  everyMs = CERTIFICATE_REPORT_MS,
  firstAfterMs = 0,
): () => void {
  if (!metrics?.certificates) return () => undefined;
  let running = false;
  const report = async () => {
    if (running) return; // a round still reading its files (thousands of pharmacies): the next one can wait
    running = true;
    for (const [usage, source] of Object.entries(sources)) {
      try {
        metrics.certificates?.(usage, await source());
      } catch {
        // the next round tries again; a certificate's own problem is reported by the record that needs it
      }
    }
    running = false;
  };
  const first = setTimeout(() => void report(), Math.min(firstAfterMs, everyMs));
  const timer = setInterval(() => void report(), everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
