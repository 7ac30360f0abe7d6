/**
 * A replay through the services under a fault: `events` generated events (test/faults/scenario.ts) published over
 * `windowMs` to composer, signer, router and retrier, each its own supervised process (test/faults/supervisor.ts),
 * while `fault` runs; then the exactly-once accounting of test/faults (read committed by the Java client), the
 * longest pause in output (no new final status while events were still to finish) and its table. With `gateways`,
 * the dmp-gateway and the mss-gateway run too, delivering to the DMP and MSSanté simulators started here: an event is
 * then finished once each of its routes is delivered, and the table says what the simulators received.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageIdFor } from '@passerelle/mss';
import { pipelineCodec, topicNames, type TopicNames } from '@passerelle/pipeline';
import type { MssMessage } from '@passerelle/schemas';
import { createTestPki } from '@passerelle/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { localEnv, type LocalPipelineOptions } from '../../scripts/local-pipeline';
import { startDmpSimulator, type DmpSimulator } from '../dmp-simulator/simulator';
import { account, formatTable, type Accounting, type Observation } from '../faults/ledger';
import { committedPlaces, observedTopics, readAll, watch } from '../faults/observe';
import { PHARMACIES, scenario, sendOnce } from '../faults/scenario';
import { freePort, ServiceProcess, sleep } from '../faults/supervisor';
import { MssSimulator } from '../mss-simulator/simulator';
import { brokers, encodeEvents, readCommitted, registryUrl } from '../pipeline/harness';
import { javaClasspath, openTransactions } from './cluster-stack';

const CORE = ['composer', 'signer', 'router', 'retrier'] as const;
const GATEWAYS = ['dmp-gateway', 'mss-gateway'] as const;
export type Service = (typeof CORE)[number] | (typeof GATEWAYS)[number];
const TIERS = '1s,2s,5s';

export interface ReplayContext {
  kafka: Kafka;
  topics: TopicNames;
  processes: ServiceProcess[];
  /** Milliseconds since publishing started */
  at: () => number;
  /** Events with a final status so far */
  done: () => number;
  say: (line: string) => void;
  /** Records a fault (the table says which one preceded the longest pause) */
  mark: (what: string) => void;
}

/** What the simulators received, against what the committed route records asked for (with `gateways`). */
export interface Deliveries {
  /** Events routed to the DMP, and the submission sets the DMP simulator stored (it refuses one it has already) */
  dmpExpected: number;
  dmpStored: number;
  /** Documents stored (two per submission set: the CDA and its signature) */
  dmpDocuments: number;
  /** Re-sends answered XDSDuplicateUniqueIdInRegistry (a delivery whose commit a crash prevented), and other refusals */
  dmpResent: number;
  dmpRefused: number;
  /** Mails asked for (one per recipient of each committed mss.messages record, by Message-ID) and received */
  mailsExpected: number;
  mailsReceived: number;
  mailsLost: number;
  /** Extra copies by Message-ID (SMTP is at-least-once: a mail sent before a crash, its commit not done) */
  mailDuplicates: number;
  mailsUnexpected: number;
}

export interface ReplayResult {
  accounting: Accounting;
  /** Every committed record's observation (statuses with their time) */
  observations: Observation[];
  deliveries?: Deliveries;
  table: string;
  longestPauseMs: number;
  expected: { parked: number; deadLettered: number };
  unread: number;
  anonymous: number;
  faults: string[];
}

export async function replayUnderFault(opts: {
  name: string;
  events: number;
  windowMs: number;
  seed: number;
  /** Processes per service, in one consumer group per service (default 1): one number for all, or per service */
  instances?: number | Partial<Record<Service, number>>;
  /** Also run the dmp-gateway and the mss-gateway, delivering to the DMP and MSSanté simulators */
  gateways?: boolean;
  fault: (ctx: ReplayContext) => Promise<void>;
}): Promise<ReplayResult> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const say = (line: string) => process.stdout.write(`[${opts.name} ${elapsed()}] ${line}\n`);
  const prefix = `${opts.name}${Date.now().toString(36)}.`;
  const topics = topicNames(prefix);
  const kafka = new Kafka({
    clientId: `${opts.name}-test`,
    brokers,
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 300, retries: 15, maxRetryTime: 5_000 },
    logLevel: logLevel.NOTHING,
  });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), `passerelle-${opts.name}-`));
  const processes: ServiceProcess[] = [];
  let dmp: DmpSimulator | undefined;
  let mss: MssSimulator | undefined;
  let producer: Producer | undefined;
  let statusWatch: Awaited<ReturnType<typeof watch>> | undefined;
  let passed = false;
  try {
    const { events, expected } = scenario(opts.events, opts.seed);
    // With the gateways, a server certificate for the MSSanté operator on the loopback.
    const pki = await createTestPki(join(work, 'pki'), PHARMACIES, {
      broken: false,
      ...(opts.gateways ? { serverNames: ['localhost', '127.0.0.1'] } : {}),
    });
    mkdirSync(join(work, 'logs'));
    let destinations: Pick<LocalPipelineOptions, 'dmp' | 'mss'> = {};
    if (opts.gateways) {
      dmp = await startDmpSimulator({ pkiDir: pki.keyStoreDir, anyPatient: true });
      writeFileSync(join(work, 'dmp-ca.pem'), dmp.caPem);
      mss = MssSimulator.forTestPki(pki, pharmacyMailboxes(events));
      const smtpPort = await mss.listen();
      destinations = {
        dmp: { endpoint: dmp.repositoryUrl, serverCaFile: join(work, 'dmp-ca.pem'), authDir: pki.authDir },
        mss: { host: '127.0.0.1', port: smtpPort, servername: 'localhost', serverCaFile: pki.rootPem, authDir: pki.authDir },
      };
    }
    for (const service of [...CORE, ...(opts.gateways ? GATEWAYS : [])]) {
      const instances = typeof opts.instances === 'number' ? opts.instances : (opts.instances?.[service] ?? 1);
      for (let i = 1; i <= instances; i++) {
        const name = instances > 1 ? `${service}-${i}` : service;
        const port = await freePort();
        const env = localEnv({
          keyStoreDir: pki.keyStoreDir,
          trustDir: pki.trustDir,
          tiers: TIERS,
          ...destinations,
          env: {
            KAFKA_BROKERS: brokers.join(','),
            SCHEMA_REGISTRY_URL: registryUrl,
            PASSERELLE_TOPIC_PREFIX: prefix,
            PASSERELLE_RETRY_TIERS: TIERS,
            PASSERELLE_METRICS_PORT: String(port),
            KAFKAJS_NO_PARTITIONER_WARNING: '1',
          },
        });
        processes.push(
          new ServiceProcess({
            name,
            script: join('services', service, 'src', 'main.ts'),
            cwd: join(__dirname, '..', '..'),
            env,
            port,
            logFile: join(work, 'logs', `${name}.log`),
          }),
        );
      }
    }
    processes[0]?.start();
    await processes[0]?.ready(240_000);
    for (const p of processes.slice(1)) p.start();
    await Promise.all(processes.map((p) => p.ready(240_000)));
    say(`services ready: ${processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}; prefix ${prefix}`);

    const encoded = await encodeEvents(codec, topics, events);
    const count = (o: string) => expected.filter((e) => e.outcome === o).length;
    say(
      `${opts.events} events (seed ${opts.seed}): ${count('delivered')} to deliver, ${count('parked')} to park, ${count('dead-lettered')} to dead-letter; over ${opts.windowMs / 1000}s`,
    );

    statusWatch = await watch(kafka, codec, topics, [topics.status]);
    // An event is finished once parked, dead-lettered, or routed, and then (with the gateways) each route delivered.
    const routes = new Map(expected.map((e) => [e.eventId, e.routes]));
    const statusesOf = new Map<string, Set<string>>();
    const finished = new Set<string>();
    const isFinished = (id: string, what: Set<string>) =>
      [...what].some((w) => w.startsWith('status:parked:') || w.startsWith('status:dead-lettered:')) ||
      (what.has('status:routed') && (!opts.gateways || (routes.get(id) ?? []).every((r) => what.has(`status:delivered:${r}`))));
    // The longest pause in output: the longest time without a newly finished event, from the first one to the last.
    let lastProgressAt = 0;
    let longestPauseMs = 0;
    let longestPauseEnd = 0;
    const progress = () => {
      const before = finished.size;
      for (const o of statusWatch?.observations.splice(0) ?? []) {
        const what = statusesOf.get(o.eventId) ?? new Set<string>();
        statusesOf.set(o.eventId, what.add(o.what));
        if (isFinished(o.eventId, what)) finished.add(o.eventId);
      }
      if (finished.size > before) {
        const now = Date.now();
        if (lastProgressAt > 0 && now - lastProgressAt > longestPauseMs) {
          longestPauseMs = now - lastProgressAt;
          longestPauseEnd = now;
        }
        lastProgressAt = now;
      }
      return finished.size;
    };
    const sampler = setInterval(progress, 100);

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const t0 = Date.now();
    const faults: [number, string][] = [];
    const batches = Math.max(1, Math.round(opts.windowMs / 500));
    const perBatch = Math.ceil(encoded.length / batches);
    const publishing = (async () => {
      for (let b = 0; b * perBatch < encoded.length; b++) {
        await sleep(Math.max(0, t0 + b * 500 - Date.now()));
        await sendOnce(producer as Producer, encoded.slice(b * perBatch, (b + 1) * perBatch));
      }
    })();
    const ctx: ReplayContext = {
      kafka,
      topics,
      processes,
      at: () => Date.now() - t0,
      done: progress,
      say,
      mark: (what) => {
        faults.push([Date.now(), what]);
        say(`${what}; ${progress()} events done`);
      },
    };
    await Promise.all([publishing, opts.fault(ctx)]);
    say(`all ${opts.events} events published, the fault is over; ${progress()} events done`);

    const deadline = Date.now() + 300_000;
    while (progress() < opts.events && Date.now() < deadline) await sleep(1_000);
    while (Date.now() - (statusWatch.lastRecordAt() ?? 0) < 8_000) await sleep(500);
    clearInterval(sampler);
    say(`quiescent: ${progress()}/${opts.events} events finished; reading every topic, read committed`);

    const everything = observedTopics(topics);
    const all = await readAll(kafka, codec, topics, everything, 5_000, true);
    const committed = await committedPlaces(javaClasspath, brokers, everything);
    const observations = all.observations.filter((o) => committed.has(o.place ?? ''));
    const anonymous = all.anonymous.filter((place) => committed.has(place)).length;
    const unread = committed.size - observations.length - anonymous;
    const accounting = account(expected, observations, { deliveries: opts.gateways });
    let deliveries: Deliveries | undefined;
    if (dmp && mss) {
      const mails = (await readCommitted(kafka, [topics.mss])).filter((r) => committed.has(`${r.topic}:${r.partition}:${r.offset}`));
      const messages = await Promise.all(mails.map((r) => codec.decode<MssMessage>(r.topic, r.value)));
      deliveries = delivered(dmp, mss, expected.filter((e) => e.routes.includes('dmp')).length, messages);
    }
    const before = faults.filter(([t]) => t < longestPauseEnd).pop();
    const pauseText =
      `${(longestPauseMs / 1000).toFixed(1)}s` +
      (before ? ` (ended ${((longestPauseEnd - before[0]) / 1000).toFixed(1)}s after: ${before[1]})` : '');
    const table = formatTable(accounting, [
      ['longest pause in output', pauseText],
      ...(deliveries ? deliveryRows(deliveries) : []),
      ['service restarts', processes.reduce((n, p) => n + p.starts - 1, 0)],
      ['duration', elapsed()],
    ]);
    say(
      `exactly-once accounting (${observations.length} records read):\n${table}\n  faults: ${faults.map(([t, w]) => `${((t - t0) / 1000).toFixed(1)}s ${w}`).join('; ')}`,
    );
    const problems = accounting.verdicts.filter(
      (v) => v.outcome === 'lost' || v.outcome === 'conflicting' || v.wrong !== null || v.duplicates.length > 0,
    );
    const seen = (id: string) => [...new Set(observations.filter((o) => o.eventId === id).map((o) => o.what))].sort().join(' ');
    const lostAt = new Map<string, number>();
    for (const v of problems.filter((x) => x.outcome === 'lost')) lostAt.set(seen(v.eventId), (lostAt.get(seen(v.eventId)) ?? 0) + 1);
    if (lostAt.size > 0) say(`lost events by what the topics hold of them: ${[...lostAt].map(([w, n]) => `${n}× [${w}]`).join('; ')}`);
    if (problems.length > 0)
      say(
        `problems (first 10 of ${problems.length}): ${problems
          .slice(0, 10)
          .map(
            (v) =>
              `${v.eventId} ${v.outcome}${v.wrong ? ` (${v.wrong})` : ''}${v.duplicates.length ? ` dup ${JSON.stringify(v.duplicates)}` : ''} | seen: ${seen(v.eventId)}`,
          )
          .join('; ')}`,
      );
    passed = problems.length === 0 && anonymous === 0 && unread === 0 && (!deliveries || deliveredAll(deliveries));
    if (!passed) {
      // Where read-committed readers stop: partitions with a transaction still open, and the transactions not complete.
      const open = await openTransactions(brokers, everything).catch((err: Error) => `(OpenTransactions.java failed: ${err.message})`);
      say(`partitions whose last stable offset is below the high watermark, and open transactions:\n${open || '  none'}`);
    }
    return {
      accounting,
      observations,
      deliveries,
      table,
      longestPauseMs,
      expected: { parked: count('parked'), deadLettered: count('dead-lettered') },
      unread,
      anonymous,
      faults: faults.map(([, w]) => w),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await dmp?.close();
    await mss?.close();
    await statusWatch?.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    // CLUSTER_KEEP_LOGS=1 keeps the services' logs of a passing run too (to read what a long pause was).
    if (passed && !process.env.CLUSTER_KEEP_LOGS) rmSync(work, { recursive: true, force: true });
    else say(`service logs kept in ${join(work, 'logs')}`);
  }
}

/** The assertions every replay makes: each input accounted for exactly once, as expected. */
export function expectExactlyOnce(r: ReplayResult, events: number): void {
  const a = r.accounting;
  expect({
    lost: a.lost,
    duplicated: a.duplicated,
    conflicting: a.conflicting,
    wrong: a.wrong,
    inputsRepeated: a.inputsRepeated,
    anonymous: r.anonymous,
    unread: r.unread,
  }).toEqual({ lost: 0, duplicated: 0, conflicting: 0, wrong: 0, inputsRepeated: 0, anonymous: 0, unread: 0 });
  expect(a.delivered + a.parked + a.deadLettered).toBe(events);
  expect(a.parked).toBe(r.expected.parked);
  // Only the events made to fail for good (a wrong INS key) are dead-lettered: no transient error ended there.
  expect(a.deadLettered).toBe(r.expected.deadLettered);
  const d = r.deliveries;
  if (d) {
    // The DMP stored each submission once and refused none; every mail reached its recipient (copies are counted).
    expect({ stored: d.dmpStored, documents: d.dmpDocuments, refused: d.dmpRefused }).toEqual({
      stored: d.dmpExpected,
      documents: 2 * d.dmpExpected,
      refused: 0,
    });
    expect({ lost: d.mailsLost, unexpected: d.mailsUnexpected }).toEqual({ lost: 0, unexpected: 0 });
    expect(d.dmpExpected).toBeGreaterThan(0);
    expect(d.mailsExpected).toBeGreaterThan(0);
  }
}

/**
 * The operator's directory of applicative mailboxes: each event's pharmacy mailbox, for its FINESS (the sender the
 * operator accepts with that pharmacy's certificate). A mailbox the generator gave two pharmacies would be refused.
 */
function pharmacyMailboxes(events: ReturnType<typeof scenario>['events']): Record<string, string> {
  const mailboxes: Record<string, string> = {};
  for (const { pharmacy } of events) {
    const known = mailboxes[pharmacy.mssanteAddress.toLowerCase()];
    if (known && known !== pharmacy.finess)
      throw new Error(`the scenario gives ${pharmacy.mssanteAddress} to two pharmacies: another seed`);
    mailboxes[pharmacy.mssanteAddress.toLowerCase()] = pharmacy.finess;
  }
  return mailboxes;
}

/** What the simulators received, against the DMP submissions expected and the mails the committed mss.messages ask for. */
function delivered(dmp: DmpSimulator, mss: MssSimulator, dmpExpected: number, messages: MssMessage[]): Deliveries {
  const expected = new Set(messages.flatMap((m) => m.to.map((to) => messageIdFor(m.documentId, to, m.from))));
  const copies = new Map<string, number>();
  for (const m of mss.received) copies.set(m.messageId ?? '', (copies.get(m.messageId ?? '') ?? 0) + 1);
  const resent = dmp.received.filter((r) => r.outcome.includes('XDSDuplicateUniqueIdInRegistry')).length;
  return {
    dmpExpected,
    dmpStored: dmp.submissionSets.size,
    dmpDocuments: dmp.documents.size,
    dmpResent: resent,
    dmpRefused: dmp.received.filter((r) => r.outcome !== 'Success').length - resent,
    mailsExpected: expected.size,
    mailsReceived: mss.received.length,
    mailsLost: [...expected].filter((id) => !copies.has(id)).length,
    mailDuplicates: [...copies.values()].reduce((n, c) => n + c - 1, 0),
    mailsUnexpected: [...copies.keys()].filter((id) => !expected.has(id)).length,
  };
}

const deliveredAll = (d: Deliveries): boolean =>
  d.dmpStored === d.dmpExpected &&
  d.dmpDocuments === 2 * d.dmpExpected &&
  d.dmpRefused === 0 &&
  d.mailsLost === 0 &&
  d.mailsUnexpected === 0;

function deliveryRows(d: Deliveries): [string, string | number][] {
  return [
    ['DMP submissions expected', d.dmpExpected],
    ['DMP stored (once each)', d.dmpStored],
    ['DMP re-sends answered duplicate', d.dmpResent],
    ['DMP refusals', d.dmpRefused],
    ['mails expected', d.mailsExpected],
    ['mails received', d.mailsReceived],
    ['mails lost', d.mailsLost],
    ['duplicate mails (Message-ID)', d.mailDuplicates],
    ['unexpected mails', d.mailsUnexpected],
  ];
}
