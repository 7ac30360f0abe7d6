/**
 * The pipeline end to end on the secure listener: composer, signer, router and retrier run in this process, each as
 * its own principal over TLS + SCRAM-SHA-512 (configuration only: serviceEnv), the LGO events are published with
 * @passerelle/publisher as the lgo-publisher, the statuses are read as the operator. Every principal holds only its provisioned ACLs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composerFromEnv } from '@passerelle/composer';
import { createKafka, loadRuntimeConfig, runService, type RunningService } from '@passerelle/kafka-runtime';
import { isFinal, pipelineCodec, topicNames, type Principal } from '@passerelle/pipeline';
import { retrier } from '@passerelle/retrier';
import { routerFromEnv } from '@passerelle/router';
import type { DmpSubmission, DocumentStatus, MssMessage } from '@passerelle/schemas';
import { signerFromEnv } from '@passerelle/signer';
import { createTestPki } from '@passerelle/testing';
import pino from 'pino';
import { localEnv } from '../../scripts/local-pipeline';
import { createPublisher } from '@passerelle/publisher';
import { latestStatuses, readCommitted, sample, waitFor, type AnyEvent } from '../pipeline/harness';
import { clientAs, PREFIX, secureSettings, serviceEnv, TIERS_SPEC } from './secure-stack';

const PHARMACY = '750100208';
const ROUNDS = 2;

describe('the pipeline over SASL_SSL, each service as its own principal', () => {
  const topics = topicNames(PREFIX);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-secure-'));
  const services: RunningService[] = [];
  const codec = pipelineCodec(secureSettings().registryUrl);
  const logger = pino({ level: 'warn' });

  beforeAll(async () => {
    const pki = await createTestPki(join(work, 'pki'), [PHARMACY], { broken: false });
    const base = localEnv({ keyStoreDir: pki.keyStoreDir, trustDir: pki.trustDir, prefix: PREFIX, tiers: TIERS_SPEC });
    const stages: [Principal, (env: NodeJS.ProcessEnv) => unknown][] = [
      ['composer', composerFromEnv],
      ['signer', signerFromEnv],
      ['router', routerFromEnv],
      ['retrier', () => retrier],
    ];
    for (const [principal, define] of stages) {
      // The secure listener, TLS trusting the stack's CA, SCRAM with the principal's password file: nothing else.
      const env = { ...base, ...serviceEnv(principal) };
      services.push(await runService(define(env) as never, { env, topicPrefix: PREFIX, logger: logger.child({ service: principal }) }));
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('sample events go through composer → signer → router and reach dmp.submissions and mss.messages', async () => {
    const events: AnyEvent[] = Array.from({ length: ROUNDS }, () => [
      sample('vaccination'),
      sample('dispensation'),
      sample('medication-review'),
      sample('pharmaceutical-interview'),
    ]).flat();
    const ids = events.map((e) => e.eventId);
    const started = Date.now();
    // The LGO side: @passerelle/publisher as the lgo-publisher principal, its TLS and SASL read as a service's are.
    const { ssl, sasl, registryUrl, registryCa } = loadRuntimeConfig('lgo-publisher', serviceEnv('lgo-publisher'));
    const publisher = createPublisher({
      brokers: secureSettings().secureBrokers,
      registryUrl,
      registryCa,
      ssl,
      sasl,
      topicPrefix: PREFIX,
      testPlatform: true,
      logger,
    });
    try {
      await publisher.publishMany(events.map((event) => ({ event })));
    } finally {
      await publisher.close();
    }

    // The operator reads the statuses (its own read-to-end group), never a document topic.
    const operator = clientAs('operator', logger);
    let statuses = new Map<string, DocumentStatus>();
    await waitFor(
      `the ${ids.length} documents to reach a final state`,
      async () => {
        statuses = await latestStatuses(codec, await readCommitted(operator, [topics.status]));
        return ids.every((id) => isFinal(statuses.get(id)?.state ?? 'composed'));
      },
      180_000,
    );
    const ms = Date.now() - started;
    expect(ids.map((id) => statuses.get(id)?.state)).toEqual(ids.map(() => 'routed'));

    // Counted with the admin listener (the test's view, not a principal's), read committed, to the end offsets.
    const admin = createKafka({ brokers: secureSettings().adminBrokers, clientId: 'secure-e2e-admin', ssl: false });
    const decode = async <T extends { eventId: string }>(topic: string) =>
      (await Promise.all((await readCommitted(admin, [topic])).map((r) => codec.decode<T>(topic, r.value)))).filter((x) =>
        ids.includes(x.eventId),
      );
    const dmp = await decode<DmpSubmission>(topics.dmp);
    const mss = await decode<MssMessage>(topics.mss);
    // As in test/pipeline: dispensations do not go to the DMP; the others once each; MSSanté 2 + 1 + 2 + 2 per round.
    expect(dmp).toHaveLength(3 * ROUNDS);
    expect(mss).toHaveLength(7 * ROUNDS);
    expect(new Set(dmp.map((d) => d.eventId)).size).toBe(3 * ROUNDS);
    process.stderr.write(
      `\n[secure] end to end over SASL_SSL: ${events.length} events → ${statuses.size} statuses routed, ` +
        `${dmp.length} on ${topics.dmp}, ${mss.length} on ${topics.mss}, in ${(ms / 1000).toFixed(1)} s ` +
        `(composer, signer, router, retrier each as its own principal)\n`,
    );
  }, 300_000);
});
