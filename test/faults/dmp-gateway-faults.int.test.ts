/**
 * The dmp-gateway under faults: a few hundred DMP submissions delivered to the strict DMP simulator by the gateway
 * running as its own process, killed with SIGKILL several times while it delivers (the supervisor starts it again),
 * with the simulator answering slowly so that deliveries are in flight at each kill. At the end every submission is
 * stored by the simulator exactly once (a re-send after a crash is answered XDSDuplicateUniqueIdInRegistry and counted
 * as delivered, never stored twice), and every document has exactly one committed `delivered` status (decided by the
 * Apache Kafka Java client, as the main fault test does).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H } from '@passerelle/kafka-runtime';
import { pipelineCodec, topicNames } from '@passerelle/pipeline';
import { KeyStore } from '@passerelle/signature';
import { Kafka, logLevel } from 'kafkajs';
import { localEnv } from '../../scripts/local-pipeline';
import { startDmpSimulator, type DmpSimulator } from '../dmp-simulator/simulator';
import { FINESS, makeSubmission, testPki, type FixtureKind } from '../dmp-simulator/submissions';
import { brokers, registryUrl } from '../pipeline/harness';
import { INFRA_DIR, readStackSettings } from '../support/stack-settings';
import { committedPlaces, readAll } from './observe';
import { freePort, ServiceProcess, sleep } from './supervisor';

const SUBMISSIONS = Number(process.env.DMP_FAULTS_SUBMISSIONS ?? 300);
const KILLS = Number(process.env.DMP_FAULTS_KILLS ?? 3);
const REPO = join(__dirname, '..', '..');
const javaClasspath = join(INFRA_DIR, '.cache', `kafka-${readStackSettings().kafkaVersion}`, 'libs', '*');
const KINDS: FixtureKind[] = ['vaccination', 'medication-review', 'pharmaceutical-interview'];

describe('the dmp-gateway under kill -9 (real broker, DMP simulator)', () => {
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`[dmp-faults ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  const prefix = `dmpfaults${Date.now().toString(36)}.`;
  const topics = topicNames(prefix);
  const kafka = new Kafka({ clientId: 'dmp-faults', brokers, connectionTimeout: 3_000, logLevel: logLevel.NOTHING });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-dmp-faults-'));
  let sim: DmpSimulator;
  let gateway: ServiceProcess;
  let passed = false;

  beforeAll(async () => {
    const pki = await testPki();
    sim = await startDmpSimulator({ pkiDir: pki.keyStoreDir, anyPatient: true });
    writeFileSync(join(work, 'dmp-ca.pem'), sim.caPem);
    mkdirSync(join(work, 'logs'));
    const port = await freePort();
    const env = localEnv({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      tiers: '1s,2s,5s',
      dmp: { endpoint: sim.repositoryUrl, serverCaFile: join(work, 'dmp-ca.pem'), authDir: pki.authDir },
      env: {
        KAFKA_BROKERS: brokers.join(','),
        SCHEMA_REGISTRY_URL: registryUrl,
        PASSERELLE_TOPIC_PREFIX: prefix,
        PASSERELLE_RETRY_TIERS: '1s,2s,5s',
        PASSERELLE_METRICS_PORT: String(port),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
    });
    gateway = new ServiceProcess({
      name: 'dmp-gateway',
      script: join('services', 'dmp-gateway', 'src', 'main.ts'),
      cwd: REPO,
      env,
      port,
      logFile: join(work, 'logs', 'dmp-gateway.log'),
    });
    gateway.start();
    await gateway.ready();
    say(`dmp-gateway ready (pid ${gateway.pid}); prefix ${prefix}`);

    // The submissions the router would write, each for its own document (built, signed, the DMP request's metadata).
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
    const messages = [];
    for (let i = 0; i < SUBMISSIONS; i++) {
      const submission = await makeSubmission(KINDS[i % KINDS.length] as FixtureKind, keyStore, { eventId: randomUUID() });
      messages.push({
        key: `${FINESS}-${i % 40}`,
        value: await codec.encode(topics.dmp, submission),
        headers: { [H.eventId]: submission.eventId, [H.documentId]: submission.documentId },
      });
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Slow answers: deliveries are in flight when the kills land.
    sim.switches.latencyMs = 150;
    await producer.send({ topic: topics.dmp, messages });
    await producer.disconnect();
    say(`${SUBMISSIONS} submissions published`);
  }, 240_000);

  afterAll(async () => {
    await gateway?.stop();
    await sim?.close();
    if (!passed) {
      say(`gateway logs kept in ${join(work, 'logs')}`);
      return;
    }
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 }).catch(() => undefined);
    await admin.disconnect();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('delivers every submission exactly once: stored once by the DMP, one committed `delivered` status each', async () => {
    for (let k = 0; k < KILLS; k++) {
      await gateway.ready(120_000);
      await sleep(1_500 + ((k * 700) % 2_000));
      say(`kill -9 dmp-gateway (pid ${gateway.pid}); ${sim.submissionSets.size} stored`);
      await gateway.kill9();
    }
    await gateway.ready(120_000);
    sim.switches.latencyMs = 0;
    const deadline = Date.now() + 300_000;
    while (sim.submissionSets.size < SUBMISSIONS && Date.now() < deadline) await sleep(1_000);
    say(`${sim.submissionSets.size}/${SUBMISSIONS} stored; reading the statuses, read committed`);

    const all = await readAll(kafka, codec, topics, [topics.status], 5_000, true);
    const committed = await committedPlaces(javaClasspath, brokers, [topics.status]);
    const delivered = all.observations.filter((o) => committed.has(o.place ?? '') && o.what === 'status:delivered:dmp');
    const perEvent = new Map<string, number>();
    for (const o of delivered) perEvent.set(o.eventId, (perEvent.get(o.eventId) ?? 0) + 1);
    const successes = sim.received.filter((r) => r.outcome === 'Success').length;
    const duplicates = sim.received.filter((r) => r.outcome.includes('XDSDuplicateUniqueIdInRegistry')).length;
    say(
      `kills ${gateway.kills}, restarts ${gateway.starts - 1}; requests received ${sim.received.length}: stored ${successes}, ` +
        `answered duplicate ${duplicates} (re-sends after a crash), other ${sim.received.length - successes - duplicates}; ` +
        `documents with a committed delivered status ${perEvent.size}, with more than one ${[...perEvent.values()].filter((n) => n > 1).length}; ` +
        `delivered statuses of aborted transactions ${all.observations.filter((o) => o.what === 'status:delivered:dmp').length - delivered.length}`,
    );

    expect(gateway.kills).toBe(KILLS);
    // Stored exactly once each: the DMP's registry (the simulator) never took a submission set twice.
    expect(sim.submissionSets.size).toBe(SUBMISSIONS);
    expect(successes).toBe(SUBMISSIONS);
    // Each submission set holds two documents: the CDA and its IHE DSG signature.
    expect(sim.documents.size).toBe(2 * SUBMISSIONS);
    // Every document delivered, exactly one committed status saying so.
    expect(perEvent.size).toBe(SUBMISSIONS);
    expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
    passed = true;
  }, 600_000);
});
