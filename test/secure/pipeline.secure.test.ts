/**
 * The pipeline end to end on the secure listeners of the 3-node stack: composer, signer, router, retrier, dmp-gateway
 * and mss-gateway run in this process, each as its own principal over TLS + SCRAM-SHA-512 (configuration only:
 * serviceEnv); the LGO events are published with @passerelle/publisher as the lgo-publisher, the statuses are read as
 * the operator. Every principal holds only its provisioned ACLs. The gateways deliver over TLS too: ITI-41 over mutual
 * TLS to the DMP simulator, SMTP with STARTTLS and the pharmacy's client certificate to the MSSanté operator simulator;
 * every route of every document ends `delivered` on the status trail, and the simulators hold what it says.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composerFromEnv } from '@passerelle/composer';
import { dmpGatewayFromEnv } from '@passerelle/dmp-gateway';
import { createKafka, loadRuntimeConfig, runService, type RunningService } from '@passerelle/kafka-runtime';
import { messageIdFor } from '@passerelle/mss';
import { mssGatewayFromEnv } from '@passerelle/mss-gateway';
import { isDone, pipelineCodec, routeProgress, topicNames, type Principal } from '@passerelle/pipeline';
import { retrier } from '@passerelle/retrier';
import { routerFromEnv } from '@passerelle/router';
import type { DmpSubmission, DocumentStatus, MssMessage } from '@passerelle/schemas';
import { signerFromEnv } from '@passerelle/signer';
import { createTestPki, type TestPki } from '@passerelle/testing';
import pino from 'pino';
import { localEnv } from '../../scripts/local-pipeline';
import { createPublisher } from '@passerelle/publisher';
import { startDmpSimulator, type DmpSimulator } from '../dmp-simulator/simulator';
import { MssSimulator } from '../mss-simulator/simulator';
import { latestStatuses, readCommitted, sample, waitFor, type AnyEvent } from '../pipeline/harness';
import { clientAs, PREFIX, secureSettings, serviceEnv, TIERS_SPEC } from './secure-stack';

const PHARMACY = '750100208';
const ROUNDS = 2;
const MAILBOX = 'pharmacie.italie@pharmacie-italie.mssante.fr'; // the fixtures' pharmacy mailbox

describe('the pipeline over SASL_SSL, each service as its own principal', () => {
  const topics = topicNames(PREFIX);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-secure-'));
  const services: RunningService[] = [];
  const codec = pipelineCodec(secureSettings().registryUrl);
  const logger = pino({ level: 'warn' });
  let dmp: DmpSimulator;
  let mss: MssSimulator;

  beforeAll(async () => {
    const pki: TestPki = await createTestPki(join(work, 'pki'), [PHARMACY], { broken: false, serverNames: ['localhost', '127.0.0.1'] });
    mss = MssSimulator.forTestPki(pki, { [MAILBOX]: PHARMACY });
    const mssPort = await mss.listen();
    dmp = await startDmpSimulator({ pkiDir: pki.keyStoreDir, anyPatient: true });
    writeFileSync(join(work, 'dmp-ca.pem'), dmp.caPem);
    const base = localEnv({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      prefix: PREFIX,
      tiers: TIERS_SPEC,
      dmp: { endpoint: dmp.repositoryUrl, serverCaFile: join(work, 'dmp-ca.pem'), authDir: pki.authDir },
      mss: { host: '127.0.0.1', port: mssPort, servername: 'localhost', serverCaFile: pki.rootPem, authDir: pki.authDir },
    });
    const stages: [Principal, (env: NodeJS.ProcessEnv) => unknown][] = [
      ['composer', composerFromEnv],
      ['signer', signerFromEnv],
      ['router', routerFromEnv],
      ['retrier', () => retrier],
      ['dmp-gateway', dmpGatewayFromEnv],
      ['mss-gateway', mssGatewayFromEnv],
    ];
    for (const [principal, define] of stages) {
      // The secure listeners, TLS trusting the stack's CA, SCRAM with the principal's password file: nothing else.
      const env = { ...base, ...serviceEnv(principal) };
      services.push(await runService(define(env) as never, { env, topicPrefix: PREFIX, logger: logger.child({ service: principal }) }));
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await mss?.close();
    await dmp?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('sample events go through every stage and each route ends delivered: the DMP stored each document, the MSSanté operator received each mail', async () => {
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
      `the ${ids.length} documents to be delivered on every route`,
      async () => {
        statuses = await latestStatuses(codec, await readCommitted(operator, [topics.status]));
        return ids.every((id) => {
          const s = statuses.get(id);
          return s !== undefined && isDone(s);
        });
      },
      180_000,
    );
    const ms = Date.now() - started;
    const perRoute = new Map<string, number>();
    for (const id of ids) {
      const s = statuses.get(id) as DocumentStatus;
      expect({ id, state: s.state }).toEqual({ id, state: 'delivered' });
      const routes = routeProgress(s);
      expect(routes.length).toBeGreaterThan(0);
      for (const r of routes) {
        expect({ id, route: r.route, state: r.state }).toEqual({ id, route: r.route, state: 'delivered' });
        const kind = r.route.replace(/-\d+$/, '');
        perRoute.set(kind, (perRoute.get(kind) ?? 0) + 1);
        if (r.route === 'dmp') {
          // The DMP's answer, and the document stored under its id.
          expect(r.detail).toBe('RegistryResponse Success');
          expect(dmp.documents.has(s.documentId)).toBe(true);
        } else {
          // `250 <queue id>`: the queue id the operator gave one mail of this document, to its recipient.
          expect(r.detail).toMatch(/^250 [0-9A-Za-z]+$/);
          const mail = mss.received.find((m) => m.queueId === r.detail?.slice(4));
          expect(mail?.messageId).toBe(messageIdFor(s.documentId, mail?.rcptTo[0] as string, MAILBOX));
          expect(mail?.clientFiness).toBe(PHARMACY);
        }
      }
    }

    // Counted with the admin listener (the test's view, not a principal's), read committed, to the end offsets.
    const admin = createKafka({ brokers: secureSettings().adminBrokers, clientId: 'secure-e2e-admin', ssl: false });
    const decode = async <T extends { eventId: string }>(topic: string) =>
      (await Promise.all((await readCommitted(admin, [topic])).map((r) => codec.decode<T>(topic, r.value)))).filter((x) =>
        ids.includes(x.eventId),
      );
    const dmpRecords = await decode<DmpSubmission>(topics.dmp);
    const mssRecords = await decode<MssMessage>(topics.mss);
    // As in test/pipeline: dispensations do not go to the DMP; the others once each; MSSanté 2 + 1 + 2 + 2 per round.
    expect(dmpRecords).toHaveLength(3 * ROUNDS);
    expect(mssRecords).toHaveLength(7 * ROUNDS);
    expect(new Set(dmpRecords.map((d) => d.eventId)).size).toBe(3 * ROUNDS);
    // What the destinations hold is what the trail says was delivered: a submission set per DMP route (the CDA and its
    // signature, two documents), a mail per MSS one.
    expect(perRoute.get('dmp')).toBe(3 * ROUNDS);
    expect(dmp.submissionSets.size).toBe(3 * ROUNDS);
    const mssRoutes = [...perRoute].filter(([route]) => route.startsWith('mss:')).reduce((n, [, count]) => n + count, 0);
    expect(mss.received).toHaveLength(mssRoutes);
    process.stderr.write(
      `\n[secure] end to end over SASL_SSL (${secureSettings().secureBrokers}): ${events.length} events → ${ids.length} documents delivered on every route, ` +
        `${dmpRecords.length} on ${topics.dmp}, ${mssRecords.length} on ${topics.mss}; delivered per route: ` +
        `${[...perRoute].map(([route, count]) => `${route} ${count}`).join(', ')}; DMP stored ${dmp.submissionSets.size} submission sets, ` +
        `the MSSanté operator received ${mss.received.length} mails; in ${(ms / 1000).toFixed(1)} s ` +
        `(composer, signer, router, retrier, dmp-gateway, mss-gateway each as its own principal)\n`,
    );
  }, 300_000);
});
