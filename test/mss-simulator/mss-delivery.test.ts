import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { CertificateError } from '@passerelle/signature';
import { createTestPki, type TestPki } from '@passerelle/testing';
import { buildMssMessage, DEFAULT_CONTENT_TYPE_CODE, type MessageContext, type MssRoute } from '@passerelle/router';
import type { MssMessage } from '@passerelle/schemas';
import { readXdmArchive } from '@passerelle/xdm';
import {
  deliverMessage,
  loadClientCredential,
  messageIdFor,
  MssError,
  type ClientCredential,
  type DeliveryDeps,
  type RecipientOutcome,
} from '@passerelle/mss';
import { sampleMetadata } from '../fixtures/xds-metadata';
import { MssSimulator } from './simulator';

/**
 * End to end over real TLS, without Kafka: records as the router builds them, delivered by @passerelle/mss to the
 * MSSanté simulator (STARTTLS, client certificate from the test PKI), then read back from what the simulator stored.
 */

const FINESS = '750100208';
const FROM = 'officine@pharmacie-italie.mssante.fr';
const MATRICULE = '279035121518989';
const PATIENT = `${MATRICULE}@patient.mssante.fr`;
const DOCTORS = ['dr.martin@medecin.mssante.fr', 'dr.durand@medecin.mssante.fr'];
const documentXml =
  '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Note de vaccination</title>' +
  `<recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="${MATRICULE}"/></patientRole></recordTarget></ClinicalDocument>\n`;
const signatureXml = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="sig"><ds:SignedInfo/></ds:Signature>';
const context: MessageContext = {
  sourceId: '1.2.250.1.999.42.1',
  contentTypeCode: DEFAULT_CONTENT_TYPE_CODE,
  submissionTime: '20251121093005',
  productReference: 'PASSERELLE-0.1',
  producer: { vendor: 'Éditeur', product: 'Passerelle', version: '0.1.0' },
};

async function record(route: MssRoute, patientId = `${MATRICULE}^^^&1.2.250.1.213.1.4.10&ISO^NH`): Promise<MssMessage> {
  const metadata = sampleMetadata(documentXml, { patientId });
  const built = await buildMssMessage({
    route,
    metadata,
    documentXml,
    signatureXml,
    from: FROM,
    pharmacyName: 'Pharmacie Italie',
    context,
    submissionSetUniqueId: '2.25.226180104452231917633960217040542458183',
  });
  return { eventId: 'e1', occurredAt: Date.UTC(2025, 10, 21), documentId: metadata.uniqueId, ...built, authorFiness: FINESS, history: [] };
}

// The unit project's 60 s, stated: Jest applies a project's testTimeout inconsistently to hooks, and the PKI's
// RSA keys take seconds on a loaded 2-core machine.
jest.setTimeout(60_000);

let dir: string;
let pki: TestPki;
let sim: MssSimulator;
let credential: ClientCredential;
let deps: DeliveryDeps;
let professionals: MssMessage;
let patient: MssMessage;

const p12 = (variantDir: string) =>
  loadClientCredential({ pkcs12: readFileSync(join(variantDir, `${FINESS}.p12`)), passphrase: pki.passphrase(FINESS), finess: FINESS });

function delivered(outcome: RecipientOutcome | undefined): Extract<RecipientOutcome, { outcome: 'delivered' }> {
  if (outcome?.outcome !== 'delivered')
    throw new Error(`expected delivered, got ${outcome?.outcome} ${outcome && 'error' in outcome ? outcome.error.message : ''}`);
  return outcome;
}
function failed(outcome: RecipientOutcome | undefined): MssError {
  if (!outcome || outcome.outcome === 'delivered') throw new Error('expected a failure');
  return outcome.error;
}
async function refused(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mss-sim-'));
  pki = await createTestPki(dir, [FINESS], { serverNames: ['localhost', '127.0.0.1'] });
  sim = MssSimulator.forTestPki(pki, { [FROM]: FINESS });
  const port = await sim.listen();
  credential = p12(pki.authDir);
  deps = {
    smtp: {
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      serverCa: readFileSync(pki.rootPem),
      connectionTimeoutMs: 5_000,
      greetingTimeoutMs: 5_000,
      socketTimeoutMs: 10_000,
    },
    credential,
    trustAnchors: [new X509Certificate(readFileSync(pki.rootPem))],
    testPlatform: true,
  };
  professionals = await record({ kind: 'mss', to: DOCTORS, audience: 'professionals' });
  patient = await record({ kind: 'mss', to: [PATIENT], audience: 'patient' });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  sim.acceptAgain();
  sim.latencyMs = 0;
  await sim.outage(false);
});

describe('delivery to the MSSanté simulator over STARTTLS with the AUTH_CLI certificate', () => {
  it('professionals: one mail per recipient, X-MSS headers, deterministic Message-ID, DSN, text and the XDM archive', async () => {
    const before = sim.received.length;
    const outcomes = await deliverMessage(professionals, deps);
    expect(outcomes.map((o) => [o.recipient, o.outcome])).toEqual(DOCTORS.map((d) => [d, 'delivered']));
    const mails = sim.received.slice(before);
    expect(mails).toHaveLength(2);
    const expectedArchive = await readXdmArchive(professionals.attachment);
    for (const [i, doctor] of DOCTORS.entries()) {
      const outcome = delivered(outcomes[i]);
      const mail = mails[i];
      expect(outcome.messageId).toBe(messageIdFor(professionals.documentId, doctor, FROM));
      expect(mail?.messageId).toBe(outcome.messageId);
      expect(outcome.queueId).toBe(mail?.queueId);
      expect(outcome.smtpCode).toBe(250);
      expect(mail?.clientFiness).toBe(FINESS);
      expect(mail?.mailFrom).toBe(FROM);
      expect(mail?.rcptTo).toEqual([doctor]);
      expect(mail?.dsn).toEqual({ ret: 'HDRS', envid: outcome.messageId.slice(1, outcome.messageId.indexOf('@')) });
      expect(mail?.rcptDsn).toEqual([{ notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;${doctor}` }]);
      const parsed = mail?.parsed;
      expect(parsed?.headers.get('content-type')).toMatchObject({ value: 'multipart/mixed' });
      expect(parsed?.headers.get('x-mss-codecda')).toBe('87273-9');
      expect(parsed?.headers.get('x-mss-ins')).toBe('O');
      expect(parsed?.headers.get('x-mss-nil')).toBe('PASSERELLE-0.1');
      expect(parsed?.headers.has('x-mss-mes')).toBe(false);
      expect(parsed?.subject).toBe(professionals.subject);
      expect(parsed?.text?.trim()).toBe(professionals.text.trim());
      expect(parsed?.to && !Array.isArray(parsed.to) ? parsed.to.value.map((a) => a.address) : undefined).toEqual(DOCTORS);
      expect(parsed?.attachments.map((a) => [a.filename, a.contentType])).toEqual([['IHE_XDM.ZIP', 'application/zip']]);
      const raw = mail?.raw.toString('latin1') ?? '';
      expect(raw).toMatch(/^Content-Type: multipart\/mixed; boundary=/m);
      expect(raw).toMatch(/^Content-Type: text\/plain; charset=utf-8$/m);
      expect(raw).toMatch(/^Content-Type: application\/zip; name=IHE_XDM\.ZIP$/m);
      expect(raw).toMatch(/^Content-Disposition: attachment; filename=IHE_XDM\.ZIP$/m);
      expect(raw).toMatch(/^Date: /m);
      const archive = await readXdmArchive(parsed?.attachments[0]?.content as Buffer);
      expect(archive.metadataXml).toBe(expectedArchive.metadataXml);
      expect(archive.entries.get('IHE_XDM/SUBSET01/DOC0001.XML')?.toString('utf8')).toBe(documentXml);
      expect(archive.documents.every((d) => d.intact)).toBe(true);
    }
    expect(mails[0]?.messageId).not.toBe(mails[1]?.messageId);
  });

  it('patient: X-MSS-MES: FIN, to the Mon espace santé mailbox of the qualified INS', async () => {
    const before = sim.received.length;
    const [outcome] = await deliverMessage(patient, deps);
    expect(delivered(outcome).recipient).toBe(PATIENT);
    const mail = sim.received[before];
    expect(mail?.rcptTo).toEqual([PATIENT]);
    expect(mail?.messageId).toBe(messageIdFor(patient.documentId, PATIENT, FROM));
    expect(mail?.parsed.headers.get('x-mss-mes')).toBe('FIN');
    expect(mail?.parsed.headers.get('x-mss-ins')).toBe('O');
    const archive = await readXdmArchive(mail?.parsed.attachments[0]?.content as Buffer);
    expect(archive.submissionSet.patientId).toBe(`${MATRICULE}^^^&1.2.250.1.213.1.4.10&ISO^NH`);
    expect(archive.entries.get('IHE_XDM/SUBSET01/DOC0001.XML')?.toString('utf8')).toBe(documentXml);
  });

  it('sending the same message twice gives the same Message-ID: the simulator counts the duplicate', async () => {
    // Another document, so that no earlier test sent this one.
    const resent = { ...patient, documentId: '2.25.329800735698586629295641978511506172918' };
    const duplicates = sim.duplicates();
    const [first] = await deliverMessage(resent, deps);
    const [second] = await deliverMessage(resent, deps);
    expect(delivered(second).messageId).toBe(delivered(first).messageId);
    expect(delivered(first).messageId).not.toBe(messageIdFor(patient.documentId, PATIENT, FROM));
    expect(sim.byMessageId(delivered(first).messageId)).toHaveLength(2);
    expect(sim.duplicates()).toBe(duplicates + 1);
  });

  it('4xx then 250: transient with the code, then delivered on the next try', async () => {
    sim.failNext(1, 451);
    const [first] = await deliverMessage(patient, deps);
    expect(first?.outcome).toBe('transient');
    expect(failed(first)).toMatchObject({
      code: 'MSS_SMTP_TRANSIENT',
      retryable: true,
      smtp: { smtpCode: 451, enhancedCode: '4.3.0', command: 'DATA' },
    });
    const [second] = await deliverMessage(patient, deps);
    expect(delivered(second).messageId).toBe(first?.messageId);
  });

  it('5xx: permanent, with the SMTP code; nothing stored', async () => {
    sim.reject(550);
    const before = sim.received.length;
    const [outcome] = await deliverMessage(patient, deps);
    expect(outcome?.outcome).toBe('permanent');
    expect(failed(outcome)).toMatchObject({
      code: 'MSS_SMTP_REJECTED',
      errorClass: 'permanent',
      smtp: { smtpCode: 550, enhancedCode: '5.1.1', command: 'DATA' },
    });
    expect(failed(outcome).message).not.toContain(MATRICULE);
    expect(sim.received.length).toBe(before);
  });

  it('server down: transient for every recipient (the second not even tried), delivered after recovery', async () => {
    await sim.outage(true);
    const outcomes = await deliverMessage(professionals, deps);
    expect(outcomes.map((o) => o.outcome)).toEqual(['transient', 'transient']);
    expect(failed(outcomes[0])).toMatchObject({ code: 'MSS_UNAVAILABLE', retryable: true, smtp: { systemCode: 'ECONNREFUSED' } });
    expect(failed(outcomes[1]).code).toBe('MSS_NOT_ATTEMPTED');
    await sim.outage(false);
    const again = await deliverMessage(professionals, deps, { recipients: [DOCTORS[1] as string] });
    expect(again.map((o) => [o.recipient, o.outcome])).toEqual([[DOCTORS[1], 'delivered']]);
  });

  it('a reply slower than the socket timeout: transient; the mail the server kept anyway comes again with the same Message-ID', async () => {
    const late = { ...patient, documentId: '2.25.84220336152358262426106226002040446466' };
    const messageId = messageIdFor(late.documentId, PATIENT, FROM);
    sim.latencyMs = 3_000;
    const [first] = await deliverMessage(late, { ...deps, smtp: { ...deps.smtp, socketTimeoutMs: 1_000 } });
    expect(failed(first)).toMatchObject({ code: 'MSS_UNAVAILABLE', retryable: true, smtp: { transportCode: 'ETIMEDOUT' } });
    // The server finishes its slow DATA after the client gave up (bounded wait).
    for (let i = 0; i < 100 && sim.byMessageId(messageId).length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(sim.byMessageId(messageId)).toHaveLength(1);
    sim.latencyMs = 0;
    const [second] = await deliverMessage(late, deps);
    expect(delivered(second).messageId).toBe(messageId);
    // SMTP is at-least-once: the receiver sees the same Message-ID twice and can drop the second.
    expect(sim.byMessageId(messageId)).toHaveLength(2);
  });

  it('a client certificate the server refuses: a clear, transient CERT_REFUSED_BY_SERVER', async () => {
    // The gateway was told to trust another CA (a misconfiguration): its own check passes, the operator refuses.
    const rogue = p12(pki.authBroken['untrusted-issuer'] as string);
    const rogueRoot = rogue.chain[rogue.chain.length - 1]?.x509 as X509Certificate;
    const refusals = sim.refusedSessions.length;
    const [outcome] = await deliverMessage(patient, { ...deps, credential: rogue, trustAnchors: [rogueRoot] });
    expect(failed(outcome)).toMatchObject({
      code: 'CERT_REFUSED_BY_SERVER',
      retryable: true,
      smtp: { smtpCode: 535, enhancedCode: '5.7.8' },
    });
    expect(sim.refusedSessions.length).toBe(refusals + 1);
  });

  it('an expired, not yet valid or untrusted certificate is refused before connecting', async () => {
    const connections = sim.connections;
    const cases = [
      ['expired', 'CERT_EXPIRED'],
      ['not-yet-valid', 'CERT_NOT_YET_VALID'],
      ['untrusted-issuer', 'CERT_UNTRUSTED'],
    ] as const;
    for (const [variant, code] of cases) {
      const err = await refused(deliverMessage(patient, { ...deps, credential: p12(pki.authBroken[variant] as string) }));
      expect(err).toBeInstanceOf(CertificateError);
      expect(err).toMatchObject({ code, finess: FINESS });
    }
    // A SIGN certificate is not a TLS client certificate.
    const sign = loadClientCredential({ pkcs12: readFileSync(join(pki.keyStoreDir, `${FINESS}.p12`)), passphrase: pki.passphrase(FINESS) });
    expect(await refused(deliverMessage(patient, { ...deps, credential: sign }))).toMatchObject({ code: 'CERT_KEY_USAGE' });
    expect(sim.connections).toBe(connections);
  });

  it('the credential from PEM (key, then the chain in any order) works as from the PKCS#12', async () => {
    const certificates = credential.certChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    expect(certificates.length).toBeGreaterThanOrEqual(2);
    const pem = loadClientCredential({ keyPem: credential.keyPem, certPem: [...certificates].reverse().join('') });
    expect(pem.finess).toBe(FINESS);
    expect(pem.chain.map((c) => c.x509.fingerprint256)).toEqual(credential.chain.map((c) => c.x509.fingerprint256));
    const [outcome] = await deliverMessage(professionals, { ...deps, credential: pem }, { recipients: [DOCTORS[0] as string] });
    expect(delivered(outcome).recipient).toBe(DOCTORS[0]);
    // A key that matches no certificate of the PEM.
    const other = p12(pki.authBroken.expired as string);
    expect(() => loadClientCredential({ keyPem: other.keyPem, certPem: credential.certChainPem })).toThrow(
      expect.objectContaining({ code: 'CERT_UNREADABLE' }) as Error,
    );
    // Only recipients of the record.
    expect(await refused(deliverMessage(professionals, deps, { recipients: ['dr.autre@medecin.mssante.fr'] }))).toMatchObject({
      code: 'MSS_INVALID_MESSAGE',
    });
  });

  it('a patient mailbox for an identity that is not qualified never leaves', async () => {
    const connections = sim.connections;
    const before = sim.received.length;
    // The record says the archive carries no qualified INS.
    const notQualified = { ...patient, headers: { ...patient.headers, 'X-MSS-INS': 'N' } };
    expect(await refused(deliverMessage(notQualified, deps))).toMatchObject({ code: 'MSS_PATIENT_NOT_QUALIFIED', errorClass: 'permanent' });
    // The record claims O but the archive's patient is a local id, not an INS.
    const localId = await record({ kind: 'mss', to: [PATIENT], audience: 'patient' }, 'PAT-42^^^&1.2.250.1.999.1&ISO^NH');
    expect(await refused(deliverMessage({ ...localId, headers: { ...localId.headers, 'X-MSS-INS': 'O' } }, deps))).toMatchObject({
      code: 'MSS_PATIENT_NOT_QUALIFIED',
    });
    // A test INS on a production platform.
    expect(await refused(deliverMessage(patient, { ...deps, testPlatform: false }))).toMatchObject({ code: 'MSS_PATIENT_NOT_QUALIFIED' });
    // The mailbox of another INS than the archive's.
    const other = { ...patient, to: ['253072B07300470@patient.mssante.fr'] };
    const mismatch = await refused(deliverMessage(other, deps));
    expect(mismatch).toMatchObject({ code: 'MSS_PATIENT_INS_MISMATCH' });
    expect(mismatch.message).not.toMatch(/\d{13}/);
    expect(sim.connections).toBe(connections);
    expect(sim.received.length).toBe(before);
  });
});

describe('the simulator refuses what a real operator would', () => {
  const send = (options: Parameters<typeof createTransport>[0], mail: Record<string, unknown>) => {
    const transport = createTransport(options);
    return transport.sendMail(mail).finally(() => transport.close());
  };
  const base = () => ({
    host: '127.0.0.1',
    port: sim.port,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
    tls: { servername: 'localhost', ca: readFileSync(pki.rootPem), key: credential.keyPem, cert: credential.certChainPem },
  });
  const mail = (headers: Record<string, string>, to = DOCTORS[0]) => ({
    from: FROM,
    to,
    subject: 's',
    text: 't',
    headers,
    attachments: [{ filename: 'IHE_XDM.ZIP', content: professionals.attachment, contentType: 'application/zip' }],
  });
  const fullHeaders = { 'X-MSS-CODECDA': '87273-9', 'X-MSS-INS': 'O', 'X-MSS-NIL': 'X' };

  it('no STARTTLS: 530 before any mail', async () => {
    await expect(send({ ...base(), ignoreTLS: true }, mail(fullHeaders))).rejects.toMatchObject({ responseCode: 530 });
  });

  it('no client certificate: 530 5.7.0', async () => {
    const { key: _key, cert: _cert, ...tls } = base().tls;
    await expect(send({ ...base(), requireTLS: true, tls }, mail(fullHeaders))).rejects.toMatchObject({ responseCode: 530 });
  });

  it("a sender that is not the certificate organisation's mailbox: 550 5.7.1", async () => {
    await expect(
      send({ ...base(), requireTLS: true }, { ...mail(fullHeaders), from: 'autre@pharmacie-autre.mssante.fr' }),
    ).rejects.toMatchObject({
      responseCode: 550,
      command: 'MAIL FROM',
    });
  });

  it('a recipient outside MSSanté: refused', async () => {
    await expect(send({ ...base(), requireTLS: true }, mail(fullHeaders, 'someone@example.org'))).rejects.toMatchObject({
      responseCode: 550,
    });
  });

  it('missing X-MSS headers: 554 5.6.0, and no FIN to a patient: 554', async () => {
    const before = sim.received.length;
    await expect(send({ ...base(), requireTLS: true }, mail({ 'X-MSS-NIL': 'X' }))).rejects.toMatchObject({ responseCode: 554 });
    await expect(send({ ...base(), requireTLS: true }, mail({ 'X-MSS-CODECDA': '87273-9', 'X-MSS-INS': 'O' }))).rejects.toMatchObject({
      responseCode: 554,
    });
    await expect(send({ ...base(), requireTLS: true }, mail(fullHeaders, PATIENT))).rejects.toMatchObject({ responseCode: 554 });
    expect(sim.received.length).toBe(before);
  });
});
