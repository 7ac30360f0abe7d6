/**
 * The simulator is strict enough to catch real mistakes: each test sends a request with one thing wrong, the way a
 * buggy gateway would, and expects what the DMP would answer. Requests are built with the gateway's own builder and
 * then altered, so that everything else in them is right.
 */
import { randomUUID } from 'node:crypto';
import {
  AuthCliStore,
  buildIti41Request,
  buildMtomMessage,
  type DmpAnswer,
  DmpHttpsTransport,
  ITI41_ACTION,
  parseDmpAnswer,
  signingX509,
  signVihf,
  type VihfInput,
  vihfSubjectFromMetadata,
} from '@passerelle/dmp';
import type { DmpSubmission } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import type { TestPki } from '@passerelle/testing';
import { xdsHashAndSize } from '@passerelle/xdm';
import { startDmpSimulator, type DmpSimulator } from './simulator';
import { FINESS, makeSubmission, testPki } from './submissions';

const SOFTWARE = { id: 'PASSERELLE-TEST', name: 'Passerelle', version: '0.1.0' };

let pki: TestPki;
let keyStore: KeyStore;
let authCli: AuthCliStore;
let sim: DmpSimulator;
let transport: DmpHttpsTransport;

beforeAll(async () => {
  pki = await testPki();
  keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
  authCli = new AuthCliStore({ dir: pki.authDir, trustAnchors: pki.trustDir });
  sim = await startDmpSimulator({ pkiDir: pki.keyStoreDir, patients: ['279035121518989'] });
  transport = new DmpHttpsTransport({ serverCa: sim.caPem, timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  transport?.close();
  await sim?.close();
});

interface Alterations {
  submission?: (s: DmpSubmission) => DmpSubmission;
  vihf?: (input: VihfInput) => VihfInput;
  vihfXml?: (xml: string) => string;
  envelope?: (xml: string) => string;
}

/** Sends a fresh submission with the given alterations; returns the simulator's answer, read by the gateway's parser. */
async function send(alter: Alterations = {}): Promise<DmpAnswer> {
  let submission = await makeSubmission('vaccination', keyStore, { eventId: randomUUID() });
  submission = alter.submission?.(submission) ?? submission;
  const sign = keyStore.signingCredential(FINESS);
  let input: VihfInput = { ...vihfSubjectFromMetadata(submission.metadata), software: SOFTWARE };
  input = alter.vihf?.(input) ?? input;
  let vihfXml = signVihf(input, { privateKey: sign.privateKey, certificate: signingX509(sign) }).xml;
  vihfXml = alter.vihfXml?.(vihfXml) ?? vihfXml;
  let request = buildIti41Request({ submission, vihfXml, to: sim.repositoryUrl });
  if (alter.envelope) {
    const [root, ...rest] = request.body.toString('latin1').split(/(?=--MIMEBoundary_)/);
    const parts = (root ?? '').split('\r\n\r\n');
    const envelope = Buffer.from(parts.slice(1).join('\r\n\r\n'), 'latin1').toString('utf8');
    const altered = alter.envelope(envelope.replace(/\r\n$/, ''));
    const attachments = rest.slice(0, -1).map((part) => {
      const [head, ...body] = part.split('\r\n\r\n');
      const id = /Content-ID: <([^>]+)>/.exec(head ?? '')?.[1] ?? '';
      return { contentId: id, contentType: 'text/xml', bytes: Buffer.from(body.join('\r\n\r\n').replace(/\r\n$/, ''), 'latin1') };
    });
    request = { ...request, ...buildMtomMessage(altered, attachments, ITI41_ACTION) };
  }
  const answer = await transport.post(sim.repositoryUrl, authCli.credential(FINESS), request.contentType, request.body);
  return parseDmpAnswer(String(answer.headers['content-type']), answer.body);
}

const registryCode = (answer: DmpAnswer) => (answer.kind === 'failure' ? answer.errors.map((e) => e.errorCode) : [answer.kind]);
const faultCode = (answer: DmpAnswer) => (answer.kind === 'soap-fault' ? answer.subcode : answer.kind);

describe('the simulator refuses what the DMP would refuse', () => {
  it('accepts the unaltered request (the baseline of every case below)', async () => {
    expect((await send()).kind).toBe('success');
  });

  it('WS-Addressing: an Action that is not mustUnderstand', async () => {
    const answer = await send({ envelope: (xml) => xml.replace('<wsa:Action soap:mustUnderstand="true">', '<wsa:Action>') });
    expect(faultCode(answer)).toBe('InvalidAddressingHeader');
  });

  it('WS-Addressing: no MessageID', async () => {
    const answer = await send({ envelope: (xml) => xml.replace(/<wsa:MessageID>[^<]*<\/wsa:MessageID>/, '') });
    expect(faultCode(answer)).toBe('MessageAddressingHeaderRequired');
  });

  it('VIHF: a signed attribute altered after signing', async () => {
    const answer = await send({ vihfXml: (xml) => xml.replace('INDIRECTE', 'DIRECTE') });
    expect(faultCode(answer)).toBe('DMPIdentityCertificationFailure');
  });

  it('VIHF: a pharmacist with only one role value (no CNOP section)', async () => {
    const answer = await send({ vihf: (input) => ({ ...input, section: undefined }) });
    expect(faultCode(answer)).toBe('DMPIdentityCertificationFailure');
  });

  it('VIHF: about another patient than the submission', async () => {
    const answer = await send({ vihf: (input) => ({ ...input, patientId: '253072B07300470^^^&1.2.250.1.213.1.4.10&ISO^NH' }) });
    expect(registryCode(answer)).toEqual(['XDSPatientIdDoesNotMatch']);
  });

  it('metadata: a hash that does not describe the attached document', async () => {
    const answer = await send({
      submission: (s) => ({ ...s, submissionSetXml: s.submissionSetXml.replace(s.metadata.hash, '0'.repeat(40)) }),
    });
    expect(registryCode(answer)).toEqual(['XDSRepositoryMetadataError']);
  });

  it('metadata: a required slot missing (creationTime)', async () => {
    const answer = await send({
      submission: (s) => ({ ...s, submissionSetXml: s.submissionSetXml.replace(/<Slot name="creationTime">[\s\S]*?<\/Slot>/, '') }),
    });
    expect(registryCode(answer)).toEqual(['XDSRegistryMetadataError']);
  });

  it('metadata: a required classification missing (practiceSettingCode)', async () => {
    const answer = await send({
      submission: (s) => ({
        ...s,
        submissionSetXml: s.submissionSetXml.replace(
          /<Classification classificationScheme="urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"[\s\S]*?<\/Classification>/,
          '',
        ),
      }),
    });
    expect(registryCode(answer)).toEqual(['XDSRegistryMetadataError']);
  });

  it('metadata: the document entry about another patient than the submission set', async () => {
    const answer = await send({
      submission: (s) => ({
        ...s,
        submissionSetXml: s.submissionSetXml.replace(
          /(identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" registryObject="Document01" value=")[^"]*/,
          '$1253072B07300470^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH',
        ),
      }),
    });
    expect(registryCode(answer)).toEqual(['XDSPatientIdDoesNotMatch']);
  });

  it('metadata: no signs association from the signature to the submission set', async () => {
    const answer = await send({
      submission: (s) => ({
        ...s,
        submissionSetXml: s.submissionSetXml.replace('urn:ihe:iti:2007:AssociationType:signs', 'urn:ihe:iti:2007:AssociationType:XFRM'),
      }),
    });
    expect(registryCode(answer)).toEqual(['XDSRegistryMetadataError']);
  });

  it('DSG: a signature whose manifest names another digest for the document (metadata hash and size kept right)', async () => {
    const answer = await send({
      submission: (s) => {
        const reference = new RegExp(
          `(<Reference URI="urn:oid:${s.metadata.uniqueId.replace(/\./g, '\\.')}">[\\s\\S]*?<DigestValue>)[^<]+`,
        );
        const signatureXml = Buffer.from(s.signatureXml.toString().replace(reference, '$1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='));
        expect(signatureXml.equals(s.signatureXml)).toBe(false);
        const before = xdsHashAndSize(s.signatureXml);
        const after = xdsHashAndSize(signatureXml);
        const submissionSetXml = s.submissionSetXml
          .replace(before.hash, after.hash)
          .replace(`<Value>${before.size}</Value>`, `<Value>${after.size}</Value>`);
        return { ...s, signatureXml, submissionSetXml };
      },
    });
    expect(registryCode(answer)).toEqual(['XDSRegistryMetadataError']);
  });

  it('MTOM: a Document whose cid: names no part', async () => {
    const answer = await send({ envelope: (xml) => xml.replace('href="cid:document01@passerelle"', 'href="cid:absent@passerelle"') });
    expect(registryCode(answer)).toEqual(['XDSMissingDocument']);
  });
});
