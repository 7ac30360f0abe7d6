import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES, PIPELINE_TOPICS, type EventFamily, type EventTopic, type PipelineRole } from './catalogue';

/** Where the .avsc files live (read at run time: they are the source of truth, not a copy). */
export const AVRO_DIR = join(__dirname, '..', 'avro');

export function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(AVRO_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** Each family's LGO topic, by family (from the catalogue). The subject is `<topic>-value` (TopicNameStrategy). */
export const EVENT_TOPICS = Object.fromEntries(FAMILIES.map((f) => [f.family, f.topic])) as {
  [F in (typeof FAMILIES)[number] as F['family']]: F['topic'];
};

/** Each LGO topic with its family and value schema (`avro/<topic>.avsc`). */
export const topicSchemas = Object.fromEntries(
  FAMILIES.map((f) => [f.topic, { family: f.family, schema: loadSchema(`${f.topic}.avsc`) }]),
) as Record<EventTopic, { family: EventFamily; schema: Record<string, unknown> }>;

export type PipelineTopic = (typeof PIPELINE_TOPICS)[PipelineRole]['name'];

/** The value schema of each topic between the stages (`avro/<topic>.avsc`). */
export const pipelineSchemas = Object.fromEntries(
  Object.values(PIPELINE_TOPICS).map((t) => [t.name, loadSchema(`${t.name}.avsc`)]),
) as Record<PipelineTopic, Record<string, unknown>>;

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

/** The event topic a (possibly prefixed) topic name stands for. */
export function eventTopicOf(topic: string): EventTopic | undefined {
  return FAMILIES.find((f) => topic === f.topic || topic.endsWith(`.${f.topic}`))?.topic;
}

/**
 * The families whose body field an event holds (a well-formed event holds exactly one): how an event's family is told
 * from its content, in one place.
 */
export function familiesOfEvent(event: object): (typeof FAMILIES)[number][] {
  return FAMILIES.filter((f) => f.bodyField in event);
}

export const subjectOf = (topic: string): string => `${topic}-value`;
