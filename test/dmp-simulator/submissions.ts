/**
 * Real DMP submissions for the gateway's and the simulator's tests, made the way the pipeline makes them without a
 * broker: a fixture event → the composer's CDA document and metadata → the signer's XAdES signature (the test PKI's
 * SIGN key) → the router's `dmp.submissions` value.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDocument } from '@passerelle/cda';
import { buildDmpSubmission, DEFAULT_CONTENT_TYPE_CODE, xdsTime } from '@passerelle/router';
import { assertPatientIdentity } from '@passerelle/ins';
import type { DmpSubmission, EventFamily, Patient } from '@passerelle/schemas';
import { KeyStore, signSubmission } from '@passerelle/signature';
import { createTestPki, type TestPki } from '@passerelle/testing';

export const FINESS = '750100208';
export const SOURCE_ID = '2.25.329800735698586629295641978511506172918';

export type FixtureKind = 'vaccination' | 'medication-review' | 'pharmaceutical-interview' | 'dispensation';
const FAMILY: Record<FixtureKind, EventFamily> = {
  vaccination: 'vaccination',
  'medication-review': 'medicationReview',
  'pharmaceutical-interview': 'medicationReview',
  dispensation: 'dispensation',
};

export interface SubmissionOptions {
  /** A new event id gives a new document, submission set and signature uniqueId */
  eventId?: string;
  /** Another patient (a valid INS-NIR test matricule, born in the 1900s; the traits are made to agree with it) */
  matricule?: string;
  signingTime?: Date;
}

/** Creates a test PKI (SIGN and AUTH_CLI for {@link FINESS}, broken variants) in a temporary directory. */
export async function testPki(): Promise<TestPki> {
  return createTestPki(mkdtempSync(join(tmpdir(), 'dmp-pki-')), [FINESS], { modulusLength: 2048 });
}

export async function makeSubmission(kind: FixtureKind, keyStore: KeyStore, options: SubmissionOptions = {}): Promise<DmpSubmission> {
  const event = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'events', `${kind}.json`), 'utf8')) as {
    eventId: string;
    occurredAt: number;
    patient: Patient;
  };
  if (options.eventId) event.eventId = options.eventId;
  if (options.matricule) {
    // Another patient whose traits agree with the matricule (sex, year and month of birth, birth place), as INSi
    // would return them: a document is built only for an identity @passerelle/ins accepts.
    const m = options.matricule;
    Object.assign(event.patient, {
      ins: { ...event.patient.ins, matricule: m },
      sex: m[0] === '1' ? 'M' : 'F',
      birthDate: `19${m.slice(1, 3)}-${m.slice(3, 5)}-15`,
      birthPlace: m.slice(5, 10),
    });
  }
  // The composer builds only for the identity @passerelle/ins checked (the fixtures carry the INS test OID).
  const identity = assertPatientIdentity(event.patient, { testPlatform: true });
  const { xml, metadata } = await buildDocument(FAMILY[kind], event as never, identity);
  const signingTime = options.signingTime ?? new Date();
  const signed = signSubmission(
    { documentXml: xml, documentUniqueId: metadata.uniqueId, finess: metadata.authorFiness, signingTime },
    keyStore,
  );
  const built = buildDmpSubmission({
    metadata,
    documentXml: xml,
    signatureXml: signed.signatureXml,
    submissionSetUniqueId: signed.submissionSetUniqueId,
    context: {
      sourceId: SOURCE_ID,
      contentTypeCode: DEFAULT_CONTENT_TYPE_CODE,
      submissionTime: xdsTime(signingTime.getTime()),
    },
  });
  return { eventId: event.eventId, occurredAt: event.occurredAt, documentId: metadata.uniqueId, ...built, history: [] };
}

/** An INS-NIR test matricule with its key (REFERENCE §4), from 13 digits. */
export function matriculeWithKey(first13: string): string {
  const key = 97 - Number(BigInt(first13) % 97n);
  return `${first13}${String(key).padStart(2, '0')}`;
}
