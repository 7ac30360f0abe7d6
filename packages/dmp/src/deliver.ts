import type { DmpSubmission } from '@passerelle/schemas';
import type { ErrorClass } from '@passerelle/errors';
import { X509Certificate } from 'node:crypto';
import type { SigningCertificate, SigningCredential } from '@passerelle/signature';
import type { ClientCredential } from './auth-cli';
import { ClientCertificateError, DmpDeliveryError } from './errors';
import type { HttpAnswer } from './https-transport';
import { buildIti41Request } from './iti41-request';
import { classifyAnswer, DEFAULT_CLASSIFICATION, parseDmpAnswer } from './registry-response';
import { signVihf, vihfSubjectFromMetadata, type VihfHash, type VihfSoftware } from './vihf';

/** What a delivery needs; every dependency is injected so that the Kafka service only wires them. */
export interface DeliverDeps {
  /** The DMP repository endpoint (ITI-41), e.g. `https://<env>/si-dmp-server/v2/services/repository` */
  endpoint: string;
  /** AUTH_CLI credentials, checked before any connection (an {@link AuthCliStore}) */
  authCli: { credential(finess: string, at?: Date): ClientCredential };
  /** SIGN credentials for the VIHF (the signature package's KeyStore) */
  signKeys: { signingCredential(finess: string, at?: Date): SigningCredential };
  transport: { post(url: string, credential: ClientCredential, contentType: string, body: Buffer): Promise<HttpAnswer> };
  software: VihfSoftware;
  /** VIHF signature digest (default sha256; the DMP's samples use sha1) */
  vihfHash?: VihfHash;
  /** DMP code → class; default {@link DEFAULT_CLASSIFICATION} */
  classification?: Readonly<Record<string, ErrorClass | 'already-delivered'>>;
  now?: () => Date;
}

export interface DeliveryResult {
  outcome: 'delivered' | 'already-delivered';
  /** The DMP's answer, summarised without personal data (e.g. `RegistryResponse Success`) */
  answer: string;
  /** wsa:MessageID of the request that got this answer */
  messageId: string;
  submissionSetUniqueId: string;
}

const parsed = new WeakMap<SigningCertificate, X509Certificate>();

/**
 * The SIGN certificate of a key-store credential as an X509Certificate (the VIHF's Issuer and KeyInfo): the key store
 * keeps only DER, so it is parsed once per certificate and kept as long as the credential is.
 */
export function signingX509(credential: SigningCredential): X509Certificate {
  const leaf = credential.chain[0];
  if (!leaf) throw new Error('the SIGN credential has no certificate');
  let x509 = parsed.get(leaf);
  if (!x509) {
    x509 = new X509Certificate(leaf.der);
    parsed.set(leaf, x509);
  }
  return x509;
}

// HTTP statuses that say the request itself is wrong: sending it again cannot help.
const PERMANENT_HTTP = new Set([400, 404, 405, 411, 413, 414, 415]);

/**
 * Delivers one DMP submission (ITI-41): checks the pharmacy's AUTH_CLI certificate (before any connection), signs a
 * fresh VIHF with its SIGN certificate, sends the MTOM request over mutual TLS and reads the answer.
 *
 * Idempotent: the submission set's uniqueId is fixed by the signer, so re-sending after a timeout either stores it
 * (the first attempt never arrived) or gets `XDSDuplicateUniqueIdInRegistry`, returned as `already-delivered`.
 *
 * @throws ClientCertificateError (transient) when the AUTH_CLI certificate must not be used; the signature package's
 *   CertificateError when the SIGN one must not; DmpDeliveryError with the DMP's code (permanent: a refusal of the
 *   submission) or a transport code (transient: timeout, TLS, 5xx, SOAP fault)
 */
export async function deliver(submission: DmpSubmission, deps: DeliverDeps): Promise<DeliveryResult> {
  const now = deps.now?.() ?? new Date();
  const finess = submission.metadata.authorFiness;
  const auth = deps.authCli.credential(finess, now);
  const sign = deps.signKeys.signingCredential(finess, now);
  const signCertificate = signingX509(sign);
  if (
    auth.certificate.publicKey
      .export({ type: 'spki', format: 'der' })
      .equals(signCertificate.publicKey.export({ type: 'spki', format: 'der' }))
  ) {
    throw new ClientCertificateError('AUTH_CLI_SAME_KEY_AS_SIGN', finess, 'the AUTH_CLI and SIGN certificates share a key: they must not');
  }
  const vihf = signVihf(
    { ...vihfSubjectFromMetadata(submission.metadata), software: deps.software, issueInstant: now },
    { privateKey: sign.privateKey, certificate: signCertificate },
    deps.vihfHash,
  );
  const request = buildIti41Request({ submission, vihfXml: vihf.xml, to: deps.endpoint });
  const answer = await deps.transport.post(deps.endpoint, auth, request.contentType, request.body);
  const contentType = answer.headers['content-type'];
  const isSoap = contentType !== undefined && /(soap\+xml|xop\+xml|text\/xml|multipart\/related)/i.test(contentType);
  if (answer.status !== 200 && !(isSoap && answer.status >= 400)) {
    if (answer.status >= 500) throw new DmpDeliveryError('DMP_HTTP_5XX', 'transient', `HTTP ${answer.status}`);
    const cls: ErrorClass = PERMANENT_HTTP.has(answer.status) ? 'permanent' : 'transient';
    throw new DmpDeliveryError('DMP_HTTP_STATUS', cls, `HTTP ${answer.status}`);
  }
  const parsed = parseDmpAnswer(contentType, answer.body);
  if (parsed.kind !== 'soap-fault' && answer.status >= 500) {
    throw new DmpDeliveryError('DMP_HTTP_5XX', 'transient', `HTTP ${answer.status}: ${parsed.summary}`);
  }
  const ours = [submission.submissionSetUniqueId, submission.metadata.uniqueId];
  const verdict = classifyAnswer(parsed, deps.classification ?? DEFAULT_CLASSIFICATION, ours);
  return {
    outcome: verdict.outcome,
    answer: verdict.answer,
    messageId: request.messageId,
    submissionSetUniqueId: submission.submissionSetUniqueId,
  };
}
