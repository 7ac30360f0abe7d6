import { createHash, type X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { DSIG_NS, XADES_111_NS, canonicalizationFromUri, hashFromDigestUri, type Canonicalization, type HashName } from './algorithms';
import {
  certificateFromDer,
  chainError,
  checkCredentialDates,
  checkKeyUsage,
  finessFromSubject,
  loadTrustAnchors,
  type CertificateInfo,
} from './certificate';
import { canonicalizeDocument, parseXml } from './canonical-xml';
import { SignatureInputError } from './errors';
import { MANIFEST_ID, MANIFEST_TYPE, PLACEHOLDER_DIGEST, PURPOSE_OF_SIGNATURE_ID, PURPOSE_SOURCE, SIGNED_PROPERTIES_TYPE } from './xades';

export interface VerifyOptions {
  /** Trust anchors, or a directory of `.pem`/`.crt` files holding them. */
  trustAnchors: readonly X509Certificate[] | string;
  /** The uniqueId the document must have in the manifest; default: the manifest reference that has transforms. */
  documentUniqueId?: string;
  /** Time at which the certificate must be valid; default the signature's SigningTime. */
  at?: Date;
}

export interface VerificationResult {
  /** True only when every check passed: `reasons` is then empty. */
  valid: boolean;
  /** Why the signature is not valid, one line per failed check (no document content). */
  reasons: string[];
  signerFiness?: string;
  signatureId?: string;
  documentUniqueId?: string;
  submissionSetUniqueId?: string;
  signingTime?: Date;
  hash?: HashName;
  canonicalization?: Canonicalization;
}

function elements(parent: Element, ns: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let child = parent.firstChild; child != null; child = child.nextSibling) {
    if (child.nodeType === 1 && (child as Element).localName === localName && (child as Element).namespaceURI === ns) {
      found.push(child as Element);
    }
  }
  return found;
}

function descendants(root: Element, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName));
}

const text = (element: Element | undefined): string => (element?.textContent ?? '').trim();

/**
 * Verifies an IHE DSG submission signature against the document it covers: the signature value and the
 * SignedInfo references (through xml-crypto, an implementation independent of the one that builds signatures),
 * the manifest's document reference (the document's digest after its declared canonicalisation), the
 * SigningCertificate property, the purpose of signature, and the certificate (chain to the trust anchors, key
 * usage, validity at the signing time). The submission set's reference carries the IHE placeholder digest and is
 * not checked beyond that.
 */
export function verifySubmissionSignature(
  signatureInput: string | Buffer,
  documentXml: string | Buffer,
  options: VerifyOptions,
): VerificationResult {
  const signatureXml = typeof signatureInput === 'string' ? signatureInput : signatureInput.toString('utf8');
  const reasons: string[] = [];
  const result: VerificationResult = { valid: false, reasons };
  const trustAnchors = typeof options.trustAnchors === 'string' ? loadTrustAnchors(options.trustAnchors) : options.trustAnchors;

  let signature: Element;
  try {
    const doc = parseXml(signatureXml, 'signature');
    signature = doc.documentElement as Element;
  } catch (error) {
    reasons.push(error instanceof SignatureInputError ? error.message : 'signature is not XML');
    return result;
  }
  if (signature.localName !== 'Signature' || signature.namespaceURI !== DSIG_NS) {
    reasons.push('root element is not ds:Signature');
    return result;
  }
  result.signatureId = signature.getAttribute('Id') ?? undefined;

  // Certificates from KeyInfo: the first is the signer's, the others its issuers.
  const certificates: CertificateInfo[] = [];
  for (const element of descendants(signature, DSIG_NS, 'X509Certificate')) {
    try {
      certificates.push(certificateFromDer(Buffer.from(text(element), 'base64')));
    } catch {
      reasons.push('KeyInfo holds an unreadable X509Certificate');
    }
  }
  const signer = certificates[0];
  if (!signer) {
    reasons.push('KeyInfo holds no certificate');
    return result;
  }
  result.signerFiness = finessFromSubject(signer.forge.subject.attributes);
  const finessForErrors = result.signerFiness ?? 'unknown';

  // Stage 1: SignedInfo references and signature value, by xml-crypto.
  const sig = new SignedXml({ publicCert: signer.x509.toString(), getCertFromKeyInfo: () => null });
  let signedInfoValid = false;
  try {
    sig.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    signedInfoValid = sig.checkSignature(signatureXml);
    if (!signedInfoValid) {
      for (const ref of sig.getReferences()) {
        if (ref.validationError) reasons.push(`SignedInfo reference ${ref.uri}: digest does not match`);
      }
      if (reasons.length === 0) reasons.push('a SignedInfo reference does not verify');
    }
  } catch (error) {
    reasons.push(`signature value or SignedInfo does not verify (${error instanceof Error ? error.message.split(':')[0] : 'error'})`);
  }
  if (signedInfoValid) {
    // xml-crypto does not keep a reference's Type: read it from the (single) SignedInfo it has just verified.
    const signedInfo = elements(signature, DSIG_NS, 'SignedInfo')[0];
    const references = signedInfo ? elements(signedInfo, DSIG_NS, 'Reference') : [];
    const typed = (type: string) => references.filter((r) => r.getAttribute('Type') === type);
    if (!typed(MANIFEST_TYPE).some((r) => r.getAttribute('URI') === `#${MANIFEST_ID}`)) {
      reasons.push(`SignedInfo does not reference the manifest #${MANIFEST_ID}`);
    }
    const signedPropertiesId = descendants(signature, XADES_111_NS, 'SignedProperties')[0]?.getAttribute('Id');
    if (!typed(SIGNED_PROPERTIES_TYPE).some((r) => signedPropertiesId && r.getAttribute('URI') === `#${signedPropertiesId}`)) {
      reasons.push('SignedInfo does not reference the XAdES SignedProperties');
    }
  }

  // Stage 2: the manifest, taken from the element SignedInfo covers (xml-crypto refused duplicate Ids).
  const manifest = descendants(signature, DSIG_NS, 'Manifest').find((m) => m.getAttribute('Id') === MANIFEST_ID);
  if (!manifest) {
    reasons.push(`no ds:Manifest with Id ${MANIFEST_ID}`);
  } else {
    checkManifest(manifest, documentXml, options.documentUniqueId, result);
  }

  // Stage 3: signed properties and purpose.
  const signedProperties = descendants(signature, XADES_111_NS, 'SignedProperties')[0];
  if (!signedProperties) {
    reasons.push('no XAdES 1.1.1 SignedProperties');
  } else {
    const signingTime = new Date(text(descendants(signedProperties, XADES_111_NS, 'SigningTime')[0]));
    if (Number.isNaN(signingTime.getTime())) reasons.push('SigningTime is missing or not a dateTime');
    else result.signingTime = signingTime;
    const firstCert = descendants(signedProperties, XADES_111_NS, 'Cert')[0];
    const digestMethod = firstCert ? descendants(firstCert, XADES_111_NS, 'DigestMethod')[0] : undefined;
    const certHash = hashFromDigestUri(digestMethod?.getAttribute('Algorithm') ?? '');
    const certDigest = firstCert ? text(descendants(firstCert, XADES_111_NS, 'DigestValue')[0]) : '';
    if (!certHash || createHash(certHash).update(signer.der).digest('base64') !== certDigest) {
      reasons.push('SigningCertificate does not designate the KeyInfo certificate');
    }
  }
  // The DMP's own sample puts SignatureProperties in no namespace (xmlns=""): accept both.
  const purpose = descendants(signature, '*', 'SignatureProperty').find(
    (p) => (p.namespaceURI === DSIG_NS || !p.namespaceURI) && p.getAttribute('Id') === PURPOSE_OF_SIGNATURE_ID,
  );
  if (text(purpose) !== PURPOSE_SOURCE) reasons.push(`purposeOfSignature is not ${PURPOSE_SOURCE}`);

  // Stage 4: the certificate.
  const chain = [signer];
  for (let current = signer; ;) {
    const issuer = certificates.find((c) => !chain.includes(c) && current.x509.checkIssued(c.x509));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  for (const error of [
    chainError(chain, trustAnchors, finessForErrors),
    checkKeyUsage(signer, finessForErrors),
    checkCredentialDates({ chain, finess: finessForErrors }, options.at ?? result.signingTime ?? new Date()),
  ]) {
    if (error) reasons.push(error.message);
  }
  if (result.signerFiness === undefined) reasons.push('signer certificate carries no FINESS');

  result.valid = reasons.length === 0;
  return result;
}

function checkManifest(
  manifest: Element,
  documentXml: string | Buffer,
  expectedDocumentId: string | undefined,
  result: VerificationResult,
): void {
  const { reasons } = result;
  const refs = elements(manifest, DSIG_NS, 'Reference');
  const documentRef = expectedDocumentId
    ? refs.find((r) => r.getAttribute('URI') === `urn:oid:${expectedDocumentId}`)
    : refs.find((r) => elements(r, DSIG_NS, 'Transforms').length > 0);
  const submissionSetRef = refs.find((r) => r !== documentRef);
  if (!documentRef) {
    reasons.push('manifest has no reference to the document');
    return;
  }
  result.documentUniqueId = (documentRef.getAttribute('URI') ?? '').replace(/^urn:oid:/, '');
  if (submissionSetRef) {
    result.submissionSetUniqueId = (submissionSetRef.getAttribute('URI') ?? '').replace(/^urn:oid:/, '');
    if (text(elements(submissionSetRef, DSIG_NS, 'DigestValue')[0]) !== PLACEHOLDER_DIGEST) {
      reasons.push('submission set reference does not carry the IHE placeholder digest');
    }
  } else {
    reasons.push('manifest has no reference to the submission set');
  }
  const transforms = elements(documentRef, DSIG_NS, 'Transforms')[0];
  const transformUris = transforms ? elements(transforms, DSIG_NS, 'Transform').map((t) => t.getAttribute('Algorithm') ?? '') : [];
  const canonicalization = transformUris.length === 1 ? canonicalizationFromUri(transformUris[0] as string) : undefined;
  const hash = hashFromDigestUri(elements(documentRef, DSIG_NS, 'DigestMethod')[0]?.getAttribute('Algorithm') ?? '');
  if (!canonicalization || !hash) {
    reasons.push('document reference: unsupported transforms or digest method');
    return;
  }
  result.canonicalization = canonicalization;
  result.hash = hash;
  let actual: string;
  try {
    const raw = typeof documentXml === 'string' ? documentXml : documentXml.toString('utf8');
    const canonical = canonicalizeDocument(parseXml(raw.replace(/^\uFEFF/, ''), 'document'), canonicalization);
    actual = createHash(hash).update(canonical).digest('base64');
  } catch {
    reasons.push('document is not well-formed XML');
    return;
  }
  if (actual !== text(elements(documentRef, DSIG_NS, 'DigestValue')[0])) {
    reasons.push('document reference: digest does not match the document');
  }
}
