import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { KeyStore } from '@passerelle/signature';
import type { TestPki } from '@passerelle/testing';
import { runTool } from '../../../test/support/tools';
import { FINESS, makeSubmission, testPki } from '../../../test/dmp-simulator/submissions';
import { signVihf, vihfSubjectFromMetadata, type VihfInput, type VihfSigningKey } from './vihf';
import { DmpRequestError } from './errors';
import { signingX509 } from '@passerelle/dmp';

const DMP_DIR = process.env.DMP_SAMPLES_DIR ?? join(__dirname, '../../../../shared/spec/dmp');
const SOFTWARE = { id: 'PASSERELLE-TEST', name: 'Passerelle', version: '0.1.0', homologation: 'NumAutorisation' };

let pki: TestPki;
let key: VihfSigningKey;
let input: VihfInput;

beforeAll(async () => {
  pki = await testPki();
  const keyStore = new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir });
  const submission = await makeSubmission('vaccination', keyStore);
  const sign = keyStore.signingCredential(FINESS);
  key = { privateKey: sign.privateKey, certificate: signingX509(sign) };
  input = { ...vihfSubjectFromMetadata(submission.metadata), software: SOFTWARE };
}, 60_000);

/** `xmlsec1 --verify` of an assertion, with the test CA (root trusted, intermediate given). */
function xmlsecVerify(xml: string): { status: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vihf-'));
  const file = join(dir, 'vihf.xml');
  writeFileSync(file, xml);
  const run = runTool('xmlsec1', [
    '--verify',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    '--trusted-pem',
    pki.rootPem,
    '--untrusted-pem',
    pki.intermediatePem,
    file,
  ]);
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (n) => n === 'Attribute' || n === 'AttributeValue',
});
type Attr = { '@_Name': string; AttributeValue: ({ '#text'?: string } & Record<string, { '@_code'?: string; '@_codeSystem'?: string }>)[] };
const attributesOf = (xml: string): Attr[] =>
  (parser.parse(xml) as { Assertion: { AttributeStatement: { Attribute: Attr[] } } }).Assertion.AttributeStatement.Attribute;

describe('the VIHF, INDIRECTE mode', () => {
  it('is verified by xmlsec1 against the test CA (enveloped, exclusive C14N, RSA-SHA256), and a tampered copy is not', () => {
    const { xml } = signVihf(input, key);
    const good = xmlsecVerify(xml);
    expect(good.status).toBe(0);
    expect(good.output).toContain('SignedInfo References (ok/all): 1/1');
    const tampered = xml.replace('urn:dmp', 'urn:autre');
    expect(tampered).not.toBe(xml);
    expect(xmlsecVerify(tampered).status).not.toBe(0);
  });

  it('also verifies with RSA-SHA1, as the DMP’s samples are signed', () => {
    const { xml } = signVihf(input, key, 'sha1');
    expect(xml).toContain('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    expect(xmlsecVerify(xml).status).toBe(0);
  });

  it('carries every attribute of the DMP’s INDIRECTE sample, in its order, with the pharmacist’s two roles and the INS', () => {
    const sample = readFileSync(join(DMP_DIR, 'VIHF_INDIRECTE_signe.xml'), 'utf8');
    const { xml } = signVihf(input, key);
    const ours = attributesOf(xml);
    expect(ours.map((a) => a['@_Name'])).toEqual(attributesOf(sample).map((a) => a['@_Name']));
    const value = (name: string) => ours.find((a) => a['@_Name'] === name)?.AttributeValue ?? [];
    expect(value('Authentification_mode')[0]?.['#text']).toBe('INDIRECTE');
    expect(value('VIHF_Version')[0]?.['#text']).toBe('3.0');
    expect(value('Identifiant_Structure')[0]?.['#text']).toBe(`1${FINESS}`);
    expect(value('Secteur_Activite')[0]?.['#text']).toBe('SA33^1.2.250.1.71.4.2.4');
    expect(value('urn:oasis:names:tc:xacml:2.0:resource:resource-id')[0]?.['#text']).toBe('279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH');
    const roles = value('urn:oasis:names:tc:xacml:2.0:subject:role').map((v) => v.Role);
    expect(roles).toEqual([
      expect.objectContaining({ '@_code': '21', '@_codeSystem': '1.2.250.1.71.1.2.7' }),
      expect.objectContaining({ '@_code': 'A', '@_codeSystem': '1.2.250.1.71.4.2.6' }),
    ]);
    // Issuer: the SIGN certificate's subject, X509SubjectName.
    expect(xml).toContain(
      `<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">CN=PHARMACIE TEST ${FINESS} SIGN,OU=1${FINESS},O=PHARMACIE TEST ${FINESS},C=FR</saml2:Issuer>`,
    );
  });

  it('gives an adjoint (G15_21 without section) the section D, and refuses what is not a G15 specialty', () => {
    const base = {
      authorPerson: '810001234567^DURAND^Paul^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS',
      patientId: input.patientId,
      authorFiness: FINESS,
      healthcareFacilityTypeCode: { code: 'SA33', codeSystem: '1.2.250.1.71.4.2.4', displayName: 'x' },
    };
    expect(vihfSubjectFromMetadata({ ...base, authorSpecialty: 'G15_21^Pharmacien^1.2.250.1.213.1.1.4.5' }).section).toMatchObject({
      code: 'D',
    });
    expect(() => vihfSubjectFromMetadata({ ...base, authorSpecialty: 'SM26^Médecine^1.2.250.1.213.1.1.4.5' })).toThrow(DmpRequestError);
  });
});
