import { failureStatus, statusRecord, type TopicNames } from '@passerelle/pipeline';
import { PermanentError, type Failure, type InputRecord, type OutputRecord } from '@passerelle/kafka-runtime';
import type { ComposedDocument, SignedDocument } from '@passerelle/schemas';
import { signSubmission, type KeyStore, type SignatureOptions } from '@passerelle/signature';

export interface SignerConfig {
  topics: TopicNames;
  keyStore: KeyStore;
  signature?: SignatureOptions;
  now?: () => number;
}

/**
 * Signs a composed document for the pharmacy that authored it (its bytes as the composer wrote them: already
 * canonical, they are digested as they are once checked, else canonicalised first) (IHE DSG, XAdES-BES over the manifest of the
 * submission set and the document), with that pharmacy's SIGN certificate from the key store. The submission set's
 * uniqueId is fixed here, derived from the document's, so the DMP submission and the MSSanté archive carry the same
 * signed set.
 *
 * A certificate problem (missing, expired, not yet valid, wrong usage, untrusted, another pharmacy's) is not the
 * document's fault: the signature package throws a CertificateError, the runtime sends the record through the retry
 * tiers with the status `waiting-for-certificate` and the code, and it goes through once the key store is fixed (or is dead-lettered
 * after the last tier, to be replayed).
 */
export function signerHandler(cfg: SignerConfig) {
  const now = cfg.now ?? Date.now;
  return (record: InputRecord<ComposedDocument>): OutputRecord[] => {
    const doc = record.value;
    const { metadata } = doc;
    const signed = signSubmission(
      {
        documentXml: doc.documentXml,
        documentUniqueId: metadata.uniqueId,
        finess: metadata.authorFiness,
        signingTime: new Date(now()),
        options: cfg.signature,
      },
      cfg.keyStore,
    );
    const status = statusRecord(cfg.topics.status, {
      documentId: metadata.uniqueId,
      eventId: doc.eventId,
      state: 'signed',
      stage: 'signer',
      history: doc.history,
      at: now(),
      carry: record.headers,
    });
    const value: SignedDocument = {
      eventId: doc.eventId,
      occurredAt: doc.occurredAt,
      sourceTopic: doc.sourceTopic,
      documentXml: doc.documentXml,
      metadata,
      routing: doc.routing,
      submissionSetUniqueId: signed.submissionSetUniqueId,
      signatureXml: Buffer.from(signed.signatureXml, 'utf8'),
      signerCertificateSha256: signed.signerCertificateSha256,
      history: [...doc.history, status.entry],
    };
    if (value.signatureXml.length === 0) throw new PermanentError('SIGNATURE_EMPTY', 'the signature library returned nothing');
    return [{ topic: cfg.topics.signed, key: record.key, value, headers: { ...record.headers } }, status.record];
  };
}

export function signerFailureStatus(cfg: Pick<SignerConfig, 'topics'>) {
  return (f: Failure<ComposedDocument>): OutputRecord[] => {
    const doc = f.record.value;
    const waiting = f.error.code.startsWith('CERT_') ? 'waiting-for-certificate' : 'retrying';
    return failureStatus(
      cfg.topics.status,
      'signer',
      f,
      { documentId: doc?.metadata.uniqueId, eventId: doc?.eventId, history: doc?.history },
      waiting,
    );
  };
}
