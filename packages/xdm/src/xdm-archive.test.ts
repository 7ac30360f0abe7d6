import JSZip from 'jszip';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../../test/support/tools';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { sampleMetadata } from '../../../test/fixtures/xds-metadata';
import { buildXdmArchive, readXdmArchive, XdmDocument, XDM_PATHS, type XdmArchiveInput } from './xdm-archive';
import { deriveSignatureUniqueId, xdsHashAndSize } from './submission-set';
import { XDS } from './xds-uuids';

const documentXml =
  '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Bilan médicamenteux</title></ClinicalDocument>\n';
const signatureXml = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="sig-1"><SignedInfo/></Signature>';

function metadata(overrides: Partial<XdsDocumentMetadata> = {}): XdsDocumentMetadata {
  return sampleMetadata(documentXml, {
    kind: 'medication-review',
    title: 'Bilan médicamenteux',
    typeCode: { code: '56445-0', codeSystem: '2.16.840.1.113883.6.1', displayName: 'Bilan médicamenteux' },
    formatCode: { code: 'urn:ihe:iti:xds-sd:pdf:2008', codeSystem: '1.3.6.1.4.1.19376.1.2.3', displayName: 'PDF' },
    ...overrides,
  });
}

function input(overrides: Partial<XdmArchiveInput> = {}): XdmArchiveInput {
  return {
    documentXml,
    signatureXml,
    metadata: metadata(),
    submissionSet: {
      uniqueId: '2.25.226180104452231917633960217040542458183',
      sourceId: '1.2.250.1.999.42.1',
      submissionTime: '20251121093005',
      title: 'Bilan médicamenteux',
      contentTypeCode: { code: '07', codeSystem: '1.2.250.1.213.2.2', displayName: 'Consultation externe' },
    },
    producer: { vendor: 'Éditeur & Fils', product: 'Passerelle', version: '0.1.0', contact: 'support@editeur.example' },
    ...overrides,
  };
}

describe('buildXdmArchive / readXdmArchive', () => {
  it('holds INDEX.HTM, README.TXT, METADATA.XML, the CDA and the signature under their 8.3 names', async () => {
    const zip = await buildXdmArchive(input());
    const read = await readXdmArchive(zip);
    expect([...read.entries.keys()].sort()).toEqual(
      [XDM_PATHS.index, XDM_PATHS.readme, XDM_PATHS.metadata, XDM_PATHS.document, XDM_PATHS.signature].sort(),
    );
    expect(read.entries.get(XDM_PATHS.document)?.toString('utf8')).toBe(documentXml);
    expect(read.entries.get(XDM_PATHS.signature)?.toString('utf8')).toBe(signatureXml);
    const readme = read.entries.get(XDM_PATHS.readme)?.toString('utf8') ?? '';
    expect(readme).toContain('Vendor: Éditeur & Fils');
    expect(readme).toContain('Product: Passerelle 0.1.0');
    expect(readme).toContain('DOC0001.XML');
    const index = read.entries.get(XDM_PATHS.index)?.toString('utf8') ?? '';
    expect(index).toContain('href="IHE_XDM/SUBSET01/DOC0001.XML"');
    expect(index).toContain('Éditeur &amp; Fils');
    // no patient data in the index or the readme
    for (const text of [index, readme]) {
      expect(text).not.toContain('279035121518989');
      expect(text).not.toContain('PAT-TROIS');
    }
  });

  it('METADATA.XML parses and carries the uniqueIds, patientId, hash, size and URIs', async () => {
    const m = metadata();
    const read = await readXdmArchive(await buildXdmArchive(input()));
    expect(read.submissionSet).toEqual({
      uniqueId: '2.25.226180104452231917633960217040542458183',
      sourceId: '1.2.250.1.999.42.1',
      patientId: m.patientId,
      submissionTime: '20251121093005',
    });
    const [doc, sig] = read.documents;
    expect(doc).toMatchObject({
      id: 'Document01',
      uniqueId: m.uniqueId,
      patientId: m.patientId,
      uri: 'DOC0001.XML',
      hash: m.hash,
      size: m.size,
      typeCode: '56445-0',
      intact: true,
    });
    expect(sig).toMatchObject({
      id: 'Signature01',
      uniqueId: deriveSignatureUniqueId('2.25.226180104452231917633960217040542458183'),
      uri: 'DOC0002.XML',
      classCode: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1',
      formatCode: 'http://www.w3.org/2000/09/xmldsig#',
      intact: true,
    });
    expect(read.associations).toContainEqual({
      type: XDS.associationType.signs,
      source: 'Signature01',
      target: 'SubmissionSet01',
    });
    expect(read.metadataXml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  });

  it('without a signature, holds only the document entry', async () => {
    const read = await readXdmArchive(await buildXdmArchive(input({ signatureXml: undefined })));
    expect(read.entries.has(XDM_PATHS.signature)).toBe(false);
    expect(read.documents.map((d) => d.id)).toEqual(['Document01']);
    expect(read.associations).toHaveLength(1);
  });

  it('keeps names full of XML metacharacters intact through escaping', async () => {
    const nasty = `</family> & "quoted" 'apos' <script>`;
    const read = await readXdmArchive(
      await buildXdmArchive(
        input({
          metadata: metadata({
            title: nasty,
            sourcePatientInfo: [`PID-5|${nasty}^DOMINIQUE^^^^^L`],
            authorInstitution: `${nasty}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750100208`,
          }),
        }),
      ),
    );
    expect(read.metadataXml).not.toContain('</family> &');
    const list = (read.metadata.SubmitObjectsRequest as Record<string, unknown>).RegistryObjectList as Record<string, unknown>;
    const eo = (list.ExtrinsicObject as Record<string, unknown>[])[0]!;
    const name = ((eo.Name as Record<string, unknown>).LocalizedString as Record<string, unknown>[])[0]!;
    expect(name['@_value']).toBe(nasty);
    const index = read.entries.get(XDM_PATHS.index)?.toString('utf8') ?? '';
    expect(index).not.toContain('<script>');
    expect(index).toContain('&lt;/family&gt; &amp; &quot;quoted&quot; &#39;apos&#39; &lt;script&gt;');
  });

  it('is deterministic: the same input gives the same bytes, whatever the time zone or the clock', async () => {
    const first = await buildXdmArchive(input());
    await new Promise((resolve) => setTimeout(resolve, 2100)); // DOS times have a 2 s resolution
    const second = await buildXdmArchive(input());
    expect(second.equals(first)).toBe(true);
    const zip = await JSZip.loadAsync(first);
    for (const file of Object.values(zip.files)) {
      expect(file.date.toISOString()).toBe('2025-11-21T09:30:00.000Z');
    }
    // A fresh process in another time zone writes the same bytes.
    const script = `
      const { buildXdmArchive } = require('./src/xdm-archive');
      const input = JSON.parse(process.argv[1]);
      buildXdmArchive(input).then((b) => process.stdout.write(b.toString('base64')));`;
    const other = execFileSync('npx', ['tsx', '-e', script, JSON.stringify(input())], {
      cwd: `${__dirname}/..`,
      env: { ...process.env, TZ: 'Pacific/Kiritimati' },
      encoding: 'utf8',
    });
    expect(Buffer.from(other, 'base64').equals(first)).toBe(true);
  });

  it("builds every archive of a document from the same files: only METADATA.XML names each one's recipients", async () => {
    const { submissionSet, ...rest } = input();
    const xdm = new XdmDocument({ ...rest, submissionSet });
    const patient = xdm.archive(['279035121518989@patient.mssante.fr']);
    const professionals = xdm.archive(['jean.dupont@medecin.mssante.fr', 'marie.durand@medecin.mssante.fr']);
    // The one-off builder gives the same bytes.
    const oneOff = await buildXdmArchive(
      input({ submissionSet: { ...submissionSet, intendedRecipients: ['279035121518989@patient.mssante.fr'] } }),
    );
    expect(patient.equals(oneOff)).toBe(true);

    const [a, b] = await Promise.all([readXdmArchive(patient), readXdmArchive(professionals)]);
    for (const path of [XDM_PATHS.index, XDM_PATHS.readme, XDM_PATHS.document, XDM_PATHS.signature]) {
      expect(a.entries.get(path)?.equals(b.entries.get(path) as Buffer)).toBe(true);
    }
    expect(b.documents.map((d) => d.intact)).toEqual([true, true]);
    const recipients = (xml: string) => [...xml.matchAll(/\|\|\^\^Internet\^([^<]+)</g)].map((m) => m[1]);
    expect(recipients(a.metadataXml)).toEqual(['279035121518989@patient.mssante.fr']);
    expect(recipients(b.metadataXml)).toEqual(['jean.dupont@medecin.mssante.fr', 'marie.durand@medecin.mssante.fr']);
    // Without recipients the slot is left out.
    expect((await readXdmArchive(xdm.archive())).metadataXml).not.toContain('intendedRecipient');
  });

  it('is a ZIP that Info-ZIP reads and checks (CRC of every file), with files only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdm-zip-'));
    try {
      const path = join(dir, 'IHE_XDM.ZIP');
      writeFileSync(path, await buildXdmArchive(input()));
      const test = runTool('unzip', ['-t', path]);
      expect(test.status).toBe(0);
      expect(test.stdout).toContain('No errors detected');
      const listing = runTool('unzip', ['-Z1', path]);
      expect(listing.stdout.trim().split('\n').sort()).toEqual(
        [XDM_PATHS.index, XDM_PATHS.readme, XDM_PATHS.metadata, XDM_PATHS.document, XDM_PATHS.signature].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a document that its metadata does not describe', async () => {
    await expect(buildXdmArchive(input({ documentXml: `${documentXml} ` }))).rejects.toMatchObject({ code: 'XDM_HASH_MISMATCH' });
    const { hash } = xdsHashAndSize(documentXml);
    await expect(buildXdmArchive(input({ metadata: metadata({ hash, size: 1 }) }))).rejects.toMatchObject({
      code: 'XDM_SIZE_MISMATCH',
    });
  });

  it('reports a tampered document as not intact, and refuses bytes that are not an XDM ZIP', async () => {
    const zip = await JSZip.loadAsync(await buildXdmArchive(input()));
    zip.file(XDM_PATHS.document, `${documentXml}<!-- changed -->`);
    const read = await readXdmArchive(await zip.generateAsync({ type: 'nodebuffer' }));
    expect(read.documents[0]?.intact).toBe(false);
    expect(read.documents[1]?.intact).toBe(true);
    await expect(readXdmArchive(Buffer.from('not a zip'))).rejects.toMatchObject({ code: 'XDM_INVALID_ARCHIVE' });
    const empty = await new JSZip().file('README.TXT', 'x').generateAsync({ type: 'nodebuffer' });
    await expect(readXdmArchive(empty)).rejects.toMatchObject({ code: 'XDM_INVALID_ARCHIVE' });
  });
});
