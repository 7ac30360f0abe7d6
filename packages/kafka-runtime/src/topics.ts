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

/**
 * The replicas of a new topic on a cluster of `brokers` nodes: 3 from 3 brokers on, each write acknowledged by 2 of
 * them (`min.insync.replicas`, with the producers' acks=all), so one broker may be down without a write refused or a
 * record lost; on a single broker, 1 and 1.
 */
export function replicationFor(brokers: number): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = Math.max(1, Math.min(3, brokers));
  return { replicationFactor, minInsyncReplicas: Math.max(1, replicationFactor - 1) };
}

/** Creates the topics that do not exist yet (records up to 10 MiB), replicated for the cluster's size ({@link replicationFor}). */
export async function ensureTopics(admin: Admin, topics: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = topics.filter((t) => !existing.has(t.topic));
  if (wanted.length === 0) return;
  const { replicationFactor, minInsyncReplicas } = replicationFor((await admin.describeCluster()).brokers.length);
  const missing: ITopicConfig[] = wanted.map((t) => ({
    topic: t.topic,
    numPartitions: t.partitions ?? 6,
    replicationFactor,
    configEntries: [
      ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
      ...(t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : []),
      { name: 'max.message.bytes', value: String(10 * 1024 * 1024) },
      { name: 'min.insync.replicas', value: String(minInsyncReplicas) },
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
