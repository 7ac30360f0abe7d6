import { failureTopics, type RetryTier } from '@passerelle/kafka-runtime';
import { STAGES, type StageName, type TopicRole } from '@passerelle/schemas';
import { deadLetterTopics, eventTopics, stageInputs, stageInputTopics, topicNames, topicsToCreate, type TopicNames } from './topology';

/**
 * Who may do what on a secured Kafka (SASL principals and their ACLs), derived from the catalogue as the topics are:
 * a principal per stage, one for the LGO publishers and one for operators' read-only tools (console, status, lists).
 */
export type Principal = StageName | 'lgo-publisher' | 'operator';

export const PRINCIPALS: readonly Principal[] = [...(Object.keys(STAGES) as StageName[]), 'lgo-publisher', 'operator'];

export type AclResource = 'topic' | 'group' | 'transactional-id';
/** Kafka's operations used here; READ and WRITE imply DESCRIBE (Kafka's own rule, {@link allows} follows it) */
export type AclOperation = 'read' | 'write' | 'describe';

/** One ALLOW rule: `principal` may do `operation` on the resource named `name` (exactly, or every name starting with it). */
export interface AclRule {
  principal: Principal;
  resource: AclResource;
  name: string;
  pattern: 'literal' | 'prefixed';
  operation: AclOperation;
}

/**
 * The consumer groups of the operators' tools, each a fresh `<prefix><uuid>` per read: readTopicToEnd
 * (`@passerelle/kafka-runtime`), the usage view (`usage-view.ts`), `passerelle status --follow` (scripts/passerelle.ts).
 */
export const OPERATOR_GROUP_PREFIXES = ['read-to-end-', 'usage-view-', 'passerelle-follow-'] as const;

/** A stage's consumer group (kafka-runtime's runService); its transactional ids start with `<group>.` (stage.ts: `<group>.<topic>.<partition>`, or `<group>.<host>.<pid>.<n>` when shared). */
export const stageGroup = (stage: StageName, prefix = ''): string => `${prefix}passerelle-${stage}`;
const STAGE_GROUPS = (prefix: string): string => `${prefix}passerelle-`;

/** The topics a stage writes: its catalogue outputs (`origins`: every stage's input) and its inputs' retry tiers and dead letters. */
export function stageOutputs(stage: StageName, topics: TopicNames, tiers: RetryTier[]): string[] {
  const outputs = (STAGES[stage].outputs as readonly string[]).flatMap((o) =>
    o === 'origins' ? stageInputTopics(topics) : [topics[o as TopicRole]],
  );
  return [...new Set([...outputs, ...failureTopics(stageInputs(stage, topics, tiers), tiers)])];
}

/**
 * The ACLs of a deployment (every topic and group name starting with `prefix`), least privilege:
 * - a stage READs its inputs and its group, WRITEs its outputs, its failure topics and its transactional ids (the
 *   PREFIXED `<group>.`), and DESCRIBEs every topic of the deployment (a service checks at start that they exist:
 *   topic names and partitions only, no record);
 * - the LGO publisher WRITEs the event topics, nothing else (its idempotent producer needs no cluster permission since
 *   Kafka 3.0: a WRITE on any topic is enough, KIP-679);
 * - the operator READs the status, the dead letters and the replay log, DESCRIBEs every topic (end offsets, for lag)
 *   and the stages' groups (their committed offsets), and reads with its own tools' groups; it writes nothing and reads
 *   no document nor event topic.
 */
export function pipelineAcls(opts: { prefix?: string; tiers: RetryTier[] }): AclRule[] {
  const prefix = opts.prefix ?? '';
  const topics = topicNames(prefix);
  const all = topicsToCreate(topics, opts.tiers).map((t) => t.topic);
  const rules: AclRule[] = [];
  const add = (
    principal: Principal,
    resource: AclResource,
    operation: AclOperation,
    names: string[],
    pattern: AclRule['pattern'] = 'literal',
  ) => {
    for (const name of names) rules.push({ principal, resource, name, pattern, operation });
  };
  for (const stage of Object.keys(STAGES) as StageName[]) {
    const group = stageGroup(stage, prefix);
    add(stage, 'topic', 'read', stageInputs(stage, topics, opts.tiers));
    add(stage, 'group', 'read', [group]);
    add(stage, 'topic', 'write', stageOutputs(stage, topics, opts.tiers));
    add(stage, 'transactional-id', 'write', [`${group}.`], 'prefixed');
    add(stage, 'topic', 'describe', all);
  }
  add('lgo-publisher', 'topic', 'write', eventTopics(topics));
  add('operator', 'topic', 'read', [topics.status, topics.replayed, ...deadLetterTopics(topics)]);
  add('operator', 'topic', 'describe', all);
  add('operator', 'group', 'describe', [STAGE_GROUPS(prefix)], 'prefixed');
  add('operator', 'group', 'read', [...OPERATOR_GROUP_PREFIXES], 'prefixed');
  return rules;
}

/** Whether `rules` let `principal` do `operation` on a resource (Kafka's matching: literal or prefixed; READ/WRITE imply DESCRIBE). */
export function allows(rules: AclRule[], principal: Principal, resource: AclResource, name: string, operation: AclOperation): boolean {
  return rules.some(
    (r) =>
      r.principal === principal &&
      r.resource === resource &&
      (r.pattern === 'literal' ? r.name === name : name.startsWith(r.name)) &&
      (r.operation === operation || (operation === 'describe' && (r.operation === 'read' || r.operation === 'write'))),
  );
}
