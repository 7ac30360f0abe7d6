/**
 * Delivery to MSSanté through the whole pipeline (real broker and registry; the MSSanté operator simulator over
 * STARTTLS with the pharmacy's client certificate; the DMP simulator too, to compare what both received): each
 * document type reaches the professionals' and the patient's mailboxes, one SMTP transaction per recipient, with the
 * X-MSS headers, a deterministic Message-ID, a DSN request, and an XDM archive whose METADATA.XML and CDA are those the
 * DMP received; each recipient's route ends `delivered` with the SMTP code and queue id. A 4xx then 250 is delivered; a
 * 5xx is dead-lettered with the SMTP code; an operator down opens the breaker once and everything is delivered after
 * recovery; a client certificate the operator refuses waits for a certificate, then is dead-lettered; a patient mailbox for an identity that is not qualified never leaves.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, dlqTopic, H, prometheusMetrics } from '@passerelle/kafka-runtime';
import { isPatientMailbox, messageIdFor } from '@passerelle/mss';
import { isDone, pipelineCodec, pipelineLogger, routeProgress } from '@passerelle/pipeline';
import type { DocumentStatus, MssMessage } from '@passerelle/schemas';
import { createTestPki, type TestPki } from '@passerelle/testing';
import { readXdmArchive } from '@passerelle/xdm';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local-pipeline';
import { startDmpSimulator, type DmpSimulator } from '../dmp-simulator/simulator';
import { MssSimulator, type ReceivedMail } from '../mss-simulator/simulator';
import {
  brokers,
  collector,
  encodeEvents,
  latestStatuses,
  readCommitted,
  registryUrl,
  sample,
  send,
  waitFor,
  type AnyEvent,
} from './harness';

const PHARMACY = '750100208';
const MAILBOX = 'pharmacie.italie@pharmacie-italie.mssante.fr'; // the fixtures' pharmacy mailbox
const MATRICULE = '279035121518989'; // the fixtures' patient

describe('delivery to MSSanté (real broker, MSSanté and DMP simulators)', () => {
  const prefix = `mss${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers, clientId: 'mss-e2e', ssl: false });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-mss-'));
  const logLines: { msg: string; destination?: string }[] = [];
  const metrics = prometheusMetrics('mss-gateway', { defaultMetrics: false });
  let pki: TestPki;
  let dmp: DmpSimulator;
  let sim: MssSimulator;
  let pipeline: LocalPipeline;
  let out: Awaited<ReturnType<typeof collector>>;

  const statuses = async (): Promise<Map<string, DocumentStatus>> => latestStatuses(codec, out.of(pipeline.topics.status));
  const doneFor = async (ids: string[]) => {
    const all = await statuses();
    return ids.every((id) => {
      const s = all.get(id);
      return s !== undefined && isDone(s);
    });
  };
  const mssRoutes = (s: DocumentStatus) => routeProgress(s).filter((r) => r.route.startsWith('mss:'));
  /** The mails of a document at the operator, by their deterministic Message-ID. */
  const mailsOf = (documentId: string): ReceivedMail[] =>
    sim.received.filter((m) => m.rcptTo.some((to) => m.messageId === messageIdFor(documentId, to, m.mailFrom)));

  beforeAll(async () => {
    pki = await createTestPki(join(work, 'pki'), [PHARMACY], { broken: false, serverNames: ['localhost', '127.0.0.1'] });
    sim = MssSimulator.forTestPki(pki, { [MAILBOX]: PHARMACY });
    const port = await sim.listen();
    dmp = await startDmpSimulator({ pkiDir: pki.keyStoreDir, anyPatient: true });
    writeFileSync(join(work, 'dmp-ca.pem'), dmp.caPem);
    const logger = pipelineLogger('pipeline', {
      destination: { write: (line: string) => void logLines.push(JSON.parse(line) as { msg: string }) },
    });
    pipeline = await startLocalPipeline({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      prefix,
      tiers: '1s,2s',
      logger,
      env: { PASSERELLE_MSS_BREAKER_THRESHOLD: '2', PASSERELLE_MSS_BREAKER_OPEN_MS: '1000' },
      metrics: (service) => (service === 'mss-gateway' ? metrics : undefined),
      dmp: { endpoint: dmp.repositoryUrl, serverCaFile: join(work, 'dmp-ca.pem'), authDir: pki.authDir },
      mss: { host: '127.0.0.1', port, servername: 'localhost', serverCaFile: pki.rootPem, authDir: pki.authDir },
    });
    out = await collector(kafka, [pipeline.topics.status]);
  }, 120_000);

  afterAll(async () => {
    await out?.stop();
    await pipeline?.stop();
    await sim?.close();
    await dmp?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('each document type reaches each kind of recipient: headers, Message-ID, DSN, and the archive the DMP received', async () => {
    const events: AnyEvent[] = [
      sample('vaccination'),
      sample('medication-review'),
      sample('pharmaceutical-interview'),
      sample('dispensation'),
    ];
    await send(kafka, await encodeEvents(codec, pipeline.topics, events));
    const ids = events.map((e) => e.eventId);
    await waitFor('every document to be done', () => doneFor(ids), 120_000);
    const all = await statuses();
    const audiences = new Set<string>();
    for (const id of ids) {
      const s = all.get(id) as DocumentStatus;
      const routes = mssRoutes(s);
      expect(routes.length).toBeGreaterThan(0);
      for (const r of routes) {
        expect({ id, route: r.route, state: r.state }).toEqual({ id, route: r.route, state: 'delivered' });
        // Each recipient its own route (`mss:patient`, `mss:professional-<n>`): `250 <queue id>`, never an address.
        expect(r.route).toMatch(/^mss:(patient|professional-[1-9][0-9]*)$/);
        expect(r.detail).toMatch(/^250 [0-9A-Za-z]+$/);
        audiences.add(r.route.replace(/-\d+$/, ''));
      }
      const mails = mailsOf(s.documentId);
      // One SMTP transaction per recipient.
      expect(mails.every((m) => m.rcptTo.length === 1)).toBe(true);
      const recipients = mails.map((m) => m.rcptTo[0] as string);
      expect(recipients.some(isPatientMailbox)).toBe(routes.some((r) => r.route === 'mss:patient'));
      expect(recipients.filter((to) => !isPatientMailbox(to))).toHaveLength(routes.filter((r) => r.route !== 'mss:patient').length);
      // One route per recipient, and its queue id is the one the operator gave that recipient's mail.
      expect(routes).toHaveLength(mails.length);
      expect(routes.map((r) => r.detail?.slice(4)).sort()).toEqual(mails.map((m) => m.queueId).sort());
      const stored = dmp.documents.get(s.documentId);
      for (const mail of mails) {
        const to = mail.rcptTo[0] as string;
        expect(mail.messageId).toBe(messageIdFor(s.documentId, to, MAILBOX));
        expect(mail.mailFrom).toBe(MAILBOX);
        expect(mail.clientFiness).toBe(PHARMACY);
        expect(mail.dsn).toEqual({ ret: 'HDRS', envid: (mail.messageId ?? '').slice(1, (mail.messageId ?? '').indexOf('@')) });
        expect(mail.rcptDsn).toEqual([{ notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;${to}` }]);
        const headers = mail.parsed.headers;
        expect(headers.get('x-mss-codecda')).toBeTruthy();
        expect(headers.get('x-mss-nil')).toBe('PASSERELLE-DEMO-0.1');
        expect(headers.get('x-mss-ins')).toBe('O');
        expect(headers.get('x-mss-mes')).toBe(isPatientMailbox(to) ? 'FIN' : undefined);
        if (isPatientMailbox(to)) expect(to).toBe(`${MATRICULE}@patient.mssante.fr`);
        expect(mail.parsed.text?.trim().length).toBeGreaterThan(0);
        expect(mail.parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([['IHE_XDM.ZIP', 'application/zip']]);
        const archive = await readXdmArchive(mail.parsed.attachments[0]?.content as Buffer);
        expect(archive.documents.every((d) => d.intact)).toBe(true);
        if (stored) {
          // What the DMP received for the same document: the same submission set, entry and CDA bytes.
          const set = dmp.submissionSets.get(stored.submissionSetUniqueId);
          expect(archive.submissionSet).toMatchObject({ uniqueId: set?.uniqueId, sourceId: set?.sourceId, patientId: set?.patientId });
          const cda = archive.documents.find((d) => d.uniqueId === s.documentId);
          expect(cda).toMatchObject({ hash: stored.hash, size: stored.size, patientId: stored.patientId, mimeType: stored.mimeType });
          expect(cda?.content?.equals(stored.bytes)).toBe(true);
          const signature = set?.entries.find((e) => e.isSignature);
          if (signature) expect(archive.documents.some((d) => d.content?.equals(signature.bytes))).toBe(true);
        }
      }
    }
    expect([...audiences].sort()).toEqual(['mss:patient', 'mss:professional']);
    // Documents the DMP received were compared (the dispensation does not go to the DMP).
    expect(ids.filter((id) => dmp.documents.has((all.get(id) as DocumentStatus).documentId)).length).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('a 4xx then 250: retried through the tiers, then delivered', async () => {
    sim.failNext(1, 451);
    const event = sample('vaccination');
    await send(kafka, await encodeEvents(codec, pipeline.topics, [event]));
    await waitFor('the document to be done', () => doneFor([event.eventId]), 90_000);
    const s = (await statuses()).get(event.eventId) as DocumentStatus;
    expect(mssRoutes(s).map((r) => r.state)).toEqual(mssRoutes(s).map(() => 'delivered'));
    expect(
      s.history.filter((h) => h.stage === 'mss-gateway' && h.state === 'retrying').map((h) => h.detail?.replace(/^mss:[\w-]+: /, '')),
    ).toEqual(['MSS_SMTP_TRANSIENT 451']);
  }, 120_000);

  it('a 5xx: dead-lettered with the SMTP code, no address in the reason', async () => {
    sim.reject(550);
    const event = sample('vaccination');
    try {
      await send(kafka, await encodeEvents(codec, pipeline.topics, [event]));
      await waitFor('the dead letters', () => doneFor([event.eventId]), 90_000);
    } finally {
      sim.acceptAgain();
    }
    const s = (await statuses()).get(event.eventId) as DocumentStatus;
    const routes = mssRoutes(s);
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) expect(r).toMatchObject({ state: 'failed', detail: 'MSS_SMTP_REJECTED 550' });
    expect(routeProgress(s).find((r) => r.route === 'dmp')?.state).toBe('delivered');
    const dead = (await readCommitted(kafka, [dlqTopic(pipeline.topics.mss)])).filter((r) => r.headers[H.eventId] === event.eventId);
    // One dead letter per record (a document's message to the patient, its message to the professionals).
    expect(dead).toHaveLength(new Set(routes.map((r) => r.route === 'mss:patient')).size);
    for (const d of dead) {
      expect(d.headers[H.errorCode]).toBe('MSS_SMTP_REJECTED');
      expect(d.headers[H.errorMessage]).toMatch(/^smtp 550: /);
      expect(d.headers[H.errorMessage]).not.toContain(MATRICULE);
      expect(d.headers[H.errorMessage]).not.toContain('@');
    }
  }, 120_000);

  it('the operator down: the breaker opens once (one log line, the metric), records wait, all delivered after recovery', async () => {
    const before = logLines.length;
    await sim.outage(true);
    const events = [sample('vaccination'), sample('medication-review'), sample('vaccination'), sample('pharmaceutical-interview')];
    try {
      await send(kafka, await encodeEvents(codec, pipeline.topics, events));
      await waitFor(
        'the breaker to open',
        async () => (await metrics.text()).includes('passerelle_breaker_open{service="mss-gateway",destination="mss"} 1'),
        90_000,
      );
      await new Promise((r) => setTimeout(r, 4_000));
    } finally {
      await sim.outage(false);
    }
    const ids = events.map((e) => e.eventId);
    await waitFor('every document to be delivered after recovery', () => doneFor(ids), 120_000);
    const all = await statuses();
    for (const id of ids) for (const r of mssRoutes(all.get(id) as DocumentStatus)) expect(r.state).toBe('delivered');
    const lines = logLines.slice(before).filter((l) => l.destination === 'mss');
    expect(lines.map((l) => l.msg)).toEqual([
      'MSSanté operator unavailable: breaker open, deliveries wait (partitions paused) and are probed with one record',
      'MSSanté operator available again: breaker closed, deliveries resume',
    ]);
    expect(await metrics.text()).toContain('passerelle_breaker_open{service="mss-gateway",destination="mss"} 0');
  }, 240_000);

  it('a client certificate the operator refuses: waiting for a certificate on each route, then dead-lettered; nothing sent, breaker closed', async () => {
    const before = logLines.length;
    const refused = sim.refusedSessions.length;
    sim.revoke(PHARMACY);
    const event = sample('vaccination');
    try {
      await send(kafka, await encodeEvents(codec, pipeline.topics, [event]));
      await waitFor('the dead letters', () => doneFor([event.eventId]), 90_000);
    } finally {
      sim.reinstate(PHARMACY);
    }
    const s = (await statuses()).get(event.eventId) as DocumentStatus;
    const routes = mssRoutes(s);
    expect(routes.length).toBeGreaterThan(1);
    // The first recipient of each record met the refusal; the others of the same record were not tried after it.
    const refusedRoute = (route: string) => route === 'mss:patient' || route === 'mss:professional-1';
    const expected = (route: string) => (refusedRoute(route) ? 'CERT_REFUSED_BY_SERVER 535' : 'MSS_NOT_ATTEMPTED 535');
    expect(routes.map((r) => [r.route, r.state, r.detail])).toEqual(routes.map((r) => [r.route, 'failed', expected(r.route)]));
    // Each retry waited for a certificate, per route, before the tiers ran out.
    const waiting = s.history.filter((h) => h.stage === 'mss-gateway' && h.state === 'waiting-for-certificate');
    expect(new Set(waiting.map((h) => h.detail))).toEqual(new Set(routes.map((r) => `${r.route}: ${expected(r.route)}`)));
    expect(mailsOf(s.documentId)).toEqual([]);
    expect(sim.refusedSessions.slice(refused).every((r) => r === 'revoked')).toBe(true);
    expect(sim.refusedSessions.length - refused).toBeGreaterThanOrEqual(routes.length);
    // The operator answered: it is up, so the breaker stays closed and other pharmacies' mail keeps flowing.
    expect(logLines.slice(before).filter((l) => l.destination === 'mss')).toEqual([]);
    const dead = (await readCommitted(kafka, [dlqTopic(pipeline.topics.mss)])).filter((r) => r.headers[H.eventId] === event.eventId);
    expect(dead.map((d) => d.headers[H.errorCode])).toEqual(dead.map(() => 'CERT_REFUSED_BY_SERVER'));
    expect(dead.length).toBeGreaterThan(0);
  }, 120_000);

  it('a patient mailbox for an identity that is not qualified never leaves: dead-lettered, no connection made', async () => {
    // A record as a faulty router could write it: the patient's mailbox, but X-MSS-INS: N.
    const records = await Promise.all(
      (await readCommitted(kafka, [pipeline.topics.mss])).map((r) => codec.decode<MssMessage>(r.topic, r.value)),
    );
    const original = records.find((m) => m.audience === 'patient') as MssMessage;
    const documentId = `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
    const eventId = randomUUID();
    const forged: MssMessage = { ...original, eventId, documentId, headers: { ...original.headers, 'X-MSS-INS': 'N' } };
    const connections = sim.connections;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: pipeline.topics.mss,
      messages: [
        {
          key: documentId,
          value: await codec.encode(pipeline.topics.mss, forged),
          headers: { [H.eventId]: eventId, [H.documentId]: documentId },
        },
      ],
    });
    await producer.disconnect();
    await waitFor('the dead letter', async () => (await statuses()).get(eventId)?.state === 'dead-lettered', 60_000);
    expect((await statuses()).get(eventId)).toMatchObject({ stage: 'mss-gateway', detail: 'mss:patient: MSS_PATIENT_NOT_QUALIFIED' });
    expect(mailsOf(documentId)).toEqual([]);
    expect(sim.connections).toBe(connections);
  }, 90_000);
});
