import {
  avroType,
  familiesOfEvent,
  FAMILIES,
  isEventTopic,
  topicSchemas,
  type EventByTopic,
  type EventTopic,
  EVENT_TOPICS,
} from '@passerelle/schemas';
import { InvalidEventError, type Violation } from './errors';
import { ruleViolations } from './event-rules';
import { schemaViolations } from './schema-check';

export interface ValidateOptions {
  /** The deployment is a test platform: INS test and demo OIDs are accepted. Default false. */
  testPlatform?: boolean;
}

/**
 * The topic of an event, told by its body field (the catalogue's `bodyField`: `vaccination`, `dispensation` or
 * `review`; medication reviews and pharmaceutical interviews share one topic). Throws {@link InvalidEventError} when
 * the body holds none or several of them.
 */
export function topicForEvent(json: unknown): EventTopic {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidEventError([{ path: '', rule: 'must be a JSON object' }]);
  }
  const found = familiesOfEvent(json);
  if (found.length !== 1 || !found[0]) {
    throw new InvalidEventError([{ path: '', rule: `must hold exactly one body field of ${FAMILIES.map((f) => f.bodyField).join(', ')}` }]);
  }
  return found[0].topic;
}

/**
 * Every problem of an event for `topic`: the Avro schema's (types, required fields, enum symbols, unknown fields),
 * then the pipeline's rules (UUID, dates, FINESS, RPPS, INS, lines, addresses, correction version). Empty when the
 * event can be published. Each item names the field's path and the rule, never the value.
 */
export function checkEvent(topic: string, json: unknown, options: ValidateOptions = {}): Violation[] {
  if (!isEventTopic(topic)) {
    return [{ path: '', rule: `topic must be one of ${Object.values(EVENT_TOPICS).join(', ')}` }];
  }
  const fromSchema = schemaViolations(avroType(topic), json);
  if (typeof json !== 'object' || json === null) return fromSchema;
  const fromRules = ruleViolations(topicSchemas[topic].family, json as Record<string, unknown>, {
    testPlatform: options.testPlatform ?? false,
  });
  // One rule per field: a field of the wrong type is not checked again by the rules.
  const reported = new Set(fromSchema.map((v) => v.path));
  return [...fromSchema, ...fromRules.filter((v) => !reported.has(v.path))];
}

/**
 * Validates an event for `topic` and returns it as a consumer will decode it: every field present, Avro defaults
 * filled in. Throws {@link InvalidEventError} listing every field that breaks a rule.
 */
export function validateEvent<T extends EventTopic>(topic: T, json: unknown, options: ValidateOptions = {}): EventByTopic[T] {
  const violations = checkEvent(topic, json, options);
  if (violations.length > 0) throw new InvalidEventError(violations, topic);
  const type = avroType(topic);
  // A write/read round trip through the schema fills the defaults exactly as a reader of the topic will see them;
  // the JSON pass turns avsc's record instances into plain objects.
  return JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(json)))) as EventByTopic[T];
}
