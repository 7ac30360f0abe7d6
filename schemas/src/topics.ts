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
} as const;

export type PipelineTopic = (typeof PIPELINE_TOPICS)[keyof typeof PIPELINE_TOPICS];

export const pipelineSchemas: Record<PipelineTopic, Record<string, unknown>> = {
  'documents.composed': loadSchema('documents.composed.avsc'),
  'documents.signed': loadSchema('documents.signed.avsc'),
  'dmp.submissions': loadSchema('dmp.submissions.avsc'),
  'mss.messages': loadSchema('mss.messages.avsc'),
  'documents.status': loadSchema('documents.status.avsc'),
};

/** Every topic whose value is an Avro record with a registered schema. */
export function schemaOfTopic(topic: string): Record<string, unknown> | undefined {
  return (topicSchemas as Record<string, { schema: Record<string, unknown> }>)[topic]?.schema
    ?? (pipelineSchemas as Record<string, Record<string, unknown>>)[topic];
}

export const subjectOf = (topic: string): string => `${topic}-value`;
