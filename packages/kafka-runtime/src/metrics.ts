/**
 * What a stage reports; the service decides where (Prometheus: see `prometheusMetrics` in ./prometheus). Every
 * argument is a topic name, a partition number, an error code, an outcome or a number: nothing about a record's
 * content, so no implementation can put personal data in a label.
 */
export interface StageMetrics {
  consumed(topic: string, outcome: 'ok' | 'failed'): void;
  produced(topic: string, count: number): void;
  failed(topic: string, code: string, outcome: 'retry' | 'dead-letter'): void;
  /** One transaction: `records` input records handled and committed in `seconds` */
  batch(topic: string, records: number, seconds: number): void;
  /** A committed output carrying its event's time (`occurredAt`, epoch ms): end-to-end latency so far */
  emitted?(topic: string, eventTimeMs: number): void;
  /** Records of an input partition not yet consumed, as the consumer saw it after a batch (high watermark − 1 − last offset) */
  lag?(topic: string, partition: number, records: number): void;
  /** A gateway's breaker for `destination` opened or closed (called once per change, never per record) */
  breaker?(destination: string, open: boolean): void;
  /** The consumer (re)joined its group: per-partition figures of partitions it no longer owns are stale */
  rebalanced?(): void;
}
