/**
 * The composer's documents as the signer receives them: canonical bytes, digested as they are (the signer's fast
 * path), the same digest as the canonicalisation of their text, and signatures xmlsec1 accepts. Needs xmlsec1; not
 * Kafka.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDocument } from '@passerelle/cda';
import { assertPatientIdentity } from '@passerelle/ins';
import { topicSchemas } from '@passerelle/schemas';
import { checkCanonicalBytes, KeyStore, signSubmission } from '@passerelle/signature';
import { createTestPki, type TestPki } from '@passerelle/testing';
import { xmlsecVerify } from '../../packages/signature/test/xmlsec1';
import { EVENT_SHAPES, generateEvents } from '../generators/events';

const FINESS = ['750803447', '2A0000015'];

let dir: string;
let pki: TestPki;
let keyStore: KeyStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signed-documents-'));
  pki = await createTestPki(join(dir, 'pki'), FINESS, { broken: false });
  keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir, env: {} });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(EVENT_SHAPES.map((shape) => [`${shape.topic}${'kind' in shape ? ` (${shape.kind})` : ''}`, shape] as const))(
  'documents of %s',
  (_name, shape) => {
    it('are digested as they are, as their canonicalised text would be, and their signatures pass xmlsec1', async () => {
      for (const [i, { topic, event }] of generateEvents(3, 20261206, [shape]).entries()) {
        const finess = FINESS[i % FINESS.length] as string;
        event.pharmacy.finess = finess;
        const identity = assertPatientIdentity(event.patient, { testPlatform: true });
        const doc = await buildDocument(topicSchemas[topic].family, event as never, identity);
        expect(checkCanonicalBytes(doc.xml)).toEqual({ authorFiness: [finess] });

        const signingTime = new Date();
        const input = { documentUniqueId: doc.metadata.uniqueId, finess, signingTime };
        const fromBytes = signSubmission({ ...input, documentXml: doc.xml }, keyStore);
        const fromText = signSubmission({ ...input, documentXml: doc.xml.toString('utf8') }, keyStore);
        expect(fromBytes.documentDigest).toBe(fromText.documentDigest);

        const verdict = xmlsecVerify({
          signatureXml: fromBytes.signatureXml,
          document: doc.xml,
          documentUniqueId: fromBytes.documentUniqueId,
          submissionSetUniqueId: fromBytes.submissionSetUniqueId,
          trustedPem: [pki.rootPem],
        });
        expect(verdict.exitCode).toBe(0);
        expect(verdict.signedInfo).toEqual({ ok: 2, all: 2 });
        expect(verdict.manifestReferences.get(`urn:oid:${fromBytes.documentUniqueId}`)).toBe('succeeded');
      }
    }, 60_000);
  },
);
