import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the .avsc files live (read at run time: they are the source of truth, not a copy). */
export const AVRO_DIR = join(__dirname, '..', 'avro');

export function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(AVRO_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** The LGO event topics, each with its value schema. The subject is `<topic>-value` (TopicNameStrategy). */
export const EVENT_TOPICS = {
  vaccination: 'lgo.vaccination.v1',
  dispensation: 'lgo.dispensation.v1',
  medicationReview: 'lgo.medication-review.v1',
} as const;

export type EventFamily = keyof typeof EVENT_TOPICS;
export type EventTopic = (typeof EVENT_TOPICS)[EventFamily];

export const topicSchemas: Record<EventTopic, { family: EventFamily; schema: Record<string, unknown> }> = {
  'lgo.vaccination.v1': { family: 'vaccination', schema: loadSchema('lgo.vaccination.v1.avsc') },
  'lgo.dispensation.v1': { family: 'dispensation', schema: loadSchema('lgo.dispensation.v1.avsc') },
  'lgo.medication-review.v1': { family: 'medicationReview', schema: loadSchema('lgo.medication-review.v1.avsc') },
};

/** The topics between the pipeline's stages, each with its value schema. */
export const PIPELINE_TOPICS = {
  composed: 'documents.composed',
  signed: 'documents.signed',
  dmp: 'dmp.submissions',
  mss: 'mss.messages',
  status: 'documents.status',
  replayed: 'dead-letters.replayed',
} as const;

export type PipelineTopic = (typeof PIPELINE_TOPICS)[keyof typeof PIPELINE_TOPICS];

export const pipelineSchemas: Record<PipelineTopic, Record<string, unknown>> = {
  'documents.composed': loadSchema('documents.composed.avsc'),
  'documents.signed': loadSchema('documents.signed.avsc'),
  'dmp.submissions': loadSchema('dmp.submissions.avsc'),
  'mss.messages': loadSchema('mss.messages.avsc'),
  'documents.status': loadSchema('documents.status.avsc'),
  'dead-letters.replayed': loadSchema('dead-letters.replayed.avsc'),
};

/**
 * The value schema of a topic. A deployment (or a test) may prefix every topic name (`PASSERELLE_TOPIC_PREFIX`,
 * e.g. `t42.lgo.vaccination.v1`): the schema is that of the known topic the name ends with.
 */
export function schemaOfTopic(topic: string): Record<string, unknown> | undefined {
  const events = topicSchemas as Record<string, { schema: Record<string, unknown> }>;
  const pipeline = pipelineSchemas as Record<string, Record<string, unknown>>;
  const exact = events[topic]?.schema ?? pipeline[topic];
  if (exact) return exact;
  const known = [...Object.keys(events), ...Object.keys(pipeline)].find((t) => topic.endsWith(`.${t}`));
  return known ? (events[known]?.schema ?? pipeline[known]) : undefined;
}

/** Every topic name of a deployment, with its prefix ('' by default). */
export function topicNames(prefix = '') {
  return {
    vaccination: `${prefix}${EVENT_TOPICS.vaccination}`,
    dispensation: `${prefix}${EVENT_TOPICS.dispensation}`,
    medicationReview: `${prefix}${EVENT_TOPICS.medicationReview}`,
    composed: `${prefix}${PIPELINE_TOPICS.composed}`,
    signed: `${prefix}${PIPELINE_TOPICS.signed}`,
    dmp: `${prefix}${PIPELINE_TOPICS.dmp}`,
    mss: `${prefix}${PIPELINE_TOPICS.mss}`,
    status: `${prefix}${PIPELINE_TOPICS.status}`,
    replayed: `${prefix}${PIPELINE_TOPICS.replayed}`,
  };
}
export type TopicNames = ReturnType<typeof topicNames>;

/** The event topic a (possibly prefixed) topic name stands for. */
export function eventTopicOf(topic: string): EventTopic | undefined {
  return (Object.values(EVENT_TOPICS) as EventTopic[]).find((t) => topic === t || topic.endsWith(`.${t}`));
}

export const subjectOf = (topic: string): string => `${topic}-value`;
