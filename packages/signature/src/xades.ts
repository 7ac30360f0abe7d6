import { createHash, sign } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import {
  CANONICALIZATION_URI,
  DIGEST_URI,
  DSIG_NS,
  RSA_SIGNATURE_URI,
  XADES_111_NS,
  resolveSignatureOptions,
  type Canonicalization,
  type HashName,
  type SignatureOptions,
} from './algorithms';
import type { SigningCertificate, SigningCredential } from './certificate';
import { c14nAttr, c14nText, canonicalizeDocument, parseXml } from './canonical-xml';
import { SignatureInputError } from './errors';
import { canonicalizeInclusive } from './inclusive-c14n';
import { checkCanonicalBytes } from './canonical-bytes';
import type { KeyStore } from './key-store';
import { isOid, submissionSetIdFor } from './submission-set-id';
import { finessOfOrganisationId, NATIONAL_ID_OID } from '@passerelle/identifiers';

/** IHE DSG conventions (ITI TF-3 §5.5) as the DMP sample applies them (REFERENCE §5). */
export const MANIFEST_ID = 'IHEManifest';
export const MANIFEST_TYPE = 'http://www.w3.org/2000/09/xmldsig#Manifest';
export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903/v1.1.1#SignedProperties';
export const PURPOSE_OF_SIGNATURE_ID = 'purposeOfSignature';
/** ASTM E1762 "Source" signature: the purpose of a DSG submission-set signature. */
export const PURPOSE_SOURCE = '1.2.840.10065.1.12.1.14';
/** The placeholder digest of the submission-set reference: nothing is digested for a submission set. */
export const PLACEHOLDER_DIGEST = 'AA==';
/** OID root of organisation ids in CDA (REFERENCE §3); the extension is `1` + FINESS. */

export interface SignSubmissionInput {
  /**
   * The CDA document, as the bytes or text that travel in the submission. Bytes already in canonical form (inclusive
   * C14N) are digested as they are, after a cheap check; anything else is canonicalised first.
   */
  documentXml: string | Buffer;
  /** XDSDocumentEntry.uniqueId (an OID). */
  documentUniqueId: string;
  /** XDSSubmissionSet.uniqueId; derived from the document's with {@link submissionSetIdFor} when absent. */
  submissionSetUniqueId?: string;
  /** FINESS of the pharmacy that authored the document: selects the key and must be the certificate's. */
  finess: string;
  /** Default now. The certificate must be valid at this time. */
  signingTime?: Date;
  options?: SignatureOptions;
}

export interface SignedSubmission {
  /** The signature document (an enveloping ds:Signature), UTF-8 text without XML declaration, as in the DMP sample. */
  signatureXml: string;
  signatureId: string;
  documentUniqueId: string;
  submissionSetUniqueId: string;
  /** Base64 digest of the canonical document, as in the manifest. */
  documentDigest: string;
  signerFiness: string;
  /** SHA-256 fingerprint of the SIGN certificate used (colon-separated hex, as node:crypto prints it). */
  signerCertificateSha256: string;
  signingTime: Date;
  hash: HashName;
  canonicalization: Canonicalization;
}

function digest(hash: HashName, data: string | Buffer): string {
  return createHash(hash).update(data).digest('base64');
}

function documentText(documentXml: string | Buffer): string {
  const text = typeof documentXml === 'string' ? documentXml : documentXml.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function childElements(parent: Element, localName: string): Element[] {
  const found: Element[] = [];
  for (let child = parent.firstChild; child != null; child = child.nextSibling) {
    if (child.nodeType === 1 && (child as Element).localName === localName) found.push(child as Element);
  }
  return found;
}

/**
 * The FINESS of the document's author organisations: ClinicalDocument/author/assignedAuthor/
 * representedOrganization/id with root 1.2.250.1.71.4.2.2 and extension `1` + FINESS.
 */
export function authorFinessOf(doc: Document): string[] {
  const root = doc.documentElement;
  if (!root) return [];
  const finess: string[] = [];
  for (const author of childElements(root, 'author')) {
    for (const assigned of childElements(author, 'assignedAuthor')) {
      for (const organisation of childElements(assigned, 'representedOrganization')) {
        for (const id of childElements(organisation, 'id')) {
          const extension = id.getAttribute('extension') ?? '';
          const own = id.getAttribute('root') === NATIONAL_ID_OID.ORGANISATION ? finessOfOrganisationId(extension) : undefined;
          if (own) finess.push(own);
        }
      }
    }
  }
  return finess;
}

/**
 * The document's canonical form and its author organisations' FINESS: by the one-pass canonicaliser for
 * inclusive C14N, else (exclusive C14N, or a construct the fast path leaves alone) by parsing into a DOM.
 */
export function canonicalDocument(text: string, canonicalization: Canonicalization): { canonical: string; authorFiness: string[] } {
  if (canonicalization === 'c14n' || canonicalization === 'c14n-with-comments') {
    const fast = canonicalizeInclusive(text, canonicalization === 'c14n-with-comments');
    if (fast) return fast;
  }
  const doc = parseXml(text, 'document');
  return { canonical: canonicalizeDocument(doc, canonicalization), authorFiness: authorFinessOf(doc) };
}

/**
 * What the manifest digests, and the author organisations: bytes already in canonical form (as the composer writes
 * them) are digested as they are, once {@link checkCanonicalBytes} has checked that they are; anything else is
 * canonicalised by {@link canonicalDocument}.
 */
function documentToDigest(
  documentXml: string | Buffer,
  canonicalization: Canonicalization,
): { canonical: string | Buffer; authorFiness: string[] } {
  if (typeof documentXml !== 'string' && (canonicalization === 'c14n' || canonicalization === 'c14n-with-comments')) {
    const checked = checkCanonicalBytes(documentXml);
    if (checked) return { canonical: documentXml, authorFiness: checked.authorFiness };
  }
  return canonicalDocument(documentText(documentXml), canonicalization);
}

function signatureIdFor(parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `S-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const alg = (tag: string, uri: string) => `<${tag} Algorithm="${c14nAttr(uri)}"></${tag}>`;

/**
 * Signs a document's submission: checks the pharmacy's certificate (key store), then builds the IHE DSG
 * enveloping XAdES-BES signature shaped like the DMP sample.
 *
 * The parts the signature covers (Manifest, SignedProperties, SignedInfo) are generated here already in their
 * canonical form (no prefixes, only default namespace declarations, attributes in canonical order, explicit end
 * tags), so their digests are taken over exactly the bytes a verifier's C14N produces; the CDA document is
 * canonicalised by {@link canonicalDocument} (a one-pass inclusive C14N, or xml-crypto's transforms over an
 * @xmldom/xmldom DOM), unless it comes as bytes that {@link checkCanonicalBytes} finds already canonical. The RSA
 * signature is made by node:crypto (OpenSSL).
 *
 * @throws CertificateError (nothing is signed) when the certificate is missing, unreadable, expired, not yet
 *   valid, lacks the signing key usage, does not chain to the trust anchors, or belongs to another pharmacy.
 * @throws SignatureInputError when the document is not XML, names other author organisations, or an id is not an OID.
 */
export function signSubmission(input: SignSubmissionInput, keyStore: KeyStore): SignedSubmission {
  const { hash, canonicalization } = resolveSignatureOptions(input.options);
  const signingTime = input.signingTime ?? new Date();
  if (!isOid(input.documentUniqueId)) throw new SignatureInputError('INVALID_UNIQUE_ID', 'documentUniqueId must be an OID');
  const submissionSetUniqueId = input.submissionSetUniqueId ?? submissionSetIdFor(input.documentUniqueId);
  if (!isOid(submissionSetUniqueId)) throw new SignatureInputError('INVALID_UNIQUE_ID', 'submissionSetUniqueId must be an OID');

  const { canonical, authorFiness: authors } = documentToDigest(input.documentXml, canonicalization);
  if (authors.length > 0 && !authors.includes(input.finess)) {
    // The document says another pharmacy wrote it: signing it with this pharmacy's key would misattribute it.
    throw new SignatureInputError('DOCUMENT_AUTHOR_MISMATCH', `document author organisation is not FINESS ${input.finess}`);
  }
  const credential = keyStore.signingCredential(input.finess, signingTime);
  const documentDigest = digest(hash, canonical);
  const signatureId = signatureIdFor([input.documentUniqueId, submissionSetUniqueId, input.finess, signingTime.toISOString()]);
  const signatureXml = buildSignature({
    credential,
    hash,
    canonicalization,
    signatureId,
    documentUniqueId: input.documentUniqueId,
    submissionSetUniqueId,
    documentDigest,
    signingTime,
  });
  return {
    signatureXml,
    signatureId,
    documentUniqueId: input.documentUniqueId,
    submissionSetUniqueId,
    documentDigest,
    signerFiness: input.finess,
    signerCertificateSha256: (credential.chain[0] as SigningCertificate).sha256,
    signingTime,
    hash,
    canonicalization,
  };
}

interface BuildInput {
  credential: SigningCredential;
  hash: HashName;
  canonicalization: Canonicalization;
  signatureId: string;
  documentUniqueId: string;
  submissionSetUniqueId: string;
  documentDigest: string;
  signingTime: Date;
}

// The SigningCertificate entry of each certificate depends only on it and the hash: made once per certificate
// (the CA certificates are shared by every pharmacy they issued, so theirs are made once for all).
const certEntries = new WeakMap<SigningCertificate, Map<HashName, string>>();
function certEntry(cert: SigningCertificate, hash: HashName, digestMethod: string): string {
  let entries = certEntries.get(cert);
  if (!entries) certEntries.set(cert, (entries = new Map()));
  let entry = entries.get(hash);
  if (entry === undefined) {
    entry =
      `<Cert><CertDigest>${digestMethod}<DigestValue>${digest(hash, cert.der)}</DigestValue></CertDigest>` +
      `<IssuerSerial><X509IssuerName xmlns="${DSIG_NS}">${c14nText(cert.issuerName)}</X509IssuerName>` +
      `<X509SerialNumber xmlns="${DSIG_NS}">${cert.serialNumber}</X509SerialNumber></IssuerSerial></Cert>`;
    entries.set(hash, entry);
  }
  return entry;
}

function buildSignature(b: BuildInput): string {
  const digestMethod = alg('DigestMethod', DIGEST_URI[b.hash]);
  const signedPropertiesId = `${b.signatureId}-SignedProperties`;

  const manifestInner =
    `<Reference URI="${c14nAttr(`urn:oid:${b.submissionSetUniqueId}`)}">${digestMethod}<DigestValue>${PLACEHOLDER_DIGEST}</DigestValue></Reference>` +
    `<Reference URI="${c14nAttr(`urn:oid:${b.documentUniqueId}`)}"><Transforms>${alg('Transform', CANONICALIZATION_URI[b.canonicalization])}</Transforms>` +
    `${digestMethod}<DigestValue>${b.documentDigest}</DigestValue></Reference>`;
  const manifestAttrs = ` Id="${MANIFEST_ID}"`;

  let certs = '';
  for (const cert of b.credential.chain) certs += certEntry(cert, b.hash, digestMethod);
  const signedPropertiesInner =
    `<SignedSignatureProperties><SigningTime>${b.signingTime.toISOString()}</SigningTime>` +
    `<SigningCertificate>${certs}</SigningCertificate>` +
    `<SignaturePolicyIdentifier><SignaturePolicyImplied></SignaturePolicyImplied></SignaturePolicyIdentifier>` +
    `</SignedSignatureProperties><SignedDataObjectProperties></SignedDataObjectProperties>`;
  const signedPropertiesAttrs = ` Id="${c14nAttr(signedPropertiesId)}"`;

  // Canonical forms of the referenced elements, as seen from their place in the signature document: the nearest
  // default namespace is declared on the apex element, nothing else is in scope (inclusive and exclusive C14N agree).
  const manifestCanonical = `<Manifest xmlns="${DSIG_NS}"${manifestAttrs}>${manifestInner}</Manifest>`;
  const signedPropertiesCanonical = `<SignedProperties xmlns="${XADES_111_NS}"${signedPropertiesAttrs}>${signedPropertiesInner}</SignedProperties>`;

  const signedInfoInner =
    alg('CanonicalizationMethod', CANONICALIZATION_URI[b.canonicalization]) +
    alg('SignatureMethod', RSA_SIGNATURE_URI[b.hash]) +
    `<Reference Type="${MANIFEST_TYPE}" URI="#${MANIFEST_ID}">${digestMethod}<DigestValue>${digest(b.hash, manifestCanonical)}</DigestValue></Reference>` +
    `<Reference Type="${SIGNED_PROPERTIES_TYPE}" URI="#${c14nAttr(signedPropertiesId)}">${digestMethod}` +
    `<DigestValue>${digest(b.hash, signedPropertiesCanonical)}</DigestValue></Reference>`;
  const signedInfoCanonical = `<SignedInfo xmlns="${DSIG_NS}">${signedInfoInner}</SignedInfo>`;
  const signatureValue = sign(b.hash, Buffer.from(signedInfoCanonical, 'utf8'), b.credential.privateKey).toString('base64');

  let keyInfo = '<KeyInfo><X509Data>';
  for (const cert of b.credential.chain) keyInfo += `<X509Certificate>${cert.derBase64}</X509Certificate>`;
  keyInfo += '</X509Data></KeyInfo>';
  const id = c14nAttr(b.signatureId);
  return (
    `<Signature xmlns="${DSIG_NS}" Id="${id}">` +
    `<SignedInfo>${signedInfoInner}</SignedInfo>` +
    `<SignatureValue>${signatureValue}</SignatureValue>` +
    keyInfo +
    `<Object><Manifest${manifestAttrs}>${manifestInner}</Manifest></Object>` +
    // The DMP sample puts SignatureProperties in no namespace (xmlns=""); XML-DSig and IHE DSG define it in the
    // ds namespace, which is what we emit.
    `<Object><SignatureProperties><SignatureProperty Id="${PURPOSE_OF_SIGNATURE_ID}" Target="#${id}">${PURPOSE_SOURCE}</SignatureProperty></SignatureProperties></Object>` +
    `<Object><QualifyingProperties xmlns="${XADES_111_NS}" Target="#${id}">` +
    `<SignedProperties${signedPropertiesAttrs}>${signedPropertiesInner}</SignedProperties>` +
    `</QualifyingProperties></Object>` +
    `</Signature>`
  );
}
