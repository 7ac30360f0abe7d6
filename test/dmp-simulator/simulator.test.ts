/**
 * The DMP gateway's delivery against the strict DMP simulator, over real mutual TLS on the loopback: accepted
 * submissions read back byte-identical through ITI-18 and ITI-43, every refusal with the code the DMP would give and
 * the class the retry tiers need, the AUTH_CLI checks before any connection, and every ITI-41 request the simulator
 * received checked afterwards by IPF's validator (an XDS implementation no one here wrote).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthCliStore,
  buildIti41Request,
  ClientCertificateError,
  type ClientCredential,
  deliver,
  type DeliverDeps,
  DmpDeliveryError,
  DmpHttpsTransport,
  signingX509,
  signVihf,
  vihfSubjectFromMetadata,
} from '@passerelle/dmp';
import { buildDmpSubmission, DEFAULT_CONTENT_TYPE_CODE, xdsTime } from '@passerelle/router';
import type { DmpSubmission } from '@passerelle/schemas';
import { KeyStore, readPkcs12, signSubmission } from '@passerelle/signature';
import type { TestPki } from '@passerelle/testing';
import { xdsHashAndSize } from '@passerelle/xdm';
import { isNationalDeviation, NATIONAL_DEVIATIONS, runIpfValidator, withoutNationalTypes } from './ipf-validator';
import { findDocuments, retrieveDocument, type ReadBackContext } from './read-back';
import { DMP_CODES, startDmpSimulator, type DmpSimulator } from './simulator';
import { FINESS, makeSubmission, matriculeWithKey, SOURCE_ID, testPki, type FixtureKind } from './submissions';

const SOFTWARE = { id: 'PASSERELLE-TEST', name: 'Passerelle', version: '0.1.0' };
const KNOWN = '279035121518989'; // the fixtures' patient

let pki: TestPki;
let keyStore: KeyStore;
let authCli: AuthCliStore;
let sim: DmpSimulator;
let transport: DmpHttpsTransport;
let deps: DeliverDeps;
let recordDir: string;

beforeAll(async () => {
  pki = await testPki();
  keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
  authCli = new AuthCliStore({ dir: pki.authDir, trustAnchors: pki.trustDir });
  recordDir = mkdtempSync(join(tmpdir(), 'dmp-requests-'));
  sim = await startDmpSimulator({ pkiDir: pki.keyStoreDir, patients: [KNOWN], recordDir });
  transport = new DmpHttpsTransport({ serverCa: sim.caPem, timeoutMs: 5_000 });
  deps = { endpoint: sim.repositoryUrl, authCli, signKeys: keyStore, transport, software: SOFTWARE };
}, 60_000);

afterAll(async () => {
  transport?.close();
  await sim?.close();
});

const fresh = (kind: FixtureKind = 'vaccination', matricule?: string) =>
  makeSubmission(kind, keyStore, { eventId: randomUUID(), ...(matricule ? { matricule } : {}) });

/** Every error and answer the gateway produced, for the privacy check at the end. */
const outputs: string[] = [];

async function refusal(promise: Promise<unknown>): Promise<DmpDeliveryError | ClientCertificateError> {
  try {
    outputs.push(JSON.stringify(await promise));
  } catch (error) {
    if (error instanceof DmpDeliveryError || error instanceof ClientCertificateError) {
      outputs.push(`${error.code} ${error.message} ${'dmpCode' in error ? String(error.dmpCode) : ''}`);
      return error;
    }
    throw error;
  }
  throw new Error('expected a refusal, the delivery succeeded');
}

function readBackContext(submission: DmpSubmission): ReadBackContext {
  const sign = keyStore.signingCredential(FINESS);
  return {
    transport,
    auth: authCli.credential(FINESS),
    signKey: { privateKey: sign.privateKey, certificate: signingX509(sign) },
    vihf: { ...vihfSubjectFromMetadata(submission.metadata), software: SOFTWARE },
  };
}

describe('accepted submissions', () => {
  it.each<FixtureKind>(['vaccination', 'medication-review', 'pharmaceutical-interview', 'dispensation'])(
    '%s: delivered, then read back byte-identical through ITI-18 and ITI-43',
    async (kind) => {
      const submission = await fresh(kind);
      const result = await deliver(submission, deps);
      outputs.push(JSON.stringify(result));
      expect(result).toMatchObject({
        outcome: 'delivered',
        answer: 'RegistryResponse Success',
        submissionSetUniqueId: submission.submissionSetUniqueId,
      });
      expect(sim.received.at(-1)).toMatchObject({ action: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b', outcome: 'Success' });

      const ctx = readBackContext(submission);
      const found = await findDocuments(ctx, sim.registryUrl, submission.metadata.patientId);
      const entry = found.find((f) => f.uniqueId === submission.metadata.uniqueId);
      expect(entry).toMatchObject({ hash: submission.metadata.hash });
      const bytes = await retrieveDocument(ctx, sim.repositoryUrl, entry?.repositoryUniqueId ?? '', submission.metadata.uniqueId);
      expect(bytes.equals(submission.documentXml)).toBe(true);
    },
  );

  it('reuses the pharmacy’s TLS connection from one delivery to the next (keep-alive, one agent per pharmacy)', async () => {
    await deliver(await fresh(), deps);
    const before = sim.connections;
    await deliver(await fresh(), deps);
    await deliver(await fresh(), deps);
    expect(sim.connections).toBe(before);
  });
});

describe('refusals, as the DMP gives them', () => {
  it('an unknown patient: permanent XDSUnknownPatientId, with no personal data in the error', async () => {
    const matricule = matriculeWithKey('1850275123456');
    const error = await refusal(deliver(await fresh('vaccination', matricule), deps));
    expect(error).toMatchObject({ code: 'XDSUnknownPatientId', errorClass: 'permanent', dmpCode: 'XDSUnknownPatientId' });
    expect(error.message).not.toContain(matricule);
    expect(error.message).not.toContain(matricule.slice(0, 13));
  });

  it('the same submission set again: already delivered, stored once', async () => {
    const submission = await fresh();
    await expect(deliver(submission, deps)).resolves.toMatchObject({ outcome: 'delivered' });
    await expect(deliver(submission, deps)).resolves.toMatchObject({
      outcome: 'already-delivered',
      answer: expect.stringContaining('XDSDuplicateUniqueIdInRegistry'),
    });
    expect([...sim.submissionSets.keys()].filter((id) => id === submission.submissionSetUniqueId)).toHaveLength(1);
  });

  it('a document uniqueId already stored with other bytes: permanent XDSNonIdenticalHash', async () => {
    const first = await fresh();
    await deliver(first, deps);
    // Same document uniqueId, other content, properly signed in a new submission set.
    const documentXml = Buffer.from(first.documentXml.toString().replace('</title>', ' (bis)</title>'));
    expect(documentXml.equals(first.documentXml)).toBe(false);
    const metadata = { ...first.metadata, ...xdsHashAndSize(documentXml) };
    const signed = signSubmission(
      {
        documentXml,
        documentUniqueId: metadata.uniqueId,
        submissionSetUniqueId: `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`,
        finess: FINESS,
      },
      keyStore,
    );
    const built = buildDmpSubmission({
      metadata,
      documentXml,
      signatureXml: signed.signatureXml,
      submissionSetUniqueId: signed.submissionSetUniqueId,
      context: { sourceId: SOURCE_ID, contentTypeCode: DEFAULT_CONTENT_TYPE_CODE, submissionTime: xdsTime(Date.now()) },
    });
    const error = await refusal(deliver({ ...first, ...built }, deps));
    expect(error).toMatchObject({ code: 'XDSNonIdenticalHash', errorClass: 'permanent' });
  });

  it('a closed DMP and a patient’s opposition: permanent, with the DMP’s codes', async () => {
    const closed = matriculeWithKey('2750199123456');
    const opposed = matriculeWithKey('1620375123456');
    sim.patients.add(closed);
    sim.patients.add(opposed);
    sim.switches.closed.add(closed);
    sim.switches.opposed.add(opposed);
    expect(await refusal(deliver(await fresh('vaccination', closed), deps))).toMatchObject({
      code: DMP_CODES.closed,
      errorClass: 'permanent',
    });
    expect(await refusal(deliver(await fresh('vaccination', opposed), deps))).toMatchObject({
      code: DMP_CODES.opposition,
      errorClass: 'permanent',
    });
  });

  it('a VIHF signed with the AUTH_CLI (TLS) certificate: SOAP fault DMPInvalidCertificate', async () => {
    const submission = await fresh();
    const auth = authCli.credential(FINESS);
    const vihf = signVihf(
      { ...vihfSubjectFromMetadata(submission.metadata), software: SOFTWARE },
      { privateKey: auth.credential.privateKey, certificate: auth.certificate },
    );
    const request = buildIti41Request({ submission, vihfXml: vihf.xml, to: sim.repositoryUrl });
    const answer = await transport.post(sim.repositoryUrl, auth, request.contentType, request.body);
    expect(answer.status).toBe(500);
    expect(answer.body.toString('utf8')).toContain('DMPInvalidCertificate');
  });
});

describe('transient failures', () => {
  it('a SOAP fault: transient, and the next attempt is delivered', async () => {
    const submission = await fresh();
    sim.switches.soapFaults = 1;
    expect(await refusal(deliver(submission, deps))).toMatchObject({
      code: 'DMP_SOAP_FAULT',
      errorClass: 'transient',
      dmpCode: 'DMPServiceError',
    });
    await expect(deliver(submission, deps)).resolves.toMatchObject({ outcome: 'delivered' });
  });

  it('an answer later than the client’s timeout: transient DMP_TIMEOUT; the re-send counts as delivered, stored once', async () => {
    const submission = await fresh();
    const impatient = new DmpHttpsTransport({ serverCa: sim.caPem, timeoutMs: 300 });
    sim.switches.latencyMs = 1_500;
    try {
      expect(await refusal(deliver(submission, { ...deps, transport: impatient }))).toMatchObject({
        code: 'DMP_TIMEOUT',
        errorClass: 'transient',
      });
    } finally {
      sim.switches.latencyMs = 0;
      impatient.close();
    }
    await expect(deliver(submission, deps)).resolves.toMatchObject({ outcome: 'already-delivered' });
    expect([...sim.documents.values()].filter((d) => d.uniqueId === submission.metadata.uniqueId)).toHaveLength(1);
  });

  it('an outage (HTTP 503): transient DMP_HTTP_5XX', async () => {
    sim.switches.outage = true;
    try {
      expect(await refusal(deliver(await fresh(), deps))).toMatchObject({ code: 'DMP_HTTP_5XX', errorClass: 'transient' });
    } finally {
      sim.switches.outage = false;
    }
  });
});

describe('the AUTH_CLI certificate', () => {
  it.each([
    ['expired', 'AUTH_CLI_EXPIRED'],
    ['not-yet-valid', 'AUTH_CLI_NOT_YET_VALID'],
    ['untrusted-issuer', 'AUTH_CLI_UNTRUSTED'],
    ['sign-certificate', 'AUTH_CLI_KEY_USAGE'],
  ] as const)('%s: refused with %s before any connection', async (variant, code) => {
    const store = new AuthCliStore({ dir: pki.authBroken[variant] as string, trustAnchors: pki.trustDir });
    const sockets = sim.sockets;
    const requests = sim.received.length;
    const error = await refusal(
      deliver(await fresh(), { ...deps, authCli: store, transport: new DmpHttpsTransport({ serverCa: sim.caPem }) }),
    );
    expect(error).toBeInstanceOf(ClientCertificateError);
    expect(error).toMatchObject({ code, errorClass: 'transient' });
    expect(sim.sockets).toBe(sockets);
    expect(sim.received.length).toBe(requests);
  });

  it('a client certificate the DMP does not trust is refused by the server during the handshake: transient DMP_TLS', async () => {
    const dir = pki.authBroken['untrusted-issuer'] as string;
    const raw = readPkcs12(readFileSync(join(dir, `${FINESS}.p12`)), readFileSync(join(dir, `${FINESS}.pass`), 'utf8').trim(), FINESS);
    const rogue: ClientCredential = {
      finess: FINESS,
      keyPem: raw.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certPem: raw.chain.map((c) => c.x509.toString()).join(''),
      certificate: raw.certificate.x509,
      fingerprint: raw.certificate.x509.fingerprint256,
      credential: raw,
    };
    const own = new DmpHttpsTransport({ serverCa: sim.caPem, timeoutMs: 5_000 });
    const requests = sim.received.length;
    try {
      const error = await refusal(own.post(sim.repositoryUrl, rogue, 'multipart/related; boundary=x', Buffer.from('--x--\r\n')));
      expect(error).toMatchObject({ code: expect.stringMatching(/^DMP_(TLS|UNREACHABLE)$/), errorClass: 'transient' });
    } finally {
      own.close();
    }
    expect(sim.received.length).toBe(requests);
  });
});

describe('privacy', () => {
  it('no INS, name or birth date in any error, answer summary or HTTP header of the deliveries above', () => {
    const personal = ['279035121518989', '2790351215189', 'PAT-TROIS', 'DOMINIQUE', '1979-03-15', '19790315'];
    const headers = sim.received.map((r) => JSON.stringify(r.headers));
    expect(outputs.length).toBeGreaterThan(10);
    expect(headers.length).toBeGreaterThan(10);
    for (const text of [...outputs, ...headers]) for (const value of personal) expect(text).not.toContain(value);
    // The search would find them: they are in what the DMP received, where they belong.
    const body = readFileSync(sim.received.find((r) => r.recordedAs)?.recordedAs ?? '', 'utf8');
    expect(personal.filter((value) => body.includes(value))).toEqual(expect.arrayContaining(['279035121518989']));
  });
});

const DMP_SAMPLES = process.env.DMP_SAMPLES_DIR ?? join(__dirname, '../../../shared/spec/dmp');
const deviation = isNationalDeviation;

describe('an XDS validator no one here wrote', () => {
  it('IPF’s ITI-41 request validation: the DMP’s own TD2.1 sample shows the same national deviations, and one real mistake', () => {
    const sample = readFileSync(join(DMP_SAMPLES, 'TD2.1_-_Alimentation_requete.xml'), 'latin1');
    const body = /<ns4:ProvideAndRegisterDocumentSetRequest[\s\S]*<\/ns4:ProvideAndRegisterDocumentSetRequest>/.exec(sample)?.[0] ?? '';
    expect(body).not.toBe('');
    const file = join(recordDir, 'td21-sample.xml');
    writeFileSync(file, body.replace(/<xop:Include[^>]*\/>/g, Buffer.from('<a/>').toString('base64')), 'latin1');
    const [verdict, neutral] = runIpfValidator([file, withoutNationalTypes(file)]);
    expect(verdict).toMatchObject({ ok: false, error: expect.stringContaining(NATIONAL_DEVIATIONS[0] as string) });
    // And a real mistake of the sample, which the strict simulator refuses too (XDSMissingDocument): its second
    // xdsb:Document is `documentME2`, its ExtrinsicObject `DocumentME2` (ids are case-sensitive).
    expect(neutral).toMatchObject({
      ok: false,
      error: expect.stringContaining('A document entry was provided without a corresponding document. UUID=DocumentME2'),
    });
    const fixed = file.replace(/\.xml$/, '.id-fixed.xml');
    writeFileSync(
      fixed,
      readFileSync(file, 'latin1').replace('<ns4:Document id="documentME2">', '<ns4:Document id="DocumentME2">'),
      'latin1',
    );
    expect(runIpfValidator([withoutNationalTypes(fixed)])).toEqual([expect.objectContaining({ ok: true })]);
  }, 120_000);

  it('IPF’s ITI-41 request validation finds nothing else in any request the simulator received', () => {
    const files = sim.received.flatMap((r) => (r.recordedAs ? [r.recordedAs] : []));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const verdicts = runIpfValidator([...files, ...files.map(withoutNationalTypes)]);
    expect(verdicts).toHaveLength(2 * files.length);
    expect(verdicts.filter((v) => !v.ok && !deviation(v.error))).toEqual([]);
    expect(verdicts.slice(files.length).filter((v) => !v.ok)).toEqual([]);
  }, 120_000);
});
