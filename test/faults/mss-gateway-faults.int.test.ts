/**
 * The mss-gateway under faults: a few hundred `mss.messages` records (professionals with two recipients, and
 * patients) delivered to the MSSanté simulator by the gateway running as its own process, killed with SIGKILL several
 * times while it delivers (the supervisor starts it again), with the simulator answering slowly so that mails are in
 * flight at each kill. At the end no mail is lost (every recipient of every record received its mail, by the
 * deterministic Message-ID) and every document has exactly one committed `delivered` status (decided by the Apache
 * Kafka Java client). SMTP is at-least-once: a mail whose 250 came before the kill but whose transaction did not
 * commit is sent again with the same Message-ID; the duplicates are counted at the simulator and reported. The
 * receiver can deduplicate by Message-ID.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H } from '@passerelle/kafka-runtime';
import { messageIdFor } from '@passerelle/mss';
import { pipelineCodec, topicNames } from '@passerelle/pipeline';
import { KeyStore } from '@passerelle/signature';
import { createTestPki, type TestPki } from '@passerelle/testing';
import { Kafka, logLevel } from 'kafkajs';
import { localEnv } from '../../scripts/local-pipeline';
import { FINESS, type FixtureKind } from '../dmp-simulator/submissions';
import { FROM, makeMssMessage, routeFor } from '../mss-simulator/messages';
import { MssSimulator } from '../mss-simulator/simulator';
import { brokers, registryUrl } from '../pipeline/harness';
import { INFRA_DIR, readStackSettings } from '../support/stack-settings';
import { committedPlaces, readAll } from './observe';
import { freePort, ServiceProcess, sleep } from './supervisor';

const MESSAGES = Number(process.env.MSS_FAULTS_MESSAGES ?? 300);
const KILLS = Number(process.env.MSS_FAULTS_KILLS ?? 3);
const REPO = join(__dirname, '..', '..');
// The Kafka client jars of the local stack (KAFKA_JAVA_CLASSPATH: another checkout's, when the stack runs from there).
const javaClasspath =
  process.env.KAFKA_JAVA_CLASSPATH ?? join(INFRA_DIR, '.cache', `kafka-${readStackSettings().kafkaVersion}`, 'libs', '*');
const KINDS: FixtureKind[] = ['vaccination', 'medication-review', 'pharmaceutical-interview'];

describe('the mss-gateway under kill -9 (real broker, MSSanté simulator)', () => {
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`[mss-faults ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  const prefix = `mssfaults${Date.now().toString(36)}.`;
  const topics = topicNames(prefix);
  const kafka = new Kafka({ clientId: 'mss-faults', brokers, connectionTimeout: 3_000, logLevel: logLevel.NOTHING });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-mss-faults-'));
  const expected = new Map<string, string>(); // Message-ID → document id
  let sim: MssSimulator;
  let gateway: ServiceProcess;
  let passed = false;

  beforeAll(async () => {
    const pki: TestPki = await createTestPki(join(work, 'pki'), [FINESS], {
      modulusLength: 2048,
      broken: false,
      serverNames: ['localhost', '127.0.0.1'],
    });
    sim = MssSimulator.forTestPki(pki, { [FROM]: FINESS });
    const smtpPort = await sim.listen();
    mkdirSync(join(work, 'logs'));
    const port = await freePort();
    const env = localEnv({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      tiers: '1s,2s,5s',
      mss: { host: '127.0.0.1', port: smtpPort, servername: 'localhost', serverCaFile: pki.rootPem, authDir: pki.authDir },
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
      name: 'mss-gateway',
      script: join('services', 'mss-gateway', 'src', 'main.ts'),
      cwd: REPO,
      env,
      port,
      logFile: join(work, 'logs', 'mss-gateway.log'),
    });
    gateway.start();
    await gateway.ready();
    say(`mss-gateway ready (pid ${gateway.pid}); prefix ${prefix}`);

    // The records the router would write, each for its own document: two professionals, or the patient.
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
    const messages = [];
    for (let i = 0; i < MESSAGES; i++) {
      const value = await makeMssMessage(
        KINDS[i % KINDS.length] as FixtureKind,
        keyStore,
        routeFor(i % 3 === 2 ? 'patient' : 'professionals'),
      );
      for (const to of value.to) expected.set(messageIdFor(value.documentId, to, FROM), value.documentId);
      messages.push({
        key: `${FINESS}-${i % 40}`,
        value: await codec.encode(topics.mss, value),
        headers: { [H.eventId]: value.eventId, [H.documentId]: value.documentId },
      });
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Slow answers: mails are in flight when the kills land.
    sim.latencyMs = 100;
    await producer.send({ topic: topics.mss, messages });
    await producer.disconnect();
    say(`${MESSAGES} records published (${expected.size} mails expected)`);
  }, 300_000);

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

  it('loses no mail: every recipient receives it (duplicates by Message-ID counted), one committed `delivered` status each', async () => {
    const received = () => new Set(sim.received.map((m) => m.messageId)).size;
    const killedAt: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      await gateway.ready(120_000);
      await sleep(1_500 + ((k * 700) % 2_000));
      say(`kill -9 mss-gateway (pid ${gateway.pid}); ${received()} distinct mails received`);
      killedAt.push(Date.now());
      await gateway.kill9();
    }
    await gateway.ready(120_000);
    sim.latencyMs = 0;
    const deadline = Date.now() + 300_000;
    while (received() < expected.size && Date.now() < deadline) await sleep(1_000);
    // The last statuses are committed shortly after the last mails.
    await sleep(3_000);
    say(`${received()}/${expected.size} distinct mails received; reading the statuses, read committed`);

    const all = await readAll(kafka, codec, topics, [topics.status], 5_000, true);
    const committed = await committedPlaces(javaClasspath, brokers, [topics.status]);
    const delivered = all.observations.filter((o) => committed.has(o.place ?? '') && o.what.startsWith('status:delivered:mss:'));
    const perEvent = new Map<string, number>();
    for (const o of delivered) perEvent.set(o.eventId, (perEvent.get(o.eventId) ?? 0) + 1);
    const byId = new Map<string, number>();
    for (const m of sim.received) byId.set(m.messageId ?? '', (byId.get(m.messageId ?? '') ?? 0) + 1);
    const extra = [...byId.values()].reduce((n, c) => n + c - 1, 0);
    const lost = [...expected.keys()].filter((id) => !byId.has(id));
    const unexpected = [...byId.keys()].filter((id) => !expected.has(id));
    say(
      `kills ${gateway.kills}, restarts ${gateway.starts - 1}; mails received ${sim.received.length} for ${expected.size} expected: ` +
        `lost ${lost.length}, duplicates ${extra} (extra copies by Message-ID, over ${[...byId.values()].filter((c) => c > 1).length} Message-IDs), ` +
        `unexpected ${unexpected.length}; documents with a committed delivered status ${perEvent.size}/${MESSAGES}, with more than one ` +
        `${[...perEvent.values()].filter((n) => n > 1).length}; delivered statuses of aborted transactions ` +
        `${all.observations.filter((o) => o.what.startsWith('status:delivered:mss:')).length - delivered.length}`,
    );

    // How long the stage stood still after each kill: from the kill to the first mail of a session opened after it
    // (mails of the dead process's sessions may still arrive): the new process's start and the group handing it the
    // partitions back.
    const gaps = killedAt.map((t) => (Math.min(...sim.received.filter((m) => m.sessionAt > t).map((m) => m.receivedAt)) - t) / 1000);
    say(`no mail after each kill for ${gaps.map((g) => `${g.toFixed(1)} s`).join(', ')}; longest ${Math.max(...gaps).toFixed(1)} s`);

    expect(gateway.kills).toBe(KILLS);
    expect(gaps.every((g) => Number.isFinite(g))).toBe(true);
    expect(lost).toEqual([]);
    expect(unexpected).toEqual([]);
    // Every document delivered, exactly one committed status saying so.
    expect(perEvent.size).toBe(MESSAGES);
    expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
    passed = true;
  }, 600_000);
});
