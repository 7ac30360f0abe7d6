import type { Admin, ITopicConfig } from 'kafkajs';

/** Retry tiers: `<topic>.retry.<name>` topics, each with its delay. */
export interface RetryTier {
  name: string;
  delayMs: number;
}

export const DEFAULT_TIERS: RetryTier[] = [
  { name: '5s', delayMs: 5_000 },
  { name: '1m', delayMs: 60_000 },
  { name: '10m', delayMs: 600_000 },
  { name: '1h', delayMs: 3_600_000 },
];

/** Parses `5s,1m,10m,1h` (ms, s, m, h units). */
export function parseTiers(spec: string): RetryTier[] {
  return spec.split(',').map((part) => {
    const m = /^\s*(\d+)(ms|s|m|h)\s*$/.exec(part);
    if (!m) throw new Error(`retry tiers: "${part}" is not a duration like 500ms, 5s, 1m or 1h`);
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    return { name: `${m[1]}${m[2]}`, delayMs: Number(m[1]) * unit };
  });
}

export const retryTopic = (topic: string, tier: RetryTier): string => `${topic}.retry.${tier.name}`;
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** A topic to create: its name and settings (partitions default to 6). */
export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** cleanup.policy=compact */
  compacted?: boolean;
  /** retention.ms (default: the broker's) */
  retentionMs?: number;
}

/** Creates the topics that do not exist yet (records up to 10 MiB). */
export async function ensureTopics(admin: Admin, topics: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = topics
    .filter((t) => !existing.has(t.topic))
    .map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions ?? 6,
      replicationFactor: 1,
      configEntries: [
        ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
        ...(t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : []),
        { name: 'max.message.bytes', value: String(10 * 1024 * 1024) },
      ],
    }));
  if (missing.length > 0) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (err) {
      // Another process created some of them meanwhile: fine, as long as they all exist now.
      const now = new Set(await admin.listTopics());
      if (!missing.every((t) => now.has(t.topic))) throw err;
    }
  }
}

/** The topics a stage reading `inputs` writes its failures to. */
export function failureTopics(inputs: string[], tiers: RetryTier[]): string[] {
  return inputs.flatMap((t) => [...tiers.map((tier) => retryTopic(t, tier)), dlqTopic(t)]);
}
