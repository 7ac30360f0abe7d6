/**
 * Real `mss.messages` records for the gateway's tests and benchmark, made the way the pipeline makes them without a
 * broker: a fixture event → the composer's CDA → the signer's XAdES signature (the test PKI's SIGN key) → the
 * router's MSSanté message (text, X-MSS headers, IHE XDM archive) for one audience.
 */
import { randomUUID } from 'node:crypto';
import { buildMssMessage, DEFAULT_CONTENT_TYPE_CODE, type MssRoute } from '@passerelle/router';
import type { MssMessage } from '@passerelle/schemas';
import type { KeyStore } from '@passerelle/signature';
import { FINESS, makeSubmission, SOURCE_ID, type FixtureKind } from '../dmp-simulator/submissions';

/** The fixtures' pharmacy mailbox (the simulator's directory must map it to {@link FINESS}) */
export const FROM = 'officine@pharmacie-italie.mssante.fr';
export const DOCTORS = ['dr.martin@medecin.mssante.fr', 'dr.durand@medecin.mssante.fr'];
/** The fixtures' patient's Mon espace santé mailbox (its address is the INS) */
export const PATIENT = '279035121518989@patient.mssante.fr';

/** The two professionals, or the patient: the records the router writes for a document. */
export const routeFor = (audience: 'patient' | 'professionals'): MssRoute =>
  audience === 'patient' ? { kind: 'mss', to: [PATIENT], audience } : { kind: 'mss', to: DOCTORS, audience };

/** One record of a new document (its own event id, document and submission set) for the route's recipients. */
export async function makeMssMessage(kind: FixtureKind, keyStore: KeyStore, route: MssRoute): Promise<MssMessage> {
  const submission = await makeSubmission(kind, keyStore, { eventId: randomUUID() });
  const built = await buildMssMessage({
    route,
    metadata: submission.metadata,
    documentXml: submission.documentXml,
    signatureXml: submission.signatureXml,
    submissionSetUniqueId: submission.submissionSetUniqueId,
    from: FROM,
    pharmacyName: 'Pharmacie Italie',
    context: {
      sourceId: SOURCE_ID,
      contentTypeCode: DEFAULT_CONTENT_TYPE_CODE,
      submissionTime: '20251121093005',
      productReference: 'PASSERELLE-0.1',
      producer: { vendor: 'Passerelle', product: 'Passerelle', version: '0.1.0' },
    },
  });
  return {
    eventId: submission.eventId,
    occurredAt: submission.occurredAt,
    documentId: submission.documentId,
    ...built,
    authorFiness: FINESS,
    history: submission.history,
  };
}
