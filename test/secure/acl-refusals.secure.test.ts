/**
 * Each principal, connected over SASL_SSL as a service is (configuration only), is refused what is not its own: a
 * topic it does not read or write, another stage's group or transactional ids. The refusal is Kafka's authorization
 * error by its type, within a bound; a stage refused ends its consumer for good with one log line naming the type.
 */
import { createKafka, createStage, ensureTopics, type InputRecord, type OutputRecord, type Stage } from '@passerelle/kafka-runtime';
import { allows, pipelineAcls, pipelineCodec, stageGroup, topicNames, type AclResource, type Principal } from '@passerelle/pipeline';
import type { StageName } from '@passerelle/schemas';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { aclEntry } from '../../scripts/secure-stack';
import { clientAs, PREFIX, secureSettings, TIERS } from './secure-stack';

const topics = topicNames(PREFIX);
const rules = pipelineAcls({ prefix: PREFIX, tiers: TIERS });
/** A refusal comes within this (a refusal that waited for a timeout or a retry loop would not). */
const BOUND_MS = 15_000;
const AUTHORIZATION_ERROR = /\b(TOPIC|GROUP|TRANSACTIONAL_ID|CLUSTER)_AUTHORIZATION_FAILED\b/;
const txnId = (stage: StageName) => `${stageGroup(stage, PREFIX)}.${topics.composed}.0`;

interface Outcome {
  /** The Kafka error type, or `allowed` */
  error: string;
  ms: number;
  /** For a stage: how many 'consumer crashed' lines it logged, and whether kafkajs was to restart it */
  crashes?: number;
  restart?: boolean;
  /** The stage's crash line as logged */
  line?: string;
}

const typeOf = (err: unknown): string => {
  const chain: string[] = [];
  for (let e = err as { type?: string; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    chain.push(`${e.type ?? ''} ${e.message ?? ''}`);
    if (chain.length > 5) break;
  }
  return AUTHORIZATION_ERROR.exec(chain.join(' '))?.[0] ?? `unexpected: ${chain.join(' ← ').slice(0, 200)}`;
};

/**
 * Reads `topic` with a stage of the runtime in `group`, until its consumer ends (or the bound passes); `handle` says
 * what each record becomes (nothing by default).
 */
async function readAsStage(
  kafka: Kafka,
  principal: Principal,
  topic: string,
  group: string,
  handle: (r: InputRecord<Buffer>) => OutputRecord[] = () => [],
): Promise<Outcome> {
  const lines: { msg: string; err?: string; restart?: boolean; raw: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push({ ...JSON.parse(l), raw: l.trim() }) });
  const stage: Stage = createStage({
    name: principal,
    groupId: group,
    kafka,
    codec: pipelineCodec(secureSettings().registryUrl),
    inputTopics: [topic],
    raw: true,
    tiers: TIERS,
    logger,
    handle,
    stopTimeoutMs: 5_000,
  });
  const started = Date.now();
  try {
    await stage.start();
    while (stage.isLive() && Date.now() - started < BOUND_MS) await new Promise((r) => setTimeout(r, 50));
    const ms = Date.now() - started;
    if (stage.isLive()) return { error: 'allowed', ms };
    // Long enough for a restart to show (kafkajs restarts a consumer after its retry time, 300 ms at first).
    await new Promise((r) => setTimeout(r, 2_000));
    const crashes = lines.filter((l) => l.msg === 'consumer crashed');
    return {
      error: typeOf({ message: crashes[0]?.err }),
      ms,
      crashes: crashes.length,
      restart: crashes[0]?.restart,
      line: crashes[0]?.raw,
    };
  } finally {
    await stage.stop();
  }
}

async function writeTo(kafka: Kafka, topic: string): Promise<Outcome> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const started = Date.now();
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'acl-test', value: 'not for this principal' }] });
    return { error: 'allowed', ms: Date.now() - started };
  } catch (err) {
    return { error: typeOf(err), ms: Date.now() - started };
  } finally {
    await producer.disconnect();
  }
}

async function transactWith(kafka: Kafka, transactionalId: string): Promise<Outcome> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  const started = Date.now();
  try {
    await producer.connect();
    const txn = await producer.transaction();
    await txn.abort();
    return { error: 'allowed', ms: Date.now() - started };
  } catch (err) {
    return { error: typeOf(err), ms: Date.now() - started };
  } finally {
    await producer.disconnect();
  }
}

interface Attempt {
  principal: Principal;
  what: string;
  /** What the derivation says is refused (checked against the ACLs, so that the table tests what they grant) */
  refused: [AclResource, string, 'read' | 'write'];
  expected: string;
  run: (kafka: Kafka) => Promise<Outcome>;
}

const read = (principal: Principal, topic: string, group: string): Attempt => ({
  principal,
  what: `read ${topic} (group ${group})`,
  refused: ['topic', topic, 'read'],
  expected: 'TOPIC_AUTHORIZATION_FAILED',
  run: (kafka) => readAsStage(kafka, principal, topic, group),
});
const join = (principal: Principal, group: string, topic: string): Attempt => ({
  principal,
  what: `join group ${group}`,
  refused: ['group', group, 'read'],
  expected: 'GROUP_AUTHORIZATION_FAILED',
  run: (kafka) => readAsStage(kafka, principal, topic, group),
});
const write = (principal: Principal, topic: string): Attempt => ({
  principal,
  what: `write ${topic}`,
  refused: ['topic', topic, 'write'],
  expected: 'TOPIC_AUTHORIZATION_FAILED',
  run: (kafka) => writeTo(kafka, topic),
});
const transact = (principal: Principal, id: string): Attempt => ({
  principal,
  what: `transactional id ${id}`,
  refused: ['transactional-id', id, 'write'],
  expected: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  run: (kafka) => transactWith(kafka, id),
});

/** A group the publisher is given for these tests, so that its read of lgo.* meets the topic's ACL, not the group's. */
const PUBLISHER_PROBE_GROUP = `${PREFIX}acl-test-lgo-publisher`;
/**
 * A topic the publisher is given READ on for these tests, with a record: a stage run as the publisher in the probe
 * group can read it and write lgo.*, and meets the one thing missing, the WRITE on its transactional ids (a stage
 * whose ids were left out of the ACLs).
 */
const PUBLISHER_PROBE_INPUT = `${PREFIX}acl-test-input`;

const own = (stage: StageName) => stageGroup(stage, PREFIX);
const ATTEMPTS: Attempt[] = [
  read('composer', topics.signed, own('composer')),
  join('composer', own('signer'), topics.vaccination),
  write('composer', topics.signed),
  transact('composer', txnId('signer')),
  read('signer', topics.vaccination, own('signer')),
  join('signer', own('composer'), topics.composed),
  write('signer', topics.dmp),
  transact('signer', txnId('router')),
  read('router', topics.composed, own('router')),
  join('router', own('signer'), topics.signed),
  write('router', topics.signed),
  {
    // The same refusal met by the router's stage itself, in the transaction of a batch: its consumer ends for good.
    principal: 'router',
    what: `its stage writes ${topics.signed}`,
    refused: ['topic', topics.signed, 'write'],
    expected: 'TOPIC_AUTHORIZATION_FAILED',
    run: async (kafka) => {
      // A record for the router's stage to read, from the signed documents' writer.
      expect(await writeTo(clientAs('signer', pino({ level: 'silent' })), topics.signed)).toMatchObject({ error: 'allowed' });
      return readAsStage(kafka, 'router', topics.signed, own('router'), (r) => [{ topic: topics.signed, key: r.key, value: r.raw.value }]);
    },
  },
  transact('router', txnId('signer')),
  read('retrier', topics.signed, own('retrier')),
  join('retrier', own('router'), `${topics.signed}.retry.2s`),
  write('retrier', topics.status),
  transact('retrier', txnId('composer')),
  read('dmp-gateway', topics.mss, own('dmp-gateway')),
  join('dmp-gateway', own('mss-gateway'), topics.dmp),
  write('dmp-gateway', topics.dmp),
  transact('dmp-gateway', txnId('router')),
  read('mss-gateway', topics.dmp, own('mss-gateway')),
  join('mss-gateway', own('dmp-gateway'), topics.mss),
  write('mss-gateway', topics.mss),
  transact('mss-gateway', txnId('router')),
  read('lgo-publisher', topics.vaccination, PUBLISHER_PROBE_GROUP),
  read('lgo-publisher', topics.medicationReview, PUBLISHER_PROBE_GROUP),
  join('lgo-publisher', `${PREFIX}lgo-reader`, topics.vaccination),
  {
    principal: 'lgo-publisher',
    what: `a stage's transactional id ${PUBLISHER_PROBE_GROUP}.…`,
    refused: ['transactional-id', `${PUBLISHER_PROBE_GROUP}.${PUBLISHER_PROBE_INPUT}.0`, 'write'],
    expected: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    run: (kafka) =>
      readAsStage(kafka, 'lgo-publisher', PUBLISHER_PROBE_INPUT, PUBLISHER_PROBE_GROUP, (r) => [
        { topic: topics.vaccination, key: r.key, value: r.raw.value },
      ]),
  },
  write('lgo-publisher', topics.composed),
  write('lgo-publisher', topics.signed),
  write('lgo-publisher', topics.status),
  transact('lgo-publisher', txnId('composer')),
  read('operator', topics.signed, 'read-to-end-acl-test'),
  read('operator', topics.vaccination, 'read-to-end-acl-test'),
  join('operator', own('router'), topics.status),
  // The operator may write nowhere, so its producer is refused before any topic or id: a producer id (InitProducerId,
  // which kafkajs asks for at connect) needs WRITE on some topic or IdempotentWrite on the cluster (KIP-679).
  { ...write('operator', topics.status), expected: 'CLUSTER_AUTHORIZATION_FAILED' },
  { ...transact('operator', txnId('router')), expected: 'CLUSTER_AUTHORIZATION_FAILED' },
];

describe('ACLs on the secure listener: each principal is refused what is not its own', () => {
  const rows: string[] = [];
  const crashLines = new Set<string>();
  const admin = () => createKafka({ brokers: secureSettings().adminBrokers, clientId: 'acl-test-admin', ssl: false }).admin();
  const probeAcls = [
    aclEntry({ principal: 'lgo-publisher', resource: 'group', name: PUBLISHER_PROBE_GROUP, pattern: 'literal', operation: 'read' }),
    aclEntry({ principal: 'lgo-publisher', resource: 'topic', name: PUBLISHER_PROBE_INPUT, pattern: 'literal', operation: 'read' }),
  ];

  beforeAll(async () => {
    const kafka = createKafka({ brokers: secureSettings().adminBrokers, clientId: 'acl-test-admin', ssl: false });
    const a = kafka.admin();
    await a.connect();
    await ensureTopics(a, [{ topic: PUBLISHER_PROBE_INPUT, partitions: 1 }]);
    await a.createAcls({ acl: probeAcls });
    await a.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: PUBLISHER_PROBE_INPUT, acks: -1, messages: [{ key: 'acl-test', value: 'a record to handle' }] });
    await producer.disconnect();
  });

  afterAll(async () => {
    const a = admin();
    await a.connect();
    await a.deleteAcls({ filters: probeAcls });
    await a.disconnect();
    process.stderr.write(
      `\n[secure] ACL refusals (${rows.length} attempts over SASL_SSL, bound ${BOUND_MS} ms):\n` +
        `  ${'principal'.padEnd(14)} ${'attempt'.padEnd(58)} ${'error'.padEnd(38)} ms\n${rows.join('\n')}\n` +
        `[secure] a refused stage's one log line, e.g.:\n${[...crashLines].slice(0, 2).join('\n')}\n`,
    );
  });

  it.each(ATTEMPTS.map((a) => [a.principal, a.what, a] as const))('%s: %s is refused', async (principal, what, attempt) => {
    const [resource, name, operation] = attempt.refused;
    expect(allows(rules, principal, resource, name, operation)).toBe(false);
    const kafka = clientAs(principal, pino({ level: 'silent' }));
    const outcome = await attempt.run(kafka);
    rows.push(`  ${principal.padEnd(14)} ${what.padEnd(58)} ${outcome.error.padEnd(38)} ${outcome.ms}`);
    expect(outcome.error).toBe(attempt.expected);
    expect(outcome.ms).toBeLessThan(BOUND_MS);
    if (outcome.line) crashLines.add(outcome.line);
    if (outcome.crashes !== undefined) {
      // A stage refused: one line, and kafkajs does not restart the consumer (no retry loop).
      expect(outcome.crashes).toBe(1);
      expect(outcome.restart).toBe(false);
    }
  });

  it('what each principal is refused elsewhere, it is allowed on its own (the refusals are the ACLs, not the connection)', async () => {
    expect(await writeTo(clientAs('lgo-publisher', pino({ level: 'silent' })), topics.vaccination)).toMatchObject({ error: 'allowed' });
    expect(await transactWith(clientAs('signer', pino({ level: 'silent' })), txnId('signer'))).toMatchObject({ error: 'allowed' });
    // A dead-letter topic the signer writes (its input's), not documents.signed: the pipeline test reads that one.
    expect(await writeTo(clientAs('signer', pino({ level: 'silent' })), `${topics.composed}.dlq`)).toMatchObject({ error: 'allowed' });
  });
});
