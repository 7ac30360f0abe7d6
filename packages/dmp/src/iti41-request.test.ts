import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { DmpSubmission } from '@passerelle/schemas';
import { KeyStore } from '@passerelle/signature';
import { makeSubmission, testPki } from '../../../test/dmp-simulator/submissions';
import { DmpRequestError } from './errors';
import { buildIti41Request, ITI41_ACTION } from './iti41-request';
import { headerParameter, parseMultipart } from './mtom';

const DMP_DIR = process.env.DMP_SAMPLES_DIR ?? join(__dirname, '../../../../shared/spec/dmp');
const VIHF = '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x"/>';
const TO = 'https://dmp.example/si-dmp-server/v2/services/repository';

let submission: DmpSubmission;

beforeAll(async () => {
  const pki = await testPki();
  submission = await makeSubmission('vaccination', new KeyStore({ dir: pki.keyStoreDir, trustAnchors: pki.trustDir }));
}, 60_000);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});
type Node = Record<string, Node[]> & Record<`@_${string}`, string>;
const first = (node: Node | undefined, name: string): Node | undefined => node?.[name]?.[0];

/** The skeleton of an ITI-41 envelope that the comparison is about. */
function skeleton(envelopeXml: string) {
  const envelope = first(parser.parse(envelopeXml) as Node, 'Envelope');
  const header = first(envelope, 'Header');
  const request = first(first(envelope, 'Body'), 'ProvideAndRegisterDocumentSetRequest');
  const list = first(first(request, 'SubmitObjectsRequest'), 'RegistryObjectList');
  const names = (nodes: Node[] | undefined, attribute: string) => (nodes ?? []).map((n) => n[`@_${attribute}`]).sort();
  const entries = list?.ExtrinsicObject ?? [];
  return {
    header: Object.keys(header ?? {})
      .filter((k) => !k.startsWith('@_'))
      .sort(),
    actionMustUnderstand: first(header, 'Action')?.['@_mustUnderstand'],
    security: Object.keys(first(header, 'Security') ?? {}).filter((k) => !k.startsWith('@_')),
    registryPackages: (list?.RegistryPackage ?? []).length,
    setExternalIds: names(list?.RegistryPackage?.[0]?.ExternalIdentifier, 'identificationScheme'),
    setClassifications: (list?.RegistryPackage?.[0]?.Classification ?? [])
      .map((c) => c['@_classificationScheme'] ?? c['@_classificationNode'])
      .sort(),
    entries: entries.map((e) => ({
      slots: names(e.Slot, 'name'),
      schemes: [...new Set(names(e.Classification, 'classificationScheme'))],
      externalIds: names(e.ExternalIdentifier, 'identificationScheme'),
    })),
    associations: names(list?.Association, 'associationType'),
    documents: (request?.Document ?? []).map((d) => first(d, 'Include')?.['@_href']?.startsWith('cid:')),
  };
}

describe('the ITI-41 request, against the DMP’s TD2.1 sample', () => {
  it('has the sample’s structure: addressing, security, submission set, two entries, their slots, classifications, associations, XOP documents', () => {
    const sample = readFileSync(join(DMP_DIR, 'TD2.1_-_Alimentation_requete.xml'), 'latin1');
    const sampleEnvelope = /<soap:Envelope[\s\S]*<\/soap:Envelope>/.exec(sample)?.[0] ?? '';
    const request = buildIti41Request({ submission, vihfXml: VIHF, to: TO });
    const parts = parseMultipart(request.contentType, request.body);
    const ours = skeleton(parts.root.bytes.toString('utf8'));
    const theirs = skeleton(sampleEnvelope);

    expect(ours.header).toEqual(theirs.header);
    expect(ours.actionMustUnderstand).toBe('true');
    expect(ours.security).toEqual(['Assertion']);
    expect(ours.registryPackages).toBe(1);
    expect(ours.setExternalIds).toEqual(theirs.setExternalIds);
    expect(ours.setClassifications).toEqual(theirs.setClassifications);
    expect(ours.associations).toEqual(theirs.associations);
    expect(ours.documents).toEqual([true, true]);
    expect(ours.entries).toHaveLength(2);
    for (const [index, entry] of ours.entries.entries()) {
      const sampleEntry = theirs.entries[index];
      // Every slot, classification and identifier of the sample's entry is in ours (ours add hash and size).
      expect(entry.slots).toEqual(expect.arrayContaining(sampleEntry?.slots.filter((s) => s !== 'sourcePatientInfo' || index === 0) ?? []));
      expect(entry.schemes).toEqual(expect.arrayContaining(sampleEntry?.schemes ?? []));
      expect(entry.externalIds).toEqual(sampleEntry?.externalIds);
      expect(entry.slots).toEqual(expect.arrayContaining(['hash', 'size']));
    }
  });

  it('is MTOM: SOAP 1.2 root part, the document and the signature as binary parts with the exact bytes', () => {
    const request = buildIti41Request({ submission, vihfXml: VIHF, to: TO, messageId: 'urn:uuid:00000000-0000-4000-8000-000000000001' });
    expect(request.contentType).toMatch(/^multipart\/related; /);
    expect(headerParameter(request.contentType, 'type')).toBe('application/xop+xml');
    expect(headerParameter(request.contentType, 'start-info')).toBe('application/soap+xml');
    expect(headerParameter(request.contentType, 'action')).toBe(ITI41_ACTION);
    const parts = parseMultipart(request.contentType, request.body);
    expect(parts.root.headers['content-type']).toMatch(/^application\/xop\+xml; charset=UTF-8; type="application\/soap\+xml"/);
    const envelope = parts.root.bytes.toString('utf8');
    expect(envelope).toContain('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"');
    expect(envelope).toContain('<wsa:MessageID>urn:uuid:00000000-0000-4000-8000-000000000001</wsa:MessageID>');
    expect(envelope).toContain(`<wsa:To>${TO}</wsa:To>`);
    const hrefs = [...envelope.matchAll(/href="cid:([^"]+)"/g)].map((m) => m[1] as string);
    expect(hrefs).toHaveLength(2);
    expect(parts.byContentId.get(hrefs[0] as string)?.bytes.equals(submission.documentXml)).toBe(true);
    expect(parts.byContentId.get(hrefs[1] as string)?.bytes.equals(submission.signatureXml)).toBe(true);
    // Content-IDs are headers: nothing personal in them.
    expect(hrefs.join(' ')).not.toContain('279035121518989');
  });

  it('refuses to send bytes that the metadata’s hash and size do not describe', () => {
    const altered = { ...submission, documentXml: Buffer.from(submission.documentXml.toString().replace('</title>', ' </title>')) };
    expect(() => buildIti41Request({ submission: altered, vihfXml: VIHF, to: TO })).toThrow(DmpRequestError);
  });
});
