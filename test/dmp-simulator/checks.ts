/**
 * The simulator's checks of a request, in the order a DMP runs them: WS-Addressing, the VIHF (signature, signer,
 * Issuer, attributes), then the XDS metadata of an ITI-41 submission against its MTOM parts and its DSG signature.
 * A failed check throws {@link Refusal} with what the DMP would answer: a SOAP fault (envelope, addressing, VIHF) or a
 * RegistryError (metadata, patient, documents), codes as in the DMP's samples and IHE ITI TF-3 §4.2.4.
 *
 * Written apart from the gateway on purpose: its own UUID table, its own Issuer reading, its own canonical checks.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { verifySubmissionSignature } from '@passerelle/signature';
import { child, children, descendants, NS, parseStrict, text } from './dom';

export type Refusal =
  | { kind: 'fault'; code: 'Sender' | 'Receiver'; subcode: string; reason: string }
  | { kind: 'registry'; errors: { code: string; context: string; location: string }[] };

export class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(
      refusal.kind === 'fault' ? `${refusal.subcode}: ${refusal.reason}` : refusal.errors.map((e) => `${e.code}: ${e.context}`).join('; '),
    );
  }
}

export const fault = (subcode: string, reason: string, code: 'Sender' | 'Receiver' = 'Sender'): Refused =>
  new Refused({ kind: 'fault', code, subcode, reason });
export const registryError = (code: string, context: string, location = ''): Refused =>
  new Refused({ kind: 'registry', errors: [{ code, context, location }] });

// IHE ITI TF-3 §4.2.5: the fixed UUIDs of XDS.b metadata.
const U = {
  submissionSetNode: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  ssAuthor: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
  ssContentType: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
  ssPatientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
  ssSourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
  ssUniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
  stableEntry: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  deAuthor: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
  deClass: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
  deConfidentiality: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
  deFormat: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
  deFacility: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
  dePractice: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
  deType: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
  deEvent: 'urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4',
  dePatientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
  deUniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
  hasMember: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember',
  signs: 'urn:ihe:iti:2007:AssociationType:signs',
} as const;
const DSIG_FORMAT = 'http://www.w3.org/2000/09/xmldsig#';
const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const DTM = /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2})?)?)?)?)?$/;
const CX_INS = /^([0-9A-B]{15})\^\^\^&(1\.2\.250\.1\.213\.1\.4\.(8|9|10|11))&ISO\^NH$/;

// ---------------------------------------------------------------------------------------------------------------
// WS-Addressing

export interface Addressing {
  messageId: string;
  action: string;
  to: string;
}

export function checkAddressing(header: Element | undefined, expectedActions: readonly string[]): Addressing {
  if (!header) throw fault('wsa:MessageAddressingHeaderRequired', 'no SOAP header');
  const one = (name: string) => {
    const found = children(header, NS.wsa, name);
    if (found.length !== 1) throw fault('wsa:MessageAddressingHeaderRequired', `wsa:${name} must appear exactly once`);
    return found[0] as Element;
  };
  const messageId = text(one('MessageID'));
  const actionElement = one('Action');
  const action = text(actionElement);
  const to = text(one('To'));
  if (!/^urn:uuid:[0-9a-f-]{36}$/i.test(messageId)) throw fault('wsa:InvalidAddressingHeader', 'wsa:MessageID must be a urn:uuid');
  const mustUnderstand = actionElement.getAttributeNS(NS.soap12, 'mustUnderstand');
  if (mustUnderstand !== 'true' && mustUnderstand !== '1') throw fault('wsa:InvalidAddressingHeader', 'wsa:Action must be mustUnderstand');
  if (!expectedActions.includes(action)) throw fault('wsa:ActionNotSupported', 'this endpoint does not support the action');
  if (!/^https:\/\//.test(to)) throw fault('wsa:InvalidAddressingHeader', 'wsa:To must be the endpoint address');
  return { messageId, action, to };
}

// ---------------------------------------------------------------------------------------------------------------
// VIHF

export interface VihfFacts {
  patientId: string;
  structureId: string;
  nameId: string;
  signerFingerprint: string;
}

export interface VihfCheckOptions {
  /** CA certificates the VIHF signer must chain to (root and intermediates) */
  anchors: readonly X509Certificate[];
  /** The TLS client certificate's SHA-256 fingerprint: the VIHF must be signed with another (SIGN) certificate */
  tlsFingerprint: string;
  now: Date;
  /** How old an assertion may be (default 10 min) */
  maxAgeMs?: number;
}

const REQUIRED_ATTRIBUTES = [
  'VIHF_Version',
  'Authentification_mode',
  'Identifiant_Structure',
  'Secteur_Activite',
  'urn:oasis:names:tc:xspa:1.0:subject:subject-id',
  'urn:oasis:names:tc:xacml:2.0:subject:role',
  'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
  'Ressource_URN',
  'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
  'LPS_ID',
  'LPS_Nom',
  'LPS_Version',
] as const;

/** The RFC 2253 form of a certificate subject (most specific RDN first), as `X509SubjectName` wants it. */
function subjectRfc2253(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).reverse().join(',');
}

function chainsTo(cert: X509Certificate, anchors: readonly X509Certificate[], now: Date): boolean {
  const valid = (c: X509Certificate) => now >= new Date(c.validFrom) && now <= new Date(c.validTo);
  let current = cert;
  for (let depth = 0; depth < 5; depth += 1) {
    if (!valid(current)) return false;
    const issuer = anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (!issuer) return false;
    if (issuer.fingerprint256 === current.fingerprint256 || issuer.checkIssued(issuer)) return valid(issuer);
    current = issuer;
  }
  return false;
}

/** Verifies the VIHF in `wsse:Security`; returns what the rest of the checks need. */
export function checkVihf(header: Element, options: VihfCheckOptions): VihfFacts {
  const security = child(header, NS.wsse, 'Security');
  const assertions = descendants(security ?? header, NS.saml2, 'Assertion');
  if (!security || assertions.length !== 1) throw fault('DMPIdentityCertificationFailure', 'wsse:Security must hold one saml2:Assertion');
  const assertion = assertions[0] as Element;
  const id = assertion.getAttribute('ID') ?? '';
  if (!id) throw fault('DMPIdentityCertificationFailure', 'the assertion has no ID');

  // Signature: exactly one, enveloped, over #ID, exclusive C14N, by the certificate in KeyInfo.
  const signatures = children(assertion, NS.ds, 'Signature');
  if (signatures.length !== 1) throw fault('DMPIdentityCertificationFailure', 'the assertion must carry one enveloped ds:Signature');
  const signature = signatures[0] as Element;
  const references = descendants(signature, NS.ds, 'Reference');
  if (references.length !== 1 || references[0]?.getAttribute('URI') !== `#${id}`) {
    throw fault('DMPIdentityCertificationFailure', 'the signature must reference the assertion (#ID) and nothing else');
  }
  const transforms = descendants(signature, NS.ds, 'Transform').map((t) => t.getAttribute('Algorithm'));
  if (transforms.join(' ') !== 'http://www.w3.org/2000/09/xmldsig#enveloped-signature http://www.w3.org/2001/10/xml-exc-c14n#') {
    throw fault('DMPIdentityCertificationFailure', 'the reference transforms must be enveloped-signature then exclusive C14N');
  }
  const c14n = descendants(signature, NS.ds, 'CanonicalizationMethod')[0]?.getAttribute('Algorithm');
  if (c14n !== 'http://www.w3.org/2001/10/xml-exc-c14n#')
    throw fault('DMPIdentityCertificationFailure', 'SignedInfo must use exclusive C14N');
  const certText = text(descendants(signature, NS.ds, 'X509Certificate')[0]);
  let signer: X509Certificate;
  try {
    signer = new X509Certificate(Buffer.from(certText, 'base64'));
  } catch {
    throw fault('DMPInvalidCertificate', 'KeyInfo holds no readable certificate');
  }
  const standalone = new XMLSerializer().serializeToString(assertion);
  const verifier = new SignedXml({ publicCert: signer.toString() });
  verifier.loadSignature(children(parseStrict(standalone).documentElement as Element, NS.ds, 'Signature')[0] as Element);
  let valid = false;
  try {
    valid = verifier.checkSignature(standalone);
  } catch {
    valid = false;
  }
  if (!valid) throw fault('DMPIdentityCertificationFailure', 'the VIHF signature does not verify');

  // Signer: a signing certificate of the organisation, chained to the IGC-Santé (here the test CA), not the TLS one.
  if (signer.fingerprint256 === options.tlsFingerprint) {
    throw fault('DMPInvalidCertificate', 'the VIHF is signed with the TLS authentication certificate');
  }
  const usages = signer.keyUsage ?? [];
  if (usages.includes('1.3.6.1.5.5.7.3.2') && !usages.includes('1.3.6.1.5.5.7.3.4')) {
    throw fault('DMPInvalidCertificate', 'the VIHF is signed with an authentication certificate');
  }
  if (!chainsTo(signer, options.anchors, options.now))
    throw fault('DMPInvalidCertificate', 'the VIHF signer is not trusted or not valid now');

  const issuer = child(assertion, NS.saml2, 'Issuer');
  if (
    issuer?.getAttribute('Format') !== 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName' ||
    text(issuer) !== subjectRfc2253(signer)
  ) {
    throw fault('DMPIdentityCertificationFailure', 'Issuer must be the signing certificate subject (X509SubjectName)');
  }
  const instant = Date.parse(assertion.getAttribute('IssueInstant') ?? '');
  const maxAge = options.maxAgeMs ?? 10 * 60_000;
  if (!Number.isFinite(instant) || instant > options.now.getTime() + 60_000 || instant < options.now.getTime() - maxAge) {
    throw fault('DMPIdentityCertificationFailure', 'IssueInstant is missing, in the future or too old');
  }
  const nameId = text(child(child(assertion, NS.saml2, 'Subject'), NS.saml2, 'NameID'));
  if (!nameId) throw fault('DMPIdentityCertificationFailure', 'Subject/NameID is missing');
  if (!child(assertion, NS.saml2, 'AuthnStatement')) throw fault('DMPIdentityCertificationFailure', 'AuthnStatement is missing');

  const attributes = new Map<string, Element[]>();
  for (const attribute of descendants(assertion, NS.saml2, 'Attribute')) {
    attributes.set(attribute.getAttribute('Name') ?? '', children(attribute, NS.saml2, 'AttributeValue'));
  }
  for (const name of REQUIRED_ATTRIBUTES) {
    const values = attributes.get(name);
    if (!values || values.length === 0 || values.every((v) => !text(v) && !v.firstChild)) {
      throw fault('DMPIdentityCertificationFailure', `VIHF attribute ${name} is missing`);
    }
  }
  const value = (name: string) => text(attributes.get(name)?.[0]);
  if (value('VIHF_Version') !== '3.0') throw fault('DMPIdentityCertificationFailure', 'VIHF_Version must be 3.0');
  if (value('Authentification_mode') !== 'INDIRECTE')
    throw fault('DMPIdentityCertificationFailure', 'Authentification_mode must be INDIRECTE');
  if (value('Ressource_URN') !== 'urn:dmp') throw fault('DMPIdentityCertificationFailure', 'Ressource_URN must be urn:dmp');
  // Identifiant_Structure is the OU of the organisation certificate.
  const ou = signer.subject
    .split('\n')
    .find((rdn) => rdn.startsWith('OU='))
    ?.slice(3);
  if (value('Identifiant_Structure') !== ou)
    throw fault('DMPIdentityCertificationFailure', 'Identifiant_Structure is not the OU of the signing certificate');
  const roles = (attributes.get('urn:oasis:names:tc:xacml:2.0:subject:role') ?? []).map((v) => {
    const role = children(v, NS.hl7, 'Role')[0];
    return { code: role?.getAttribute('code') ?? '', codeSystem: role?.getAttribute('codeSystem') ?? '' };
  });
  const profession = roles.find((r) => r.codeSystem === '1.2.250.1.71.1.2.7');
  if (!profession?.code) throw fault('DMPIdentityCertificationFailure', 'no role value in the profession code system (1.2.250.1.71.1.2.7)');
  if (profession.code === '21' && !roles.some((r) => r.codeSystem === '1.2.250.1.71.4.2.6' && r.code)) {
    throw fault('DMPIdentityCertificationFailure', 'a pharmacist needs a second role value: the CNOP section (1.2.250.1.71.4.2.6)');
  }
  const purpose = children(attributes.get('urn:oasis:names:tc:xspa:1.0:subject:purposeofuse')?.[0], NS.hl7, 'PurposeOfUse')[0];
  if (purpose?.getAttribute('codeSystem') !== '1.2.250.1.213.1.1.4.248')
    throw fault('DMPIdentityCertificationFailure', 'purposeofuse is not a PurposeOfUse CE');
  const patientId = value('urn:oasis:names:tc:xacml:2.0:resource:resource-id');
  if (!CX_INS.test(patientId)) throw fault('DMPIdentityCertificationFailure', 'resource-id is not an INS as CX');
  return { patientId, structureId: ou ?? '', nameId, signerFingerprint: signer.fingerprint256 };
}

// ---------------------------------------------------------------------------------------------------------------
// ITI-41 metadata

export interface SubmittedEntry {
  id: string;
  uniqueId: string;
  mimeType: string;
  hash: string;
  size: number;
  bytes: Buffer;
  isSignature: boolean;
  /** The ExtrinsicObject as received (for ITI-18 answers) */
  xml: string;
}

export interface SubmittedSet {
  uniqueId: string;
  sourceId: string;
  patientId: string;
  entries: SubmittedEntry[];
}

const slotValues = (element: Element, name: string): string[] =>
  children(element, NS.rim, 'Slot')
    .filter((s) => s.getAttribute('name') === name)
    .flatMap((s) => children(child(s, NS.rim, 'ValueList'), NS.rim, 'Value').map((v) => text(v)));

function oneSlot(element: Element, name: string, location: string, pattern?: RegExp): string {
  const values = slotValues(element, name);
  if (values.length !== 1 || !values[0])
    throw registryError('XDSRegistryMetadataError', `slot ${name} must have exactly one value`, location);
  if (pattern && !pattern.test(values[0])) throw registryError('XDSRegistryMetadataError', `slot ${name} is malformed`, location);
  return values[0];
}

function classifications(element: Element, scheme: string): Element[] {
  return children(element, NS.rim, 'Classification').filter((c) => c.getAttribute('classificationScheme') === scheme);
}

function checkCoded(element: Element, scheme: string, name: string, location: string, cardinality: 'one' | 'many' | 'optional'): void {
  const found = classifications(element, scheme);
  if ((cardinality === 'one' && found.length !== 1) || (cardinality === 'many' && found.length === 0)) {
    throw registryError('XDSRegistryMetadataError', `${name} classification is missing or repeated`, location);
  }
  for (const c of found) {
    if (c.getAttribute('classifiedObject') !== element.getAttribute('id')) {
      throw registryError('XDSRegistryMetadataError', `${name} classifies another object`, location);
    }
    if (!c.getAttribute('nodeRepresentation') || slotValues(c, 'codingScheme').length !== 1) {
      throw registryError('XDSRegistryMetadataError', `${name} needs a code (nodeRepresentation) and one codingScheme`, location);
    }
    if (!text(child(c, NS.rim, 'Name'))) {
      const localized = child(child(c, NS.rim, 'Name'), NS.rim, 'LocalizedString');
      if (!localized?.getAttribute('value')) throw registryError('XDSRegistryMetadataError', `${name} needs a display name`, location);
    }
  }
}

function externalId(element: Element, scheme: string, name: string, location: string): string {
  const found = children(element, NS.rim, 'ExternalIdentifier').filter((e) => e.getAttribute('identificationScheme') === scheme);
  if (found.length !== 1 || !found[0]?.getAttribute('value'))
    throw registryError('XDSRegistryMetadataError', `${name} is missing`, location);
  if (found[0].getAttribute('registryObject') !== element.getAttribute('id')) {
    throw registryError('XDSRegistryMetadataError', `${name} identifies another object`, location);
  }
  return found[0].getAttribute('value') as string;
}

function checkAuthor(element: Element, scheme: string, location: string): void {
  const authors = classifications(element, scheme);
  if (authors.length === 0) throw registryError('XDSRegistryMetadataError', 'author is missing', location);
  for (const author of authors) {
    const person = slotValues(author, 'authorPerson');
    const institution = slotValues(author, 'authorInstitution');
    if (person.length + institution.length === 0)
      throw registryError('XDSRegistryMetadataError', 'author names neither person nor institution', location);
    // XCN with an assigning authority of the RPPS/ADELI space: `<id>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`
    if (person.some((p) => !/^[^^]+\^/.test(p) || !p.endsWith('&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS'))) {
      throw registryError('XDSRegistryMetadataError', 'authorPerson is not an IDNPS XCN', location);
    }
    if (institution.some((i) => !i.includes('&1.2.250.1.71.4.2.2&ISO^IDNST')))
      throw registryError('XDSRegistryMetadataError', 'authorInstitution is not an IDNST XON', location);
  }
}

export interface SubmissionCheckOptions {
  /** The patient of the VIHF */
  vihfPatientId: string;
  /** MTOM parts by Content-ID */
  parts: Map<string, Buffer>;
  /** Trust anchors of the DSG signature (a directory of PEM files) */
  trustDir: string;
}

/** Checks the body of an ITI-41 request; returns the submission set and its documents. */
export function checkSubmission(body: Element, options: SubmissionCheckOptions): SubmittedSet {
  const request = child(body, NS.xdsb, 'ProvideAndRegisterDocumentSetRequest');
  if (!request) throw fault('DMPInvalidRequest', 'the body is not a ProvideAndRegisterDocumentSetRequest');
  const list = child(child(request, NS.lcm, 'SubmitObjectsRequest'), NS.rim, 'RegistryObjectList');
  if (!list) throw registryError('XDSRegistryMetadataError', 'no SubmitObjectsRequest/RegistryObjectList');
  const serializer = new XMLSerializer();

  // Submission set
  const packages = children(list, NS.rim, 'RegistryPackage');
  const setNodes = children(list, NS.rim, 'Classification').concat(packages.flatMap((p) => children(p, NS.rim, 'Classification')));
  const sets = packages.filter((p) =>
    setNodes.some(
      (c) => c.getAttribute('classificationNode') === U.submissionSetNode && c.getAttribute('classifiedObject') === p.getAttribute('id'),
    ),
  );
  if (sets.length !== 1) throw registryError('XDSRegistryMetadataError', 'exactly one submission set is needed', 'SubmissionSet');
  const set = sets[0] as Element;
  const setId = set.getAttribute('id') ?? '';
  oneSlot(set, 'submissionTime', setId, DTM);
  checkAuthor(set, U.ssAuthor, setId);
  checkCoded(set, U.ssContentType, 'contentTypeCode', setId, 'one');
  const setPatientId = externalId(set, U.ssPatientId, 'XDSSubmissionSet.patientId', setId);
  const sourceId = externalId(set, U.ssSourceId, 'XDSSubmissionSet.sourceId', setId);
  const setUniqueId = externalId(set, U.ssUniqueId, 'XDSSubmissionSet.uniqueId', setId);
  if (!OID.test(sourceId) || !OID.test(setUniqueId) || setUniqueId.length > 64) {
    throw registryError('XDSRegistryMetadataError', 'sourceId and uniqueId must be OIDs (64 characters at most)', setId);
  }
  if (!CX_INS.test(setPatientId)) throw registryError('XDSRegistryMetadataError', 'the patient id is not an INS as CX', setId);

  // Documents and their MTOM parts
  const documents = new Map<string, Buffer>();
  for (const document of children(request, NS.xdsb, 'Document')) {
    const include = child(document, NS.xop, 'Include');
    const href = include?.getAttribute('href') ?? '';
    if (!href.startsWith('cid:'))
      throw registryError('XDSMissingDocument', 'a Document is not an xop:Include of a cid: part', document.getAttribute('id') ?? '');
    const part = options.parts.get(decodeURIComponent(href.slice(4)));
    if (!part) throw registryError('XDSMissingDocument', 'a cid: reference names no MTOM part', document.getAttribute('id') ?? '');
    documents.set(document.getAttribute('id') ?? '', part);
  }

  const entries: SubmittedEntry[] = [];
  const patientIds = new Set([setPatientId]);
  for (const entry of children(list, NS.rim, 'ExtrinsicObject')) {
    const id = entry.getAttribute('id') ?? '';
    if (entry.getAttribute('objectType') !== U.stableEntry)
      throw registryError('XDSRegistryMetadataError', 'objectType is not a stable DocumentEntry', id);
    const mimeType = entry.getAttribute('mimeType') ?? '';
    if (!mimeType) throw registryError('XDSRegistryMetadataError', 'mimeType is missing', id);
    oneSlot(entry, 'creationTime', id, DTM);
    oneSlot(entry, 'languageCode', id);
    const sourcePatientId = oneSlot(entry, 'sourcePatientId', id);
    for (const slot of ['serviceStartTime', 'serviceStopTime']) if (slotValues(entry, slot).length > 0) oneSlot(entry, slot, id, DTM);
    checkAuthor(entry, U.deAuthor, id);
    checkCoded(entry, U.deClass, 'classCode', id, 'one');
    checkCoded(entry, U.deType, 'typeCode', id, 'one');
    checkCoded(entry, U.deFormat, 'formatCode', id, 'one');
    checkCoded(entry, U.deConfidentiality, 'confidentialityCode', id, 'many');
    checkCoded(entry, U.deFacility, 'healthcareFacilityTypeCode', id, 'one');
    checkCoded(entry, U.dePractice, 'practiceSettingCode', id, 'one');
    checkCoded(entry, U.deEvent, 'eventCodeList', id, 'optional');
    const patientId = externalId(entry, U.dePatientId, 'XDSDocumentEntry.patientId', id);
    const uniqueId = externalId(entry, U.deUniqueId, 'XDSDocumentEntry.uniqueId', id);
    if (!OID.test(uniqueId) || uniqueId.length > 64) throw registryError('XDSRegistryMetadataError', 'uniqueId must be an OID', id);
    patientIds.add(patientId);
    if (CX_INS.test(sourcePatientId)) patientIds.add(sourcePatientId);
    const bytes = documents.get(id);
    if (!bytes) throw registryError('XDSMissingDocument', 'a DocumentEntry has no Document', id);
    documents.delete(id);
    // Hash and size, when given, must describe the attached bytes (ITI TF-3 §4.2.4: repository metadata error).
    const actualHash = createHash('sha1').update(bytes).digest('hex');
    const hash = slotValues(entry, 'hash')[0];
    const size = slotValues(entry, 'size')[0];
    if (hash !== undefined && hash.toLowerCase() !== actualHash)
      throw registryError('XDSRepositoryMetadataError', 'hash does not match the document', id);
    if (size !== undefined && Number(size) !== bytes.length)
      throw registryError('XDSRepositoryMetadataError', 'size does not match the document', id);
    const isSignature = classifications(entry, U.deFormat).some((c) => c.getAttribute('nodeRepresentation') === DSIG_FORMAT);
    entries.push({
      id,
      uniqueId,
      mimeType,
      hash: actualHash,
      size: bytes.length,
      bytes,
      isSignature,
      xml: serializer.serializeToString(entry),
    });
  }
  if (documents.size > 0)
    throw registryError('XDSMissingDocumentMetadata', 'a Document has no DocumentEntry', [...documents.keys()].join(','));
  if (entries.length === 0) throw registryError('XDSRegistryMetadataError', 'no DocumentEntry', setId);

  // The same patient everywhere: metadata and VIHF.
  patientIds.add(options.vihfPatientId);
  if (patientIds.size !== 1)
    throw registryError('XDSPatientIdDoesNotMatch', 'the patient id differs between the submission set, its entries and the VIHF', setId);

  // Associations: every entry a member of the set; the signature signs the set.
  const associations = children(list, NS.rim, 'Association');
  for (const entry of entries) {
    const member = associations.find(
      (a) =>
        a.getAttribute('associationType') === U.hasMember &&
        a.getAttribute('sourceObject') === setId &&
        a.getAttribute('targetObject') === entry.id,
    );
    if (!member || slotValues(member, 'SubmissionSetStatus')[0] !== 'Original') {
      throw registryError('XDSRegistryMetadataError', 'a DocumentEntry is not a member (Original) of the submission set', entry.id);
    }
  }
  const signatures = entries.filter((e) => e.isSignature);
  const clinical = entries.filter((e) => !e.isSignature);
  if (signatures.length !== 1 || clinical.length !== 1)
    throw registryError('XDSRegistryMetadataError', 'a DMP submission holds one document and its DSG signature', setId);
  const signatureEntry = signatures[0] as SubmittedEntry;
  const document = clinical[0] as SubmittedEntry;
  const signs = associations.filter((a) => a.getAttribute('associationType') === U.signs);
  if (
    signs.length !== 1 ||
    signs[0]?.getAttribute('sourceObject') !== signatureEntry.id ||
    signs[0]?.getAttribute('targetObject') !== setId
  ) {
    throw registryError('XDSRegistryMetadataError', 'the signs association must go from the signature to the submission set', setId);
  }

  // The DSG signature: valid, by a trusted SIGN certificate, its manifest naming this set and this document's digest.
  const verdict = verifySubmissionSignature(signatureEntry.bytes.toString('utf8'), document.bytes, {
    trustAnchors: options.trustDir,
    documentUniqueId: document.uniqueId,
  });
  if (!verdict.valid)
    throw registryError(
      'XDSRegistryMetadataError',
      `the DSG signature does not verify (${verdict.reasons.length} reasons)`,
      signatureEntry.id,
    );
  if (verdict.submissionSetUniqueId !== setUniqueId)
    throw registryError('XDSRegistryMetadataError', 'the DSG manifest does not name this submission set', signatureEntry.id);

  // The document itself names the same patient (recordTarget/patientRole/id).
  const [, matricule, oid] = CX_INS.exec(setPatientId) ?? [];
  try {
    const cda = parseStrict(document.bytes.toString('utf8'));
    const ids = descendants(cda, NS.hl7, 'patientRole').flatMap((p) => children(p, NS.hl7, 'id'));
    if (!ids.some((i) => i.getAttribute('root') === oid && i.getAttribute('extension') === matricule)) {
      throw registryError('XDSPatientIdDoesNotMatch', 'the document is about another patient', document.id);
    }
  } catch (error) {
    if (error instanceof Refused) throw error;
    throw registryError('XDSRepositoryMetadataError', 'the document is not well-formed XML', document.id);
  }
  return { uniqueId: setUniqueId, sourceId, patientId: setPatientId, entries };
}
