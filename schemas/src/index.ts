import avro from 'avsc';
import type { EventFamily, EventTopic } from './catalogue';
import { EVENT_TOPICS, topicSchemas } from './topics';
import type {
  DispensationEvent,
  DispensationEventInput,
  MedicationReviewEvent,
  MedicationReviewEventInput,
  VaccinationEvent,
  VaccinationEventInput,
} from './generated/types';

export * from './generated/types';
export * from './catalogue';
export * from './topics';

/** The decoded event carried by each LGO topic. */
export interface EventByTopic {
  'lgo.vaccination.v1': VaccinationEvent;
  'lgo.dispensation.v1': DispensationEvent;
  'lgo.medication-review.v1': MedicationReviewEvent;
}
export interface EventInputByTopic {
  'lgo.vaccination.v1': VaccinationEventInput;
  'lgo.dispensation.v1': DispensationEventInput;
  'lgo.medication-review.v1': MedicationReviewEventInput;
}

/** The decoded event of each family. */
export interface EventByFamily {
  vaccination: VaccinationEvent;
  dispensation: DispensationEvent;
  medicationReview: MedicationReviewEvent;
}
// Both tables cover every family of the catalogue, and no other (a new family fails here until it has its types).
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const coversFamilies: Exactly<keyof EventByFamily, EventFamily> & Exactly<keyof EventByTopic, EventTopic> = true;
void coversFamilies;

/** Any LGO event, tagged with the topic it travels on. */
export type LgoEvent =
  | { topic: 'lgo.vaccination.v1'; event: VaccinationEvent }
  | { topic: 'lgo.dispensation.v1'; event: DispensationEvent }
  | { topic: 'lgo.medication-review.v1'; event: MedicationReviewEvent };

const types = new Map<string, avro.Type>();

/** The avsc type of a topic's value schema (parsed once). */
export function avroType(topic: EventTopic): avro.Type {
  let t = types.get(topic);
  if (!t) {
    t = avro.Type.forSchema(topicSchemas[topic].schema as avro.Schema);
    types.set(topic, t);
  }
  return t;
}

export const isEventTopic = (topic: string): topic is EventTopic => topic in topicSchemas;

export const ALL_EVENT_TOPICS = Object.values(EVENT_TOPICS);
export * from './registration';
