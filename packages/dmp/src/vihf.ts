import { randomUUID, type KeyObject, type X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { XdsDocumentMetadata } from '@passerelle/schemas';
import { DmpRequestError } from './errors';
import { escapeAttr, escapeText } from './xml-escape';

/**
 * The VIHF (Vecteur d'Identification et d'Habilitation Formelle): the SAML 2.0 assertion the DMP reads to know who
 * sends and for which patient, here in INDIRECTE mode (an automated feed authenticated by the organisation's
 * certificate), shaped like the DMP's sample `VIHF_INDIRECTE_signe.xml` (REFERENCE §9).
 */

export const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const HL7_NS = 'urn:hl7-org:v3';
export const VIHF_VERSION = '3.0';
/** TRE_R94-ProfessionSante / G15 and TRE_G05 code systems of the two role values of a pharmacist. */
export const PROFESSION_CODE_SYSTEM = '1.2.250.1.71.1.2.7';
export const PHARMACIST_SECTION_CODE_SYSTEM = '1.2.250.1.71.4.2.6';
export const PURPOSE_OF_USE_CODE_SYSTEM = '1.2.250.1.213.1.1.4.248';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const SIGNATURE_ALGORITHMS = {
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
} as const;
export type VihfHash = keyof typeof SIGNATURE_ALGORITHMS;

/** CNOP sections (TRE_G05) a pharmacist's second role value may carry; the DMP refuses a pharmacist without it. */
const SECTION_NAMES: Record<string, string> = {
  A: "Pharmacien titulaire d'officine",
  D: 'Pharmacien adjoint et autre',
  E: "Pharmacien d'outre-mer",
  G: 'Pharmacien biologiste',
  H: 'Pharmacien des établissements de santé',
};

/** The software that sends (LPS: logiciel de professionnel de santé). */
export interface VihfSoftware {
  id: string;
  name: string;
  version: string;
  /** DMP homologation number, once homologated */
  homologation?: string;
}

/** What the assertion says; {@link vihfSubjectFromMetadata} fills most of it from a submission's metadata. */
export interface VihfInput {
  /** `Identifiant_Structure`: the structure's national id, the OU of the organisation certificate (`1` + FINESS) */
  structureId: string;
  /** `Secteur_Activite` as `code^codeSystem` (an officine: `SA33^1.2.250.1.71.4.2.4`) */
  sector: string;
  /** `Subject/NameID`: the national id of the professional responsible for the feed (`8` + RPPS) */
  nameId: string;
  /** `subject-id`: the professional's name as the DMP displays it */
  subjectName: string;
  /** Profession (G15, e.g. 21 Pharmacien) and, for a pharmacist, the CNOP section (TRE_G05, e.g. A) */
  profession: { code: string; displayName: string };
  section?: { code: string; displayName: string };
  /** `resource-id`: the patient's INS as a CX (`<matricule>^^^&<INS OID>&ISO^NH`) */
  patientId: string;
  software: VihfSoftware;
  /** Default now */
  issueInstant?: Date;
  /** Default a random `_<uuid>` */
  id?: string;
}

/** The organisation SIGN credential the assertion is signed with (never the AUTH_CLI one: the DMP refuses it). */
export interface VihfSigningKey {
  privateKey: KeyObject;
  /** The SIGN certificate, then its issuers (only the first goes into KeyInfo, as in the samples) */
  certificate: X509Certificate;
}

/**
 * The subject of an INDIRECTE assertion from a submission's metadata: the document's author is the professional
 * responsible (`authorPerson`: `<id>^<family>^<given>^…`), their specialty `G15_<profession>/<section>` gives the two
 * role values, the healthcare facility type the sector, the INS the resource id.
 */
export function vihfSubjectFromMetadata(
  metadata: Pick<XdsDocumentMetadata, 'authorPerson' | 'authorSpecialty' | 'patientId' | 'healthcareFacilityTypeCode' | 'authorFiness'>,
  /**
   * CNOP section of a pharmacist whose specialty names none: the CDA header writes `G15_21/A` for a titulaire and
   * plain `G15_21` for the others, who in an officine are adjoints (section D, "Pharmacien adjoint et autre").
   */
  defaultPharmacistSection = 'D',
): Pick<VihfInput, 'structureId' | 'sector' | 'nameId' | 'subjectName' | 'profession' | 'section' | 'patientId'> {
  const [id, family, given] = metadata.authorPerson.split('^');
  if (!id) throw new DmpRequestError('VIHF_INVALID_INPUT', 'metadata.authorPerson carries no identifier');
  const specialty = metadata.authorSpecialty.split('^')[0] ?? '';
  const match = /^G15_([0-9]{2})(?:\/([A-Z]))?$/.exec(specialty);
  if (!match) throw new DmpRequestError('VIHF_INVALID_INPUT', 'metadata.authorSpecialty must be G15_<profession>[/<section>]');
  const profession = match[1] as string;
  // The DMP refuses a pharmacist's VIHF without the second role value (the CNOP section).
  const sectionCode = match[2] ?? (profession === '21' ? defaultPharmacistSection : undefined);
  const facility = metadata.healthcareFacilityTypeCode;
  return {
    structureId: `1${metadata.authorFiness}`,
    sector: `${facility.code}^${facility.codeSystem}`,
    nameId: id,
    subjectName: [given, family].filter(Boolean).join(' ').toUpperCase() || id,
    profession: { code: profession, displayName: profession === '21' ? 'Pharmacien' : `Profession ${profession}` },
    ...(sectionCode ? { section: { code: sectionCode, displayName: SECTION_NAMES[sectionCode] ?? `Section ${sectionCode}` } } : {}),
    patientId: metadata.patientId,
  };
}

/**
 * The certificate's subject as the SAML Issuer wants it (`X509SubjectName`, RFC 2253 order: most specific first),
 * e.g. `CN=PHARMACIE TEST 750100208 SIGN,OU=1750100208,O=PHARMACIE TEST 750100208,C=FR`.
 */
export function issuerName(certificate: X509Certificate): string {
  return certificate.subject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => rdn.replace(/,/g, '\\,'))
    .join(',');
}

function stringAttribute(name: string, value: string): string {
  return (
    `<saml2:Attribute Name="${escapeAttr(name)}"><saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" ` +
    `xsi:type="xs:string">${escapeText(value)}</saml2:AttributeValue></saml2:Attribute>`
  );
}

function ceValue(element: 'Role' | 'PurposeOfUse', code: string, codeSystem: string, displayName: string): string {
  return (
    `<saml2:AttributeValue><${element} xmlns="${HL7_NS}" code="${escapeAttr(code)}" codeSystem="${codeSystem}" ` +
    `displayName="${escapeAttr(displayName)}" xsi:type="CE"/></saml2:AttributeValue>`
  );
}

/** The unsigned assertion (the signature goes right after Issuer, as the schema and the samples place it). */
export function buildVihfAssertion(input: VihfInput, issuer: string): { xml: string; id: string } {
  if (!/^[^\s^]+\^\^\^&[0-9.]+&ISO\^NH$/.test(input.patientId)) {
    throw new DmpRequestError('VIHF_INVALID_INPUT', 'patientId must be a CX <matricule>^^^&<INS OID>&ISO^NH');
  }
  const id = input.id ?? `_${randomUUID()}`;
  const instant = (input.issueInstant ?? new Date()).toISOString();
  const roles = [ceValue('Role', input.profession.code, PROFESSION_CODE_SYSTEM, input.profession.displayName)];
  if (input.section) roles.push(ceValue('Role', input.section.code, PHARMACIST_SECTION_CODE_SYSTEM, input.section.displayName));
  const attributes = [
    stringAttribute('Identifiant_Structure', input.structureId),
    stringAttribute('Secteur_Activite', input.sector),
    stringAttribute('urn:oasis:names:tc:xspa:1.0:subject:subject-id', input.subjectName),
    `<saml2:Attribute Name="urn:oasis:names:tc:xacml:2.0:subject:role">${roles.join('')}</saml2:Attribute>`,
    stringAttribute('VIHF_Version', VIHF_VERSION),
    stringAttribute('Authentification_mode', 'INDIRECTE'),
    stringAttribute('urn:oasis:names:tc:xacml:2.0:resource:resource-id', input.patientId),
    stringAttribute('Ressource_URN', 'urn:dmp'),
    `<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:subject:purposeofuse">${ceValue('PurposeOfUse', 'normal', PURPOSE_OF_USE_CODE_SYSTEM, 'Accès normal')}</saml2:Attribute>`,
    stringAttribute('LPS_ID', input.software.id),
    stringAttribute('LPS_Nom', input.software.name),
    stringAttribute('LPS_Version', input.software.version),
    ...(input.software.homologation ? [stringAttribute('LPS_ID_HOMOLOGATION_DMP', input.software.homologation)] : []),
  ];
  const xml =
    `<saml2:Assertion xmlns:saml2="${SAML_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${id}" IssueInstant="${instant}" Version="2.0">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">${escapeText(issuer)}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID>${escapeText(input.nameId)}</saml2:NameID></saml2:Subject>` +
    `<saml2:AuthnStatement AuthnInstant="${instant}"><saml2:AuthnContext>` +
    '<saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml2:AuthnContextClassRef>' +
    '</saml2:AuthnContext></saml2:AuthnStatement>' +
    `<saml2:AttributeStatement>${attributes.join('')}</saml2:AttributeStatement></saml2:Assertion>`;
  return { xml, id };
}

/**
 * The signed assertion: an enveloped XML-DSig over `#<ID>` (transforms enveloped-signature + exclusive C14N,
 * exclusive C14N of SignedInfo), `KeyInfo/X509Data` with the SIGN certificate, placed right after Issuer. RSA-SHA256
 * by default; the DMP's samples use RSA-SHA1 (`hash: 'sha1'`).
 */
export function signVihf(input: VihfInput, key: VihfSigningKey, hash: VihfHash = 'sha256'): { xml: string; id: string } {
  const { xml, id } = buildVihfAssertion(input, issuerName(key.certificate));
  const algorithms = SIGNATURE_ALGORITHMS[hash];
  const signed = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.certificate.toString(),
    signatureAlgorithm: algorithms.signature,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signed.addReference({
    xpath: `/*[local-name(.)='Assertion' and namespace-uri(.)='${SAML_NS}']`,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: algorithms.digest,
  });
  signed.computeSignature(xml, {
    location: { reference: `/*/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return { xml: signed.getSignedXml(), id };
}
