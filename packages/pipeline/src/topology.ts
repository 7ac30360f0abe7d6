import { dlqTopic, retryTopic, type RetryTier, type TopicSpec } from '@passerelle/kafka-runtime';
import {
  FAMILIES,
  PIPELINE_TOPICS,
  STAGES,
  type EventFamily,
  type EventTopic,
  type PipelineRole,
  type RetentionClass,
  type StageName,
  type TopicRole,
} from '@passerelle/schemas';

/** Every topic of a deployment by its role (each family's, and the pipeline's), with the deployment's prefix. */
export type TopicNames = Record<TopicRole, string>;

/** The topic names of a deployment whose every topic starts with `prefix` ('' by default). */
export function topicNames(prefix = ''): TopicNames {
  const names: Partial<TopicNames> = {};
  for (const f of FAMILIES) names[f.family] = `${prefix}${f.topic}`;
  for (const [role, t] of Object.entries(PIPELINE_TOPICS) as [PipelineRole, { name: string }][]) names[role] = `${prefix}${t.name}`;
  return names as TopicNames;
}

/** Every family's topic of a deployment. */
export const eventTopics = (topics: TopicNames): string[] => FAMILIES.map((f) => topics[f.family]);

/** The family of a (possibly prefixed) LGO topic, or undefined: the one place a topic name is read back. */
export function familyOfTopic(topic: string): { family: EventFamily; topic: EventTopic } | undefined {
  const f = FAMILIES.find((x) => topic === x.topic || topic.endsWith(`.${x.topic}`));
  return f ? { family: f.family, topic: f.topic } : undefined;
}

/** The topics a stage consumes, in the catalogue's order (the retrier: every retry tier of every stage's input). */
export function stageInputs(stage: StageName, topics: TopicNames, tiers: RetryTier[]): string[] {
  return (STAGES[stage].inputs as readonly string[]).flatMap((input) => {
    if (input === 'events') return eventTopics(topics);
    if (input === 'retries') return stageInputTopics(topics).flatMap((t) => tiers.map((tier) => retryTopic(t, tier)));
    return [topics[input as TopicRole]];
  });
}

/** The topics the stages consume from (not the retrier's tiers): each has retry tiers and dead letters. */
export function stageInputTopics(topics: TopicNames): string[] {
  const inputs = new Set<string>();
  for (const stage of Object.values(STAGES)) {
    for (const input of stage.inputs as readonly string[]) {
      if (input === 'events') eventTopics(topics).forEach((t) => inputs.add(t));
      else if (input !== 'retries') inputs.add(topics[input as TopicRole]);
    }
  }
  return [...inputs];
}

/** The dead-letter topics of a deployment. */
export const deadLetterTopics = (topics: TopicNames): string[] => stageInputTopics(topics).map(dlqTopic);

/** The settings of each retention class. */
export const RETENTION: Record<RetentionClass, Omit<TopicSpec, 'topic' | 'partitions'>> = {
  stream: {},
  compacted: { compacted: true },
  retry: {},
  'dead-letter': { retentionMs: 30 * 24 * 3_600_000 },
};

/** Every topic of a deployment with its settings: what the services create at start when missing. */
export function topicsToCreate(topics: TopicNames, tiers: RetryTier[], partitions = 6): TopicSpec[] {
  const spec = (topic: string, retention: RetentionClass, n = partitions): TopicSpec => ({ topic, partitions: n, ...RETENTION[retention] });
  return [
    ...FAMILIES.map((f) => spec(topics[f.family], 'stream')),
    ...(Object.entries(PIPELINE_TOPICS) as [PipelineRole, { retention: RetentionClass; partitions?: number }][]).map(([role, t]) =>
      spec(topics[role], t.retention, t.partitions ?? partitions),
    ),
    ...stageInputTopics(topics).flatMap((t) => [
      ...tiers.map((tier) => spec(retryTopic(t, tier), 'retry')),
      spec(dlqTopic(t), 'dead-letter'),
    ]),
  ];
}
