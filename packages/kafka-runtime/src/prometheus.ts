import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { StageMetrics } from './metrics';

/** Seconds, from a fast stage (a few ms) to a record that waited through retry tiers. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60, 300, 3_600];
const BATCH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** An error code as a label: our codes are `UPPER_SNAKE`; anything else is collapsed so that labels stay bounded. */
export function codeLabel(code: string): string {
  return /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(code) ? code : 'OTHER';
}

/** What a produced record is, from the topic it went to (`<topic>.retry.<tier>`, `<topic>.dlq`). */
export function outcomeOfTopic(topic: string): 'ok' | 'retry' | 'dead-letter' {
  if (topic.endsWith('.dlq')) return 'dead-letter';
  if (/\.retry\.[^.]+$/.test(topic)) return 'retry';
  return 'ok';
}

/** A certificate holder as a label: an organisation's identifier (a FINESS: 9 letters or digits), anything else dropped. */
export function holderLabel(holder: string): string | undefined {
  return /^[0-9A-Za-z]{1,16}$/.test(holder) ? holder : undefined;
}

const DAY_MS = 86_400_000;

/** What the scrape-time gauges of a registry read (several services may share one registry): by service */
interface ScrapeState {
  /** `usage` → holder → notAfter (epoch ms), by service */
  certificates: Map<string, Map<string, Map<string, number>>>;
  /** count and start of the oldest undelivered item, by service */
  undelivered: Map<string, { count: number; oldestSinceMs: number | undefined }>;
}
const scrapeStates = new WeakMap<Registry, ScrapeState>();

export interface PrometheusMetricsOptions {
  /** The registry to register in (injected; never prom-client's global one). Default: a new registry. */
  registry?: Registry;
  /** Also collect the process's metrics (resident memory, CPU, event-loop lag, GC) in this registry (default true) */
  defaultMetrics?: boolean;
}

export interface PrometheusStageMetrics extends StageMetrics {
  readonly registry: Registry;
  /** The Prometheus exposition text of the registry (for `/metrics`) */
  text(): Promise<string>;
}

/**
 * A stage's metrics in a Prometheus registry, every series labelled with the service. Several services may share a
 * registry (all of them in one process: the demo, the load tool): a metric already registered by another service is
 * reused, and their series differ by the `service` label.
 *
 * Series (labels: service, topic, partition, outcome, code — never personal data):
 * - `passerelle_records_consumed_total{topic,outcome=ok|failed}`
 * - `passerelle_records_produced_total{topic,outcome=ok|retry|dead-letter}`
 * - `passerelle_failures_total{topic,code,outcome=retry|dead-letter}`: retries and dead letters by error code
 * - `passerelle_batch_duration_seconds{topic}` and `passerelle_batch_records{topic}`: processing time and input records
 *   of a chunk of one input partition (handled, then committed in a transaction)
 * - `passerelle_transaction_records`: input records per transaction (its count: the transactions; one per chunk, or one
 *   for the chunks of every partition in hand when the stage's transactions are `shared`)
 * - `passerelle_end_to_end_seconds{topic}`: event time (`occurredAt`) → output committed; on `dmp.submissions` and
 *   `mss.messages` (the router's outputs) this is the end-to-end latency of the pipeline
 * - `passerelle_delivery_seconds{destination}`: event time (`occurredAt`) → the destination accepted it (a gateway's
 *   delivery): the end-to-end latency of the whole pipeline, retries and waits included
 * - `passerelle_consumer_lag{topic,partition}`: records not yet consumed, measured by the consumer
 * - `passerelle_breaker_open{destination}` and `passerelle_breaker_transitions_total{destination,state}`: a gateway's
 *   breaker, once per state change
 * - `passerelle_certificate_expiry_days{usage,finess}`: days left before a pharmacy's certificate expires (negative
 *   once expired), computed at each scrape from the end of validity the service reported
 * - `passerelle_undelivered_documents` and `passerelle_oldest_undelivered_seconds`: documents not delivered yet and
 *   the age of the oldest (0 when none), computed at each scrape, as the status follower reported them
 */
export function prometheusMetrics(service: string, options: PrometheusMetricsOptions = {}): PrometheusStageMetrics {
  const registry = options.registry ?? new Registry();
  if ((options.defaultMetrics ?? true) && !registry.getSingleMetric('process_resident_memory_bytes')) {
    collectDefaultMetrics({ register: registry });
  }
  const once = <M extends Metric>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  const registers = [registry];
  const consumed = once(
    'passerelle_records_consumed_total',
    () =>
      new Counter({
        name: 'passerelle_records_consumed_total',
        help: 'Input records handled, by outcome (failed: sent to a retry tier or dead letters)',
        labelNames: ['service', 'topic', 'outcome'],
        registers,
      }),
  );
  const produced = once(
    'passerelle_records_produced_total',
    () =>
      new Counter({
        name: 'passerelle_records_produced_total',
        help: 'Records committed to an output topic, by outcome (ok, retry, dead-letter)',
        labelNames: ['service', 'topic', 'outcome'],
        registers,
      }),
  );
  const failures = once(
    'passerelle_failures_total',
    () =>
      new Counter({
        name: 'passerelle_failures_total',
        help: 'Failed input records by error code and where they went (retry tier or dead letters)',
        labelNames: ['service', 'topic', 'code', 'outcome'],
        registers,
      }),
  );
  const batchSeconds = once(
    'passerelle_batch_duration_seconds',
    () =>
      new Histogram({
        name: 'passerelle_batch_duration_seconds',
        help: 'Processing time of one chunk of an input partition: handle the records, produce, commit with the offsets',
        labelNames: ['service', 'topic'],
        buckets: BATCH_BUCKETS,
        registers,
      }),
  );
  const batchRecords = once(
    'passerelle_batch_records',
    () =>
      new Histogram({
        name: 'passerelle_batch_records',
        help: 'Input records per chunk of an input partition',
        labelNames: ['service', 'topic'],
        buckets: [1, 5, 10, 25, 50, 100, 200, 500],
        registers,
      }),
  );
  const transactionRecords = once(
    'passerelle_transaction_records',
    () =>
      new Histogram({
        name: 'passerelle_transaction_records',
        help: 'Input records per transaction',
        labelNames: ['service'],
        buckets: [1, 5, 10, 25, 50, 100, 200, 500, 1000],
        registers,
      }),
  );
  const endToEnd = once(
    'passerelle_end_to_end_seconds',
    () =>
      new Histogram({
        name: 'passerelle_end_to_end_seconds',
        help: "Event time (occurredAt) to the output's commit, by output topic",
        labelNames: ['service', 'topic'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
  );
  const delivery = once(
    'passerelle_delivery_seconds',
    () =>
      new Histogram({
        name: 'passerelle_delivery_seconds',
        help: 'Event time (occurredAt) to its delivery (the destination accepted it), by destination: end to end',
        labelNames: ['service', 'destination'],
        buckets: [...LATENCY_BUCKETS, 6 * 3_600, 24 * 3_600],
        registers,
      }),
  );
  const lag = once(
    'passerelle_consumer_lag',
    () =>
      new Gauge({
        name: 'passerelle_consumer_lag',
        help: 'Records of an input partition not yet consumed (high watermark - 1 - last consumed offset)',
        labelNames: ['service', 'topic', 'partition'],
        registers,
      }),
  );
  const breakerOpen = once(
    'passerelle_breaker_open',
    () =>
      new Gauge({
        name: 'passerelle_breaker_open',
        help: 'A destination judged down: 1 while its breaker is open (the partitions wait instead of cycling records through the retry tiers)',
        labelNames: ['service', 'destination'],
        registers,
      }),
  );
  const breakerChanges = once(
    'passerelle_breaker_transitions_total',
    () =>
      new Counter({
        name: 'passerelle_breaker_transitions_total',
        help: 'Breaker state changes by destination and new state (open, closed)',
        labelNames: ['service', 'destination', 'state'],
        registers,
      }),
  );
  let state = scrapeStates.get(registry);
  if (!state) scrapeStates.set(registry, (state = { certificates: new Map(), undelivered: new Map() }));
  const scrape = state;
  once(
    'passerelle_certificate_expiry_days',
    () =>
      new Gauge({
        name: 'passerelle_certificate_expiry_days',
        help: "Days left before a pharmacy's certificate expires (negative once expired), by use (sign, auth-cli) and FINESS",
        labelNames: ['service', 'usage', 'finess'],
        registers,
        collect() {
          this.reset();
          const now = Date.now();
          for (const [svc, usages] of scrape.certificates) {
            for (const [usage, holders] of usages) {
              for (const [finess, notAfter] of holders) {
                this.set({ service: svc, usage, finess }, Math.round(((notAfter - now) / DAY_MS) * 100) / 100);
              }
            }
          }
        },
      }),
  );
  once(
    'passerelle_undelivered_documents',
    () =>
      new Gauge({
        name: 'passerelle_undelivered_documents',
        help: 'Documents whose statuses show them not delivered yet (composed, signed, routed, retrying, waiting for a certificate)',
        labelNames: ['service'],
        registers,
        collect() {
          this.reset();
          for (const [svc, u] of scrape.undelivered) this.set({ service: svc }, u.count);
        },
      }),
  );
  once(
    'passerelle_oldest_undelivered_seconds',
    () =>
      new Gauge({
        name: 'passerelle_oldest_undelivered_seconds',
        help: 'Age of the oldest document not delivered yet, from its first status (0 when every document is delivered or final)',
        labelNames: ['service'],
        registers,
        collect() {
          this.reset();
          const now = Date.now();
          for (const [svc, u] of scrape.undelivered) {
            this.set({ service: svc }, u.oldestSinceMs === undefined ? 0 : Math.max(0, now - u.oldestSinceMs) / 1000);
          }
        },
      }),
  );
  /** Partitions with a lag series, by topic: removed when the group rebalances */
  const lagged = new Map<string, Set<number>>();

  return {
    registry,
    text: () => registry.metrics(),
    consumed(topic, outcome) {
      consumed.inc({ service, topic, outcome });
    },
    produced(topic, count) {
      produced.inc({ service, topic, outcome: outcomeOfTopic(topic) }, count);
    },
    failed(topic, code, outcome) {
      failures.inc({ service, topic, code: codeLabel(code), outcome });
    },
    batch(topic, records, seconds) {
      batchSeconds.observe({ service, topic }, seconds);
      batchRecords.observe({ service, topic }, records);
    },
    transaction(records) {
      transactionRecords.observe({ service }, records);
    },
    emitted(topic, eventTimeMs) {
      // A clock skew between the LGO and us must not produce negative latencies.
      endToEnd.observe({ service, topic }, Math.max(0, Date.now() - eventTimeMs) / 1000);
    },
    delivered(destination, eventTimeMs) {
      delivery.observe({ service, destination }, Math.max(0, Date.now() - eventTimeMs) / 1000);
    },
    lag(topic, partition, records) {
      lagged.set(topic, (lagged.get(topic) ?? new Set()).add(partition));
      lag.set({ service, topic, partition: String(partition) }, Math.max(0, records));
    },
    breaker(destination, open) {
      breakerOpen.set({ service, destination }, open ? 1 : 0);
      breakerChanges.inc({ service, destination, state: open ? 'open' : 'closed' });
    },
    rebalanced() {
      for (const [topic, partitions] of lagged) {
        for (const partition of partitions) lag.remove({ service, topic, partition: String(partition) });
      }
      lagged.clear();
    },
    certificates(usage, notAfterByHolder) {
      const holders = new Map<string, number>();
      for (const [holder, notAfter] of notAfterByHolder) {
        const label = holderLabel(holder);
        if (label !== undefined && Number.isFinite(notAfter)) holders.set(label, notAfter);
      }
      const usages = scrape.certificates.get(service) ?? new Map<string, Map<string, number>>();
      usages.set(usage, holders);
      scrape.certificates.set(service, usages);
    },
    undelivered(count, oldestSinceMs) {
      scrape.undelivered.set(service, { count, oldestSinceMs });
    },
  };
}
