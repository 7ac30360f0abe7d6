import JSZip from 'jszip';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { sampleMetadata } from '../../../test/fixtures/xds-metadata';
import { runTool } from '../../../test/support/tools';
import { buildSubmissionSetMetadata } from './submission-set';
import { buildXdmArchive, readXdmArchive } from './xdm-archive';

// METADATA.XML and the DMP submission set are checked against the OASIS ebRS 3.0 schemas (lcm.xsd → rim.xsd),
// read from the IPF artifact that scripts/fetch-ebrs-schemas.sh puts in the local Maven repository.
const JAR = join(
  process.env.MAVEN_REPO ?? join(homedir(), '.m2', 'repository'),
  'org/openehealth/ipf/commons/ipf-commons-ihe-xds/4.8.0/ipf-commons-ihe-xds-4.8.0.jar',
);

let schemaDir: string;

beforeAll(async () => {
  schemaDir = mkdtempSync(join(tmpdir(), 'ebrs-'));
  const jar = await JSZip.loadAsync(readFileSync(JAR));
  for (const file of Object.values(jar.files)) {
    if (file.dir || !file.name.startsWith('wsdl/schema/') || !file.name.endsWith('.xsd')) continue;
    const target = join(schemaDir, file.name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await file.async('nodebuffer'));
  }
});

afterAll(() => rmSync(schemaDir, { recursive: true, force: true }));

/**
 * Runs xmllint against lcm.xsd; returns its report (empty when valid), never throws on invalid input. Throws when
 * xmllint is missing or fails otherwise, so that "invalid" always means that xmllint rejected the document.
 */
function validate(xml: string): { valid: boolean; report: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ebrs-doc-'));
  try {
    const file = join(dir, 'doc.xml');
    writeFileSync(file, xml);
    const run = runTool('xmllint', ['--noout', '--nonet', '--schema', join(schemaDir, 'wsdl/schema/ebRS30/lcm.xsd'), file]);
    if (run.status === 0) return { valid: true, report: '' };
    // 3: does not validate; 1: not well-formed. Anything else (5: the schema did not compile) is not a verdict.
    if (run.status !== 1 && run.status !== 3) throw new Error(`xmllint exited with ${run.status}: ${run.stderr}`);
    return { valid: false, report: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const documentXml = '<ClinicalDocument xmlns="urn:hl7-org:v3"/>';
const nasty = `</family> & "x" 'y' <z>`;
const metadata: XdsDocumentMetadata = sampleMetadata(documentXml, {
  kind: 'pharmaceutical-interview',
  title: nasty,
  typeCode: { code: '78601-2', codeSystem: '2.16.840.1.113883.6.1', displayName: "CR d'entretien pharmaceutique" },
  formatCode: { code: 'urn:ihe:iti:xds-sd:pdf:2008', codeSystem: '1.3.6.1.4.1.19376.1.2.3', displayName: 'PDF' },
  confidentialityCodes: [
    { code: 'N', codeSystem: '2.16.840.1.113883.5.25', displayName: 'Normal' },
    { code: 'INVISIBLE_PATIENT', codeSystem: '1.2.250.1.213.1.1.4.13', displayName: 'Non visible par le patient' },
  ],
  eventCodes: [{ code: 'X', codeSystem: '1.2.3', displayName: nasty }],
  sourcePatientInfo: [`PID-5|${nasty}^DOMINIQUE^^^^^L`, 'PID-7|19790315', 'PID-8|F'],
  authorInstitution: `${nasty}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750100208`,
  authorSpecialty: 'G15_21^Pharmacien^1.2.250.1.213.1.1.4.5',
});
const submissionSet = {
  uniqueId: '2.25.226180104452231917633960217040542458183',
  sourceId: '1.2.250.1.999.42.1',
  submissionTime: '20251121093005',
  title: nasty,
  comments: nasty,
  contentTypeCode: { code: '07', codeSystem: '1.2.250.1.213.2.2', displayName: 'Consultation externe' },
  intendedRecipients: ['jean.dupont@medecin.mssante.fr'],
};

describe('ebRS 3.0 schema validity', () => {
  it('the schema check does reject a broken request', () => {
    const xml = buildSubmissionSetMetadata({ metadata, submissionSet }).replace('<RegistryObjectList>', '<RegistryObjectList><Bogus/>');
    expect(validate(xml).valid).toBe(false);
  });

  it('the DMP submission set (document, signature entry, signs association) is valid', () => {
    const result = validate(buildSubmissionSetMetadata({ metadata, submissionSet, signature: { content: '<Signature/>' } }));
    expect(result).toEqual({ valid: true, report: '' });
  });

  it('the XDM METADATA.XML (with URIs and intended recipients) is valid', async () => {
    const archive = await readXdmArchive(
      await buildXdmArchive({
        documentXml,
        signatureXml: '<Signature/>',
        metadata,
        submissionSet,
        producer: { vendor: 'V', product: 'Passerelle', version: '0.1.0' },
      }),
    );
    expect(validate(archive.metadataXml)).toEqual({ valid: true, report: '' });
  });
});
