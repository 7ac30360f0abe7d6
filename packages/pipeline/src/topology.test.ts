import { EVENT_TOPICS, FAMILIES, PIPELINE_TOPICS, STAGES, STATES } from '@passerelle/schemas';
import { isFinal } from './status';
import { deadLetterTopics, familyOfTopic, stageInputs, stageInputTopics, topicNames, topicsToCreate } from './topology';

const tiers = [
  { name: '5s', delayMs: 5_000 },
  { name: '1m', delayMs: 60_000 },
];

describe('the topology derived from the catalogue', () => {
  const topics = topicNames('t1.');

  it('names every family topic and pipeline topic with the deployment prefix', () => {
    for (const f of FAMILIES) expect(topics[f.family]).toBe(`t1.${f.topic}`);
    for (const [role, t] of Object.entries(PIPELINE_TOPICS)) expect(topics[role as keyof typeof PIPELINE_TOPICS]).toBe(`t1.${t.name}`);
  });

  it('gives each stage the inputs the catalogue lists (the composer every family, the retrier every tier)', () => {
    expect(stageInputs('composer', topics, tiers)).toEqual(FAMILIES.map((f) => `t1.${f.topic}`));
    expect(stageInputs('signer', topics, tiers)).toEqual([topics.composed]);
    expect(stageInputs('router', topics, tiers)).toEqual([topics.signed]);
    expect(stageInputs('dmp-gateway', topics, tiers)).toEqual([topics.dmp]);
    const retrier = stageInputs('retrier', topics, tiers);
    expect(retrier).toHaveLength(stageInputTopics(topics).length * tiers.length);
    expect(retrier).toContain(`${topics.composed}.retry.1m`);
    expect(retrier.every((t) => /\.retry\.(5s|1m)$/.test(t))).toBe(true);
  });

  it('lists the stage inputs once each: they alone have retry tiers and dead letters', () => {
    const inputs = stageInputTopics(topics);
    expect(new Set(inputs).size).toBe(inputs.length);
    expect(inputs).toEqual([...FAMILIES.map((f) => topics[f.family]), topics.composed, topics.signed, topics.dmp, topics.mss]);
    expect(deadLetterTopics(topics)).toEqual(inputs.map((t) => `${t}.dlq`));
  });

  it('creates every topic once, with its retention class', () => {
    const specs = topicsToCreate(topics, tiers, 4);
    const byName = new Map(specs.map((s) => [s.topic, s]));
    expect(byName.size).toBe(specs.length);
    expect(byName.size).toBe(FAMILIES.length + Object.keys(PIPELINE_TOPICS).length + stageInputTopics(topics).length * (tiers.length + 1));
    expect(byName.get(topics.status)).toMatchObject({ partitions: 4, compacted: true });
    expect(byName.get(topics.replayed)).toMatchObject({ partitions: 1, compacted: true });
    expect(byName.get(topics.dmp)).toEqual({ topic: topics.dmp, partitions: 4 });
    expect(byName.get(`${topics.signed}.dlq`)).toMatchObject({ retentionMs: 30 * 24 * 3_600_000 });
    expect(byName.get(`${topics.signed}.retry.5s`)).toEqual({ topic: `${topics.signed}.retry.5s`, partitions: 4 });
  });

  it("tells a (prefixed) topic's family, and nothing for another topic", () => {
    expect(familyOfTopic(topics.dispensation)).toEqual({ family: 'dispensation', topic: EVENT_TOPICS.dispensation });
    expect(familyOfTopic(topics.composed)).toBeUndefined();
    expect(familyOfTopic('t1.lgo.unknown.v1')).toBeUndefined();
  });

  it('every stage reads and writes only roles the catalogue knows', () => {
    const roles = new Set<string>([...FAMILIES.map((f) => f.family), ...Object.keys(PIPELINE_TOPICS), 'events', 'retries', 'origins']);
    for (const stage of Object.values(STAGES)) for (const t of [...stage.inputs, ...stage.outputs]) expect(roles).toContain(t);
  });
});

describe('document states', () => {
  it('are final as the catalogue says; an unknown state is not final', () => {
    expect(Object.keys(STATES).filter(isFinal).sort()).toEqual(['dead-lettered', 'delivered', 'parked', 'routed']);
    expect(isFinal('waiting-for-certificate')).toBe(false);
    expect(isFinal('retrying')).toBe(false);
    expect(isFinal('no-such-state')).toBe(false);
  });
});
