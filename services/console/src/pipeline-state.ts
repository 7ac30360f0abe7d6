import http from 'node:http';
import https from 'node:https';
import {
  listDeadLetters,
  matchStatus,
  replayDeadLetters,
  stageInputs,
  UsageView,
  type DeadLetter,
  type ReplayFilter,
  type StatusMatch,
  type TopicNames,
  type UsageFilter,
  type UsageReport,
} from '@passerelle/pipeline';
import type { RegistryCodec, RetryTier } from '@passerelle/kafka-runtime';
import { STAGES, type StageName } from '@passerelle/schemas';
import type { Kafka } from 'kafkajs';

/** What the overview shows, each figure from where the pipeline really exposes it. */
export interface Overview {
  /** Statuses written per stage in the last 5 minutes and the last hour (from `documents.status`) */
  throughput: { stage: string; last5m: number; last1h: number }[];
  /** Documents by current state (from `documents.status`) */
  states: Record<string, number>;
  documents: number;
  /** Per stage: records of its inputs not yet committed by its consumer group (Kafka's group offsets), null if unknown */
  lag: { stage: string; records: number | null }[];
  /** Dead letters not yet replayed, by error code */
  deadLetters: Record<string, number>;
  /** Per destination, from the gateways' `passerelle_breaker_open`; empty when no metrics endpoint is configured */
  breakers: { stage: string; destination: string; open: boolean }[];
  /** Metrics endpoints that did not answer */
  unreachable: string[];
}

/** Fetches a Prometheus endpoint's text, or undefined after `timeoutMs`. */
function fetchText(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? https : http).get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** `passerelle_breaker_open{service="…",destination="dmp"} 1` lines of a Prometheus text exposition. */
export function breakersOf(text: string): { destination: string; open: boolean }[] {
  const out: { destination: string; open: boolean }[] = [];
  for (const line of text.split('\n')) {
    const m = /^passerelle_breaker_open\{([^}]*)\}\s+(\S+)/.exec(line);
    const destination = m && /destination="([^"]*)"/.exec(m[1] as string)?.[1];
    if (m && destination) out.push({ destination, open: Number(m[2]) > 0 });
  }
  return out;
}

/**
 * The console's view of the pipeline: one consumer of `documents.status` (UsageView: the documents' statuses and the
 * usage counters, rebuilt from the compacted topic at start), and reads on demand for the rest (dead letters, the
 * consumer groups' offsets, the services' metrics).
 */
export class PipelineState {
  readonly view: UsageView;

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: RegistryCodec,
    readonly topics: TopicNames,
    private readonly opts: { prefix: string; tiers: RetryTier[]; metrics: { stage: string; url: string }[]; now?: () => number },
  ) {
    this.view = new UsageView(kafka, codec, topics.status);
  }

  async start(): Promise<void> {
    await this.view.start();
  }

  async stop(): Promise<void> {
    await this.view.stop();
  }

  search(query: string): StatusMatch {
    return matchStatus(this.view.ledger.statuses(), query);
  }

  usage(filter: UsageFilter): UsageReport {
    return this.view.ledger.report(filter);
  }

  deadLetters(): Promise<DeadLetter[]> {
    return listDeadLetters(this.kafka, this.codec, this.topics);
  }

  replay(filter: ReplayFilter): Promise<DeadLetter[]> {
    return replayDeadLetters(this.kafka, this.codec, this.topics, filter);
  }

  async overview(): Promise<Overview> {
    const now = (this.opts.now ?? Date.now)();
    const statuses = [...this.view.ledger.statuses().values()];
    const states: Record<string, number> = {};
    const perStage = new Map<string, { last5m: number; last1h: number }>();
    for (const s of statuses) {
      states[s.state] = (states[s.state] ?? 0) + 1;
      for (const h of s.history) {
        const age = now - h.at;
        if (age > 3_600_000) continue;
        const c = perStage.get(h.stage) ?? { last5m: 0, last1h: 0 };
        c.last1h += 1;
        if (age <= 300_000) c.last5m += 1;
        perStage.set(h.stage, c);
      }
    }
    const stages = Object.keys(STAGES) as StageName[];
    const [lag, letters, scraped] = await Promise.all([
      Promise.all(stages.map(async (stage) => ({ stage, records: await this.lagOf(stage) }))),
      this.deadLetters(),
      Promise.all(this.opts.metrics.map(async (m) => ({ ...m, text: await fetchText(m.url) }))),
    ]);
    const deadLetters: Record<string, number> = {};
    for (const d of letters) if (!d.replayed) deadLetters[d.errorCode] = (deadLetters[d.errorCode] ?? 0) + 1;
    return {
      throughput: stages.map((stage) => ({ stage, ...(perStage.get(stage) ?? { last5m: 0, last1h: 0 }) })),
      states,
      documents: statuses.length,
      lag,
      deadLetters,
      breakers: scraped.flatMap((m) => (m.text ? breakersOf(m.text).map((b) => ({ stage: m.stage, ...b })) : [])),
      unreachable: scraped.filter((m) => m.text === undefined).map((m) => m.stage),
    };
  }

  /** The records of a stage's inputs its consumer group has not committed yet; null when the group or a topic is unknown. */
  private async lagOf(stage: StageName): Promise<number | null> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const topics = stageInputs(stage, this.topics, this.opts.tiers);
      const committed = await admin.fetchOffsets({ groupId: `${this.opts.prefix}passerelle-${stage}`, topics });
      let lag = 0;
      let known = false;
      for (const t of committed) {
        const ends = await admin.fetchTopicOffsets(t.topic);
        for (const p of t.partitions) {
          const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
          if (Number(p.offset) >= 0) {
            known = true;
            lag += Math.max(0, end - Number(p.offset));
          } else {
            const low = Number(ends.find((e) => e.partition === p.partition)?.low ?? 0);
            lag += Math.max(0, end - low);
          }
        }
      }
      return known ? lag : null;
    } catch {
      return null;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
