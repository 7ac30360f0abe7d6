/**
 * DESIGN §9: personal health data never appears in logs, metric labels, Kafka keys or headers. The whole pipeline runs
 * on fixture patients with distinctive names, INS and birth dates, down the good path and every failure path
 * (invalid INS key → dead letter, identity not qualified → parked, missing certificate → retry tiers → dead letter,
 * not Avro → dead letter, delivered to the DMP simulator by the dmp-gateway, refused by it as an unknown patient →
 * dead letter with the DMP's code and its scrubbed text, sent to MSSanté by the mss-gateway, to the professionals and to
 * the patient's mailbox (whose address is the INS), with 4xx answers on the way → retry tiers); then every log line,
 * every metric, every status detail and every key and header of every topic of the run is searched for them (the
 * mail itself carries the patient's data: it is not searched).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, H, prometheusMetrics } from '@passerelle/kafka-runtime';
import type { DocumentStatus, Patient } from '@passerelle/schemas';
import { createTestPki } from '@passerelle/testing';
import { Registry } from 'prom-client';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local-pipeline';
import { startDmpSimulator, type DmpSimulator } from '../dmp-simulator/simulator';
import { MssSimulator } from '../mss-simulator/simulator';
import { insKey } from '../generators/events';
import { readToEnd } from '../support/read-to-end';
import { brokers, collector, encodeEvents, latestStatuses, registryUrl, sample, send, waitFor, type AnyEvent } from '../pipeline/harness';
import { isDone, pipelineCodec, pipelineLogger, routeProgress } from '@passerelle/pipeline';

const PHARMACY = '750100208';
const NO_CERT_PHARMACY = '130001234';
const MAILBOX = 'pharmacie.italie@pharmacie-italie.mssante.fr'; // the fixtures' pharmacy mailbox

interface FixturePatient {
  traits: Pick<
    Patient,
    | 'birthFamilyName'
    | 'birthGivenNames'
    | 'firstGivenName'
    | 'usedFamilyName'
    | 'usedGivenName'
    | 'birthDate'
    | 'sex'
    | 'birthPlace'
    | 'identityStatus'
  >;
  matricule: string;
}

const withKey = (first13: string) => `${first13}${insKey(first13)}`;
const wrongKey = (first13: string) => `${first13}${String((Number(insKey(first13)) % 97) + 1).padStart(2, '0')}`;

// Consistent traits (sex digit, year and month of birth, birth department) so that only what each case breaks fails.
const PATIENTS: Record<'routed' | 'noCert' | 'notQualified' | 'badKey' | 'dmpUnknown', FixturePatient> = {
  dmpUnknown: {
    matricule: withKey('1720645088034'),
    traits: {
      birthFamilyName: 'VANDERBROUCKENHEIM',
      birthGivenNames: 'ONÉSIPHORE AMBROISE',
      firstGivenName: 'ONÉSIPHORE',
      usedFamilyName: 'MALESHERBIENNE',
      usedGivenName: 'AMBROISINO',
      birthDate: '1972-06-19',
      sex: 'M',
      birthPlace: '45088',
      identityStatus: 'QUALIFIEE',
    },
  },
  routed: {
    matricule: withKey('2790351215189'),
    traits: {
      birthFamilyName: 'KERGUELENNEC-VASSILIADIS',
      birthGivenNames: 'PHILOMÈNE EUDOXIE',
      firstGivenName: 'PHILOMÈNE',
      usedFamilyName: 'OUZBEKIANTZ',
      usedGivenName: 'EUDOXINETTE',
      birthDate: '1979-03-15',
      sex: 'F',
      birthPlace: '51215',
      identityStatus: 'QUALIFIEE',
    },
  },
  noCert: {
    matricule: withKey('1851175056123'),
    traits: {
      birthFamilyName: 'TRZASKOWSKIEWICZ',
      birthGivenNames: 'ANATOLE BARNABÉ',
      firstGivenName: 'ANATOLE',
      usedFamilyName: 'LEBRETONNIÈRE',
      usedGivenName: 'BARNABÉO',
      birthDate: '1985-11-02',
      sex: 'M',
      birthPlace: '75056',
      identityStatus: 'QUALIFIEE',
    },
  },
  notQualified: {
    matricule: withKey('2900769123045'),
    traits: {
      birthFamilyName: 'XAVIERONNEAU',
      birthGivenNames: 'GWENDOLINETTE',
      firstGivenName: 'GWENDOLINETTE',
      usedFamilyName: null,
      usedGivenName: null,
      birthDate: '1990-07-21',
      sex: 'F',
      birthPlace: '69123',
      identityStatus: 'PROVISOIRE',
    },
  },
  badKey: {
    matricule: wrongKey('1620133063077'),
    traits: {
      birthFamilyName: 'QUIMPERLÉ-ZAGORSKA',
      birthGivenNames: 'THÉODULINE',
      firstGivenName: 'THÉODULINE',
      usedFamilyName: null,
      usedGivenName: null,
      birthDate: '1962-01-08',
      sex: 'M',
      birthPlace: '33063',
      identityStatus: 'QUALIFIEE',
    },
  },
};

function withPatient<T extends AnyEvent>(event: T, p: FixturePatient): T {
  event.patient = {
    ...event.patient,
    ...p.traits,
    localId: `LGO-${randomUUID().slice(0, 8)}`,
    ins: { ...event.patient.ins, matricule: p.matricule },
  };
  return event;
}

const stripAccents = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');

/** What must not be found, in the spellings a leak could take, lower-cased. */
function forbiddenStrings(p: FixturePatient): string[] {
  const t = p.traits;
  const [y, m, d] = t.birthDate.split('-') as [string, string, string];
  const names = [t.birthFamilyName, t.birthGivenNames, t.firstGivenName, t.usedFamilyName, t.usedGivenName]
    .filter((n): n is string => !!n)
    .flatMap((n) => [n, ...n.split(/[ -]/).filter((part) => part.length >= 6)]);
  const ins = p.matricule;
  return [
    ins,
    `${ins.slice(0, 13)} ${ins.slice(13)}`,
    [ins.slice(0, 1), ins.slice(1, 3), ins.slice(3, 5), ins.slice(5, 7), ins.slice(7, 10), ins.slice(10, 13), ins.slice(13)].join(' '),
    ...names.flatMap((n) => [n, stripAccents(n)]),
    t.birthDate,
    `${y}${m}${d}`,
    `${d}/${m}/${y}`,
    `${d}${m}${y}`,
    `${d}-${m}-${y}`,
  ].map((s) => s.toLowerCase());
}

const ALL_FORBIDDEN = Object.values(PATIENTS).flatMap(forbiddenStrings);

/** The forbidden strings found in `text`, if any. */
const leaks = (text: string): string[] => {
  const haystack = text.toLowerCase();
  const plain = stripAccents(haystack);
  return ALL_FORBIDDEN.filter((f) => haystack.includes(f) || plain.includes(f));
};

describe('no personal data in logs, metric labels, Kafka keys or headers (real broker)', () => {
  const prefix = `priv${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers, clientId: 'privacy-test', ssl: false });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-privacy-'));
  const logLines: string[] = [];
  const registry = new Registry();
  let pipeline: LocalPipeline;
  let dmp: DmpSimulator;
  let mss: MssSimulator;
  let statuses: Map<string, DocumentStatus>;
  const events: Record<string, AnyEvent> = {};

  beforeAll(async () => {
    const pki = await createTestPki(join(work, 'pki'), [PHARMACY], { broken: false, serverNames: ['localhost', '127.0.0.1'] });
    mss = MssSimulator.forTestPki(pki, { [MAILBOX]: PHARMACY });
    const mssPort = await mss.listen();
    // The first mails are deferred (4xx): the mss-gateway's failure path (logs, retry tiers, statuses) runs too.
    mss.failNext(3, 451);
    // Every service logs through the project's logger (its redaction included), at debug level, into memory.
    const logger = pipelineLogger('pipeline', { destination: { write: (line: string) => void logLines.push(line) } });
    logger.level = 'debug';
    // The DMP simulator knows every patient but one, whose refusal carries the INS in the DMP's own text.
    dmp = await startDmpSimulator({ pkiDir: pki.keyStoreDir, anyPatient: true });
    dmp.switches.unknown.add(PATIENTS.dmpUnknown.matricule);
    writeFileSync(join(work, 'dmp-ca.pem'), dmp.caPem);
    pipeline = await startLocalPipeline({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      prefix,
      tiers: '1s,2s',
      logger,
      metrics: (service) => prometheusMetrics(service, { registry }),
      dmp: { endpoint: dmp.repositoryUrl, serverCaFile: join(work, 'dmp-ca.pem'), authDir: pki.authDir },
      mss: { host: '127.0.0.1', port: mssPort, servername: 'localhost', serverCaFile: pki.rootPem, authDir: pki.authDir },
    });
    const t = pipeline.topics;
    const out = await collector(kafka, [t.status, t.dmp, t.mss]);

    events.vaccination = withPatient(sample('vaccination'), PATIENTS.routed);
    events.dispensation = withPatient(sample('dispensation'), PATIENTS.routed);
    events.review = withPatient(sample('medication-review'), PATIENTS.routed);
    events.interview = withPatient(sample('pharmaceutical-interview'), PATIENTS.routed);
    events.noCert = withPatient(sample('medication-review'), PATIENTS.noCert);
    events.noCert.pharmacy.finess = NO_CERT_PHARMACY;
    events.notQualified = withPatient(sample('vaccination'), PATIENTS.notQualified);
    events.badKey = withPatient(sample('vaccination'), PATIENTS.badKey);
    events.dmpUnknown = withPatient(sample('vaccination'), PATIENTS.dmpUnknown);
    const encoded = await encodeEvents(codec, t, Object.values(events));
    const notAvro = { topic: t.vaccination, key: 'poison-1', value: Buffer.from('{"not":"avro"}'), headers: { [H.eventId]: randomUUID() } };
    await send(kafka, [...encoded, notAvro]);

    const ids = Object.values(events).map((e) => e.eventId);
    await waitFor(
      'every event to reach its final state',
      async () => {
        const statuses = await latestStatuses(codec, out.of(t.status));
        return ids.every((id) => {
          const s = statuses.get(id);
          return s !== undefined && isDone(s);
        });
      },
      120_000,
    );
    statuses = await latestStatuses(codec, out.of(t.status));
    await out.stop();
    // The cases did take the paths they are here for.
    expect(statuses.get(events.vaccination.eventId)?.state).toBe('delivered');
    // Its DMP route failed; its MSSanté routes were delivered (the last status may be either gateway's).
    expect(routeProgress(statuses.get(events.dmpUnknown.eventId) as DocumentStatus).find((r) => r.route === 'dmp')).toMatchObject({
      state: 'failed',
      detail: 'XDSUnknownPatientId',
    });
    expect(statuses.get(events.noCert.eventId)).toMatchObject({ state: 'dead-lettered', detail: 'CERT_MISSING' });
    expect(statuses.get(events.notQualified.eventId)).toMatchObject({ state: 'parked', detail: 'identity-not-qualified' });
    expect(statuses.get(events.badKey.eventId)).toMatchObject({ state: 'dead-lettered', detail: 'INS_KEY_MISMATCH' });
    // The mss-gateway delivered to the patient's mailbox (its address is the INS) and to the professionals.
    const mssEntries = [...statuses.values()].flatMap((s) => s.history).filter((h) => h.stage === 'mss-gateway');
    expect(mssEntries.some((h) => h.state === 'delivered' && h.detail?.startsWith('mss:patient: 250 '))).toBe(true);
    expect(mssEntries.some((h) => h.state === 'delivered' && /^mss:professional-\d+: 250 /.test(h.detail ?? ''))).toBe(true);
    expect(mssEntries.some((h) => h.state === 'retrying' && h.detail?.endsWith('MSS_SMTP_TRANSIENT 451'))).toBe(true);
    expect(mss.received.some((m) => m.rcptTo.some((to) => to.startsWith(PATIENTS.routed.matricule)))).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    await dmp?.close();
    await mss?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('logs none of it', () => {
    expect(logLines.length).toBeGreaterThan(20);
    // kafkajs's lines come through the same logger.
    expect(logLines.some((l) => l.includes('"record failed"'))).toBe(true);
    const found = logLines.flatMap((line) => leaks(line).map((f) => `${f} in ${line.slice(0, 200)}`));
    expect(found).toEqual([]);
  });

  it('puts none of it in the details of statuses (the mss-gateway names routes and SMTP codes, never an address)', () => {
    const details = [...statuses.values()].flatMap((s) => [s.detail, ...s.history.map((h) => h.detail)]).filter((d): d is string => !!d);
    expect(details.some((d) => d.startsWith('mss:'))).toBe(true);
    expect(details.flatMap((d) => leaks(d).map((f) => `${f} in ${d}`))).toEqual([]);
    expect(details.filter((d) => d.includes('@'))).toEqual([]);
  });

  it('puts none of it in metric names or labels', async () => {
    const text = await registry.metrics();
    // The scrape is the real thing: the router's end-to-end latency and the dead letters by code are there.
    expect(text).toMatch(
      new RegExp(`passerelle_end_to_end_seconds_count\\{service="router",topic="${prefix.replace('.', '\\.')}dmp\\.submissions"\\} [1-9]`),
    );
    expect(text).toContain('code="INS_KEY_MISMATCH"');
    expect(text).toContain('service="dmp-gateway"');
    expect(text).toContain('service="mss-gateway"');
    expect(text).toContain('code="XDSUnknownPatientId"');
    expect(text).toContain('code="CERT_MISSING"');
    // Operators' series (issue 15): deliveries by destination only, certificates by use and FINESS only.
    expect(text).toMatch(/passerelle_delivery_seconds_count\{service="dmp-gateway",destination="dmp"\} [1-9]/);
    expect(text).toMatch(/passerelle_delivery_seconds_count\{service="mss-gateway",destination="mss"\} [1-9]/);
    expect(text).toMatch(/passerelle_certificate_expiry_days\{service="signer",usage="sign",finess="\w{9}"\} \d/);
    expect(text).toMatch(/passerelle_certificate_expiry_days\{service="dmp-gateway",usage="auth-cli",finess="\w{9}"\} \d/);
    expect(text).toMatch(/passerelle_certificate_expiry_days\{service="mss-gateway",usage="auth-cli",finess="\w{9}"\} \d/);
    for (const m of text.matchAll(/passerelle_certificate_expiry_days\{([^}]*)\}/g)) {
      expect((m[1] as string).split(',').map((l) => l.split('=')[0])).toEqual(['service', 'usage', 'finess']);
    }
    const labels = [...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] as string);
    expect(labels.length).toBeGreaterThan(50);
    expect(leaks(text)).toEqual([]);
  });

  it('puts none of it in the key or headers of any record of any topic of the run', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await admin.disconnect();
    // Uncommitted reads too: an aborted transaction's records would be on disk all the same.
    const read = await readToEnd(kafka, topics, { readUncommitted: true, timeoutMs: 120_000 });
    const holding = (topic: string) => [...read.ends].filter(([tp, end]) => tp.startsWith(`${topic}:`) && end > 0n);
    const t = pipeline.topics;
    // Inputs, composed, signed, dmp, mss, status, retry tiers and dead letters all hold records.
    for (const topic of [
      t.vaccination,
      t.dispensation,
      t.medicationReview,
      t.composed,
      t.signed,
      t.dmp,
      t.mss,
      t.status,
      `${t.composed}.retry.1s`,
      `${t.composed}.retry.2s`,
      `${t.composed}.dlq`,
      `${t.vaccination}.dlq`,
      `${t.dmp}.dlq`,
      `${t.mss}.retry.1s`,
    ]) {
      expect({ topic, partitionsHoldingRecords: holding(topic).length > 0 }).toEqual({ topic, partitionsHoldingRecords: true });
    }
    // Every partition of every topic of the run was read to the end offset it had when the read began.
    const partitionsOf = (topic: string) => [...read.ends.keys()].filter((tp) => tp.slice(0, tp.lastIndexOf(':')) === topic);
    for (const topic of topics) expect({ topic, partitions: partitionsOf(topic).length > 0 }).toEqual({ topic, partitions: true });
    const reached = [...read.ends.keys()].map((tp) => ({ tp, position: read.positions.get(tp) }));
    expect(reached).toEqual([...read.ends].map(([tp, end]) => ({ tp, position: end })));
    const seen = read.records;

    expect(seen.length).toBeGreaterThan(30);
    // The values do carry the patients (documents are about them): the search would find a leak.
    const composed = seen.filter((s) => s.topic === t.composed).map((s) => s.message.value?.toString('utf8') ?? '');
    expect(composed.some((v) => leaks(v).includes('kerguelennec-vassiliadis'))).toBe(true);

    const found: string[] = [];
    for (const { topic, message } of seen) {
      const key = message.key?.toString('utf8') ?? '';
      for (const f of leaks(key)) found.push(`${f} in the key of ${topic}@${message.offset}`);
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        const text = `${name}=${([] as unknown[])
          .concat(value)
          .map((v) => String(v))
          .join(',')}`;
        for (const f of leaks(text)) found.push(`${f} in header ${name} of ${topic}@${message.offset}`);
      }
    }
    expect(found).toEqual([]);
    // Every failure path left its error code in headers, and nothing else about the patient.
    const codes = new Set(seen.map((s) => s.message.headers?.[H.errorCode]?.toString()).filter(Boolean));
    expect([...codes]).toEqual(expect.arrayContaining(['INS_KEY_MISMATCH', 'CERT_MISSING', 'NOT_AVRO', 'XDSUnknownPatientId']));
  }, 180_000);
});
