/**
 * Delivery to the DMP through the whole pipeline (real broker and registry; the strict DMP simulator over mutual
 * TLS): each document type the routing rules send to the DMP is accepted and reads back byte-identical through
 * ITI-18/ITI-43, and its status ends `delivered` for the `dmp` route; an unknown patient is dead-lettered with the
 * DMP's code; a DMP down for a while opens the breaker once (one log line, the metric), the partitions wait, and
 * everything is delivered after recovery; every request the simulator received passes IPF's XDS validation (the
 * national deviations aside, see ipf-validator.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthCliStore, DmpHttpsTransport, signingX509, vihfSubjectFromMetadata } from '@passerelle/dmp';
import { createKafka, dlqTopic, H, prometheusMetrics } from '@passerelle/kafka-runtime';
import { isFinal, pipelineCodec, pipelineLogger, routeProgress } from '@passerelle/pipeline';
import type { DmpSubmission, DocumentStatus } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { createTestPki, type TestPki } from '@passerelle/testing';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local-pipeline';
import { isNationalDeviation, runIpfValidator, withoutNationalTypes } from '../dmp-simulator/ipf-validator';
import { findDocuments, retrieveDocument } from '../dmp-simulator/read-back';
import { startDmpSimulator, type DmpSimulator } from '../dmp-simulator/simulator';
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
const KNOWN = '279035121518989'; // the fixtures' patient
const SOFTWARE = { id: 'PASSERELLE-DEMO', name: 'Passerelle', version: '0.1.0' };

describe('delivery to the DMP (real broker, DMP simulator)', () => {
  const prefix = `dmp${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers, clientId: 'dmp-e2e', ssl: false });
  const codec = pipelineCodec(registryUrl);
  const work = mkdtempSync(join(tmpdir(), 'passerelle-dmp-'));
  const logLines: { msg: string; destination?: string }[] = [];
  const metrics = prometheusMetrics('dmp-gateway', { defaultMetrics: false });
  let pki: TestPki;
  let sim: DmpSimulator;
  let pipeline: LocalPipeline;
  let out: Awaited<ReturnType<typeof collector>>;

  const statuses = async (): Promise<Map<string, DocumentStatus>> => latestStatuses(codec, out.of(pipeline.topics.status));
  const doneFor = async (ids: string[]) => {
    const all = await statuses();
    return ids.every((id) => {
      const s = all.get(id);
      // No MSSanté operator here: a document is done once its state is final and its DMP route delivered or failed.
      return (
        s !== undefined &&
        isFinal(s.state) &&
        routeProgress(s).every((r) => r.route !== 'dmp' || r.state === 'delivered' || r.state === 'failed')
      );
    });
  };
  const submissionsOf = async (ids: string[]): Promise<DmpSubmission[]> => {
    let found: DmpSubmission[] = [];
    await waitFor('the DMP submissions', async () => {
      const all = await Promise.all(
        (await readCommitted(kafka, [pipeline.topics.dmp])).map((r) => codec.decode<DmpSubmission>(r.topic, r.value)),
      );
      found = all.filter((s) => ids.includes(s.eventId));
      return ids.every((id) => found.some((s) => s.eventId === id));
    });
    return found;
  };

  beforeAll(async () => {
    pki = await createTestPki(join(work, 'pki'), [PHARMACY], { broken: false });
    sim = await startDmpSimulator({ pkiDir: pki.keyStoreDir, patients: [KNOWN], recordDir: join(work, 'requests') });
    const serverCaFile = join(work, 'dmp-ca.pem');
    writeFileSync(serverCaFile, sim.caPem);
    const logger = pipelineLogger('pipeline', {
      destination: { write: (line: string) => void logLines.push(JSON.parse(line) as { msg: string }) },
    });
    pipeline = await startLocalPipeline({
      keyStoreDir: pki.keyStoreDir,
      trustDir: pki.trustDir,
      prefix,
      tiers: '1s,2s',
      logger,
      env: { PASSERELLE_DMP_BREAKER_THRESHOLD: '2', PASSERELLE_DMP_BREAKER_OPEN_MS: '1000', PASSERELLE_DMP_TIMEOUT_MS: '5000' },
      metrics: (service) => (service === 'dmp-gateway' ? metrics : undefined),
      dmp: { endpoint: sim.repositoryUrl, serverCaFile, authDir: pki.authDir },
    });
    out = await collector(kafka, [pipeline.topics.status]);
  }, 120_000);

  afterAll(async () => {
    await out?.stop();
    await pipeline?.stop();
    await sim?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('delivers each document type routed to the DMP; the DMP reads it back byte-identical; the route ends delivered', async () => {
    const events: AnyEvent[] = [
      sample('vaccination'),
      sample('medication-review'),
      sample('pharmaceutical-interview'),
      sample('dispensation'),
    ];
    await send(kafka, await encodeEvents(codec, pipeline.topics, events));
    const ids = events.map((e) => e.eventId);
    await waitFor('every document to be done', () => doneFor(ids), 90_000);
    const all = await statuses();
    // The routing defaults (DESIGN §4): a dispensation does not go to the DMP.
    const toDmp = ids.slice(0, 3);
    for (const id of toDmp) {
      const s = all.get(id) as DocumentStatus;
      expect(s.state).toBe('delivered');
      expect(routeProgress(s).find((r) => r.route === 'dmp')).toEqual({
        route: 'dmp',
        state: 'delivered',
        detail: 'RegistryResponse Success',
        delivered: true,
      });
    }
    expect(all.get(ids[3] as string)?.state).toBe('routed');
    expect(routeProgress(all.get(ids[3] as string) as DocumentStatus).some((r) => r.route === 'dmp')).toBe(false);

    // Read back as a DMP consumer would (ITI-18 then ITI-43), over mutual TLS with the pharmacy's AUTH_CLI.
    const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
    const authCli = new AuthCliStore({ dir: pki.authDir, trustAnchors: pki.trustDir });
    const transport = new DmpHttpsTransport({ serverCa: sim.caPem, timeoutMs: 10_000 });
    try {
      for (const submission of await submissionsOf(toDmp)) {
        const sign = keyStore.signingCredential(PHARMACY);
        const ctx = {
          transport,
          auth: authCli.credential(PHARMACY),
          signKey: { privateKey: sign.privateKey, certificate: signingX509(sign) },
          vihf: { ...vihfSubjectFromMetadata(submission.metadata), software: SOFTWARE },
        };
        const entry = (await findDocuments(ctx, sim.registryUrl, submission.metadata.patientId)).find(
          (f) => f.uniqueId === submission.metadata.uniqueId,
        );
        expect(entry).toBeDefined();
        const bytes = await retrieveDocument(ctx, sim.repositoryUrl, entry?.repositoryUniqueId ?? '', submission.metadata.uniqueId);
        expect(bytes.equals(submission.documentXml)).toBe(true);
      }
    } finally {
      transport.close();
    }
    expect(sim.submissionSets.size).toBe(3);
  }, 150_000);

  it("an unknown patient: dead-lettered with the DMP's XDSUnknownPatientId, no personal data in the reason", async () => {
    sim.switches.unknown.add(KNOWN);
    try {
      const event = sample('vaccination');
      await send(kafka, await encodeEvents(codec, pipeline.topics, [event]));
      await waitFor('the dead letter', async () => (await statuses()).get(event.eventId)?.state === 'dead-lettered', 90_000);
      const s = (await statuses()).get(event.eventId) as DocumentStatus;
      expect(s).toMatchObject({ stage: 'dmp-gateway', detail: 'XDSUnknownPatientId' });
      expect(routeProgress(s).find((r) => r.route === 'dmp')).toMatchObject({ state: 'failed', detail: 'XDSUnknownPatientId' });
      const dead = (await readCommitted(kafka, [dlqTopic(pipeline.topics.dmp)])).filter((r) => r.headers[H.eventId] === event.eventId);
      expect(dead).toHaveLength(1);
      expect(dead[0]?.headers[H.errorCode]).toBe('XDSUnknownPatientId');
      expect(dead[0]?.headers[H.errorMessage]).not.toContain(KNOWN);
    } finally {
      sim.switches.unknown.delete(KNOWN);
    }
  }, 150_000);

  it('a DMP down for a while: the breaker opens once (one log line, the metric), records wait, all are delivered after recovery', async () => {
    const before = logLines.length;
    const delivered = sim.submissionSets.size;
    sim.switches.outage = true;
    const events = [
      sample('vaccination'),
      sample('vaccination'),
      sample('medication-review'),
      sample('vaccination'),
      sample('pharmaceutical-interview'),
    ];
    await send(kafka, await encodeEvents(codec, pipeline.topics, events));
    await waitFor(
      'the breaker to open',
      async () => (await metrics.text()).includes('passerelle_breaker_open{service="dmp-gateway",destination="dmp"} 1'),
      90_000,
    );
    // Down for a few probes' worth of time, then back.
    await new Promise((r) => setTimeout(r, 5_000));
    sim.switches.outage = false;
    const ids = events.map((e) => e.eventId);
    await waitFor('every document to be delivered after recovery', () => doneFor(ids), 120_000);
    const all = await statuses();
    for (const id of ids) expect(all.get(id)?.state).toBe('delivered');
    expect(sim.submissionSets.size).toBe(delivered + events.length);
    const lines = logLines.slice(before).filter((l) => l.destination === 'dmp');
    expect(lines.map((l) => l.msg)).toEqual([
      'DMP unavailable: breaker open, deliveries wait (partitions paused) and are probed with one record',
      'DMP available again: breaker closed, deliveries resume',
    ]);
    const text = await metrics.text();
    expect(text).toContain('passerelle_breaker_open{service="dmp-gateway",destination="dmp"} 0');
    expect(text).toContain('passerelle_breaker_transitions_total{service="dmp-gateway",destination="dmp",state="open"} 1');
  }, 240_000);

  it("every request the simulator received passes IPF's XDS validation (the national deviations aside)", () => {
    const files = sim.received.flatMap((r) => (r.recordedAs ? [r.recordedAs] : []));
    expect(files.length).toBeGreaterThanOrEqual(9);
    const verdicts = runIpfValidator([...files, ...files.map(withoutNationalTypes)]);
    expect(verdicts).toHaveLength(2 * files.length);
    expect(verdicts.filter((v) => !v.ok && !isNationalDeviation(v.error))).toEqual([]);
    expect(verdicts.slice(files.length).filter((v) => !v.ok)).toEqual([]);
    process.stdout.write(
      `IPF ITI-41 validation: ${files.length} requests received by the DMP simulator, ${verdicts.slice(files.length).filter((v) => v.ok).length} pass with the national data types rewritten the IHE way, ${verdicts.slice(0, files.length).filter((v) => !v.ok).length} flag only the national deviations\n`,
    );
  }, 150_000);
});
