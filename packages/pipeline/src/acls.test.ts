import { DEFAULT_TIERS, dlqTopic, retryTopic } from '@passerelle/kafka-runtime';
import { PIPELINE_TOPICS, STAGES, type StageName } from '@passerelle/schemas';
import { allows, pipelineAcls, PRINCIPALS, stageGroup, type AclRule, type Principal } from './acls';
import { deadLetterTopics, eventTopics, stageInputs, topicNames, topicsToCreate } from './topology';

const prefix = 'tenant.';
const tiers = DEFAULT_TIERS;
const rules = pipelineAcls({ prefix, tiers });
const topics = topicNames(prefix);
const every = topicsToCreate(topics, tiers).map((t) => t.topic);
const stages = Object.keys(STAGES) as StageName[];
const who = (op: 'read' | 'write', topic: string): Principal[] => PRINCIPALS.filter((p) => allows(rules, p, 'topic', topic, op));
const topicsOf = (principal: Principal, op: AclRule['operation']) =>
  rules.filter((r) => r.principal === principal && r.resource === 'topic' && r.operation === op).map((r) => r.name);

describe('pipelineAcls', () => {
  it('has a principal per stage of the catalogue, one for the LGO publishers and one for operators', () => {
    expect(PRINCIPALS).toEqual(['composer', 'signer', 'router', 'retrier', 'dmp-gateway', 'mss-gateway', 'lgo-publisher', 'operator']);
  });

  it('nothing but the signer and the router reads documents.signed: in the catalogue the signer writes it, only the router reads it', () => {
    expect(who('read', topics.signed)).toEqual(['router']);
  });

  it('the router cannot write documents.signed: each stream between stages has its one writer (and the retrier, which sends retries back)', () => {
    expect(allows(rules, 'router', 'topic', topics.signed, 'write')).toBe(false);
    expect(who('write', topics.composed)).toEqual(['composer', 'retrier']);
    expect(who('write', topics.signed)).toEqual(['signer', 'retrier']);
    expect(who('write', topics.dmp)).toEqual(['router', 'retrier']);
    expect(who('write', topics.mss)).toEqual(['router', 'retrier']);
    expect(who('write', topics.status)).toEqual(['composer', 'signer', 'router', 'dmp-gateway', 'mss-gateway']);
    for (const t of eventTopics(topics)) expect(who('write', t)).toEqual(['retrier', 'lgo-publisher']);
    expect(who('write', topics.replayed)).toEqual([]);
  });

  it('the publisher writes the event topics only and reads nothing', () => {
    expect(topicsOf('lgo-publisher', 'write').sort()).toEqual(eventTopics(topics).sort());
    expect(eventTopics(topics).every((t) => t.startsWith(`${prefix}lgo.`))).toBe(true);
    expect(rules.filter((r) => r.principal === 'lgo-publisher' && r.operation !== 'write')).toEqual([]);
    for (const role of Object.keys(PIPELINE_TOPICS) as (keyof typeof PIPELINE_TOPICS)[]) {
      expect(allows(rules, 'lgo-publisher', 'topic', topics[role], 'write')).toBe(false);
    }
    for (const t of every) expect(allows(rules, 'lgo-publisher', 'topic', t, 'read')).toBe(false);
  });

  it.each(stages)('%s reads exactly its inputs and its own group, and writes its outputs and failure topics', (stage) => {
    const inputs = stageInputs(stage, topics, tiers);
    expect(topicsOf(stage, 'read').sort()).toEqual([...inputs].sort());
    for (const input of inputs) {
      for (const t of [...tiers.map((tier) => retryTopic(input, tier)), dlqTopic(input)])
        expect(allows(rules, stage, 'topic', t, 'write')).toBe(true);
    }
    const groups = rules.filter((r) => r.principal === stage && r.resource === 'group');
    expect(groups).toEqual([
      { principal: stage, resource: 'group', name: `${prefix}passerelle-${stage}`, pattern: 'literal', operation: 'read' },
    ]);
    // Every topic of the deployment is described (a service checks they exist at start), never read beyond its inputs.
    for (const t of every) expect(allows(rules, stage, 'topic', t, 'describe')).toBe(true);
  });

  it.each(stages)("%s's transactional ids are its own: <group>.<topic>.<partition>, as kafka-runtime's stage makes them", (stage) => {
    const input = stageInputs(stage, topics, tiers)[0] as string;
    expect(allows(rules, stage, 'transactional-id', `${stageGroup(stage, prefix)}.${input}.0`, 'write')).toBe(true);
    for (const other of PRINCIPALS.filter((p) => p !== stage)) {
      expect(allows(rules, other, 'transactional-id', `${stageGroup(stage, prefix)}.${input}.0`, 'write')).toBe(false);
    }
    // Without the dot, a stage whose name starts like another's would share its ids.
    expect(rules.find((r) => r.principal === stage && r.resource === 'transactional-id')?.name).toBe(`${stageGroup(stage, prefix)}.`);
  });

  it('the operator writes nothing and reads no document nor event: the status, the dead letters and the replay log only', () => {
    expect(rules.filter((r) => r.principal === 'operator' && r.operation === 'write')).toEqual([]);
    expect(topicsOf('operator', 'read').sort()).toEqual([topics.status, topics.replayed, ...deadLetterTopics(topics)].sort());
    for (const t of [...eventTopics(topics), topics.composed, topics.signed, topics.dmp, topics.mss]) {
      expect(allows(rules, 'operator', 'topic', t, 'read')).toBe(false);
      expect(allows(rules, 'operator', 'topic', t, 'describe')).toBe(true);
    }
    for (const stage of stages) {
      expect(allows(rules, 'operator', 'group', stageGroup(stage, prefix), 'describe')).toBe(true);
      expect(allows(rules, 'operator', 'group', stageGroup(stage, prefix), 'read')).toBe(false);
    }
  });

  it('names only the deployment: another prefix gives no right on these topics, groups or ids', () => {
    const other = pipelineAcls({ prefix: 'other.', tiers });
    for (const r of other.filter((x) => x.resource !== 'group' || x.principal !== 'operator' || x.operation !== 'read')) {
      expect(r.name.startsWith('other.')).toBe(true);
    }
  });
});
