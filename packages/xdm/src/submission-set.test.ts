import { XMLParser } from 'fast-xml-parser';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { sampleMetadata } from '../../../test/fixtures/xds-metadata';
import {
  buildSubmissionSetMetadata,
  deriveSignatureUniqueId,
  DocumentSubmissionSet,
  DSG,
  xdsHashAndSize,
  type SubmissionSetInfo,
} from './submission-set';
import { XdmError } from './errors';
import { XDS } from './xds-uuids';

const documentXml =
  '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Note de vaccination</title></ClinicalDocument>\n';

function metadata(overrides: Partial<XdsDocumentMetadata> = {}): XdsDocumentMetadata {
  return sampleMetadata(documentXml, {
    formatCode: { code: 'urn:asip:ci-sis:vac-note:2021', codeSystem: '1.2.250.1.213.1.1.4.2.282', displayName: 'Note de vaccination' },
    confidentialityCodes: [
      { code: 'N', codeSystem: '2.16.840.1.113883.5.25', displayName: 'Normal' },
      { code: 'MASQUE_PS', codeSystem: '1.2.250.1.213.1.1.4.13', displayName: 'Masqué aux professionnels de santé' },
    ],
    eventCodes: [{ code: 'J07BX03', codeSystem: '2.16.840.1.113883.6.73', displayName: 'Vaccin covid-19' }],
    ...overrides,
  });
}

const submissionSet: SubmissionSetInfo = {
  uniqueId: '2.25.226180104452231917633960217040542458183',
  sourceId: '1.2.250.1.999.42.1',
  submissionTime: '20251121093005',
  title: 'Note de vaccination',
  contentTypeCode: { code: '07', codeSystem: '1.2.250.1.213.2.2', displayName: 'Consultation externe' },
};

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['ExtrinsicObject', 'Association', 'Slot', 'Value', 'Classification', 'ExternalIdentifier'].includes(name),
});

function parse(xml: string): { set: Node; objects: Node[]; associations: Node[] } {
  const root = parser.parse(xml) as Node;
  const list = (root.SubmitObjectsRequest as Node).RegistryObjectList as Node;
  return {
    set: list.RegistryPackage as Node,
    objects: list.ExtrinsicObject as Node[],
    associations: list.Association as Node[],
  };
}

const slot = (node: Node, name: string): string[] =>
  (((node.Slot as Node[]).find((s) => s['@_name'] === name)?.ValueList as Node | undefined)?.Value as string[] | undefined) ?? [];
const classifications = (node: Node, scheme: string): Node[] =>
  (node.Classification as Node[]).filter((c) => c['@_classificationScheme'] === scheme);
const externalId = (node: Node, scheme: string): unknown =>
  (node.ExternalIdentifier as Node[]).find((e) => e['@_identificationScheme'] === scheme)?.['@_value'];

describe('buildSubmissionSetMetadata', () => {
  it('writes the submission set, the document entry and their association with the XDS UUIDs', () => {
    const xml = buildSubmissionSetMetadata({ metadata: metadata(), submissionSet });
    expect(xml).toContain(
      '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">',
    );
    const { set, objects, associations } = parse(xml);

    expect(slot(set, 'submissionTime')).toEqual(['20251121093005']);
    expect(externalId(set, XDS.submissionSet.uniqueId)).toBe(submissionSet.uniqueId);
    expect(externalId(set, XDS.submissionSet.sourceId)).toBe(submissionSet.sourceId);
    expect(externalId(set, XDS.submissionSet.patientId)).toBe(metadata().patientId);
    const setClassifications = set.Classification as Node[];
    expect(setClassifications.find((c) => c['@_classificationNode'] === XDS.submissionSet.classificationNode)).toBeDefined();
    const [author] = classifications(set, XDS.submissionSet.author);
    expect(slot(author!, 'authorPerson')).toEqual([metadata().authorPerson]);
    expect(slot(author!, 'authorInstitution')).toEqual([metadata().authorInstitution]);
    expect(slot(author!, 'authorSpecialty')).toEqual([metadata().authorSpecialty]);
    expect(classifications(set, XDS.submissionSet.contentTypeCode)[0]?.['@_nodeRepresentation']).toBe('07');

    expect(objects).toHaveLength(1);
    const doc = objects[0]!;
    const m = metadata();
    expect(doc['@_objectType']).toBe(XDS.documentEntry.objectType);
    expect(doc['@_mimeType']).toBe('text/xml');
    expect(slot(doc, 'creationTime')).toEqual([m.creationTime]);
    expect(slot(doc, 'hash')).toEqual([m.hash]);
    expect(slot(doc, 'size')).toEqual([String(m.size)]);
    expect(slot(doc, 'languageCode')).toEqual(['fr-FR']);
    expect(slot(doc, 'serviceStartTime')).toEqual([m.serviceStartTime]);
    expect(slot(doc, 'serviceStopTime')).toEqual([m.serviceStopTime]);
    expect(slot(doc, 'sourcePatientId')).toEqual([m.patientId]);
    expect(slot(doc, 'sourcePatientInfo')).toEqual(m.sourcePatientInfo);
    expect(slot(doc, 'legalAuthenticator')).toEqual([m.legalAuthenticator]);
    expect(slot(doc, 'URI')).toEqual([]);
    const E = XDS.documentEntry;
    expect(classifications(doc, E.classCode)[0]?.['@_nodeRepresentation']).toBe('10');
    expect(classifications(doc, E.typeCode)[0]?.['@_nodeRepresentation']).toBe('87273-9');
    expect(classifications(doc, E.formatCode)[0]?.['@_nodeRepresentation']).toBe('urn:asip:ci-sis:vac-note:2021');
    expect(classifications(doc, E.confidentialityCode).map((c) => c['@_nodeRepresentation'])).toEqual(['N', 'MASQUE_PS']);
    expect(classifications(doc, E.healthcareFacilityTypeCode)[0]?.['@_nodeRepresentation']).toBe('SA33');
    expect(classifications(doc, E.practiceSettingCode)[0]?.['@_nodeRepresentation']).toBe('AMBULATOIRE');
    expect(classifications(doc, E.eventCodeList).map((c) => c['@_nodeRepresentation'])).toEqual(['J07BX03']);
    expect(slot(classifications(doc, E.typeCode)[0]!, 'codingScheme')).toEqual(['2.16.840.1.113883.6.1']);
    expect(classifications(doc, E.author)).toHaveLength(1);
    expect(externalId(doc, E.uniqueId)).toBe(m.uniqueId);
    expect(externalId(doc, E.patientId)).toBe(m.patientId);

    expect(associations).toEqual([
      expect.objectContaining({
        '@_associationType': XDS.associationType.hasMember,
        '@_sourceObject': 'SubmissionSet01',
        '@_targetObject': 'Document01',
      }),
    ]);
    expect(slot(associations[0]!, 'SubmissionSetStatus')).toEqual(['Original']);
  });

  it('adds the DSG signature entry and the signs association (source the signature, target the set)', () => {
    const signatureXml = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="s1"/>';
    const xml = buildSubmissionSetMetadata({ metadata: metadata(), submissionSet, signature: { content: signatureXml } });
    const { objects, associations } = parse(xml);
    expect(objects).toHaveLength(2);
    const sig = objects[1]!;
    const E = XDS.documentEntry;
    expect(sig['@_id']).toBe('Signature01');
    expect(classifications(sig, E.classCode)[0]?.['@_nodeRepresentation']).toBe('urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1');
    expect(classifications(sig, E.typeCode)[0]?.['@_nodeRepresentation']).toBe('E1762');
    expect(slot(classifications(sig, E.typeCode)[0]!, 'codingScheme')).toEqual(['ASTM']);
    expect(classifications(sig, E.formatCode)[0]?.['@_nodeRepresentation']).toBe('http://www.w3.org/2000/09/xmldsig#');
    expect(classifications(sig, E.eventCodeList)[0]?.['@_nodeRepresentation']).toBe(DSG.eventCode.code);
    expect(slot(sig, 'hash')).toEqual([xdsHashAndSize(signatureXml).hash]);
    expect(slot(sig, 'size')).toEqual([String(Buffer.byteLength(signatureXml))]);
    expect(slot(sig, 'creationTime')).toEqual([submissionSet.submissionTime]);
    expect(externalId(sig, E.uniqueId)).toBe(deriveSignatureUniqueId(submissionSet.uniqueId));
    expect(externalId(sig, E.patientId)).toBe(metadata().patientId);
    expect(associations.map((a) => [a['@_associationType'], a['@_sourceObject'], a['@_targetObject']])).toEqual([
      [XDS.associationType.hasMember, 'SubmissionSet01', 'Document01'],
      [XDS.associationType.hasMember, 'SubmissionSet01', 'Signature01'],
      [XDS.associationType.signs, 'Signature01', 'SubmissionSet01'],
    ]);
    // ids are unique across the request
    const ids = [...xml.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes XML metacharacters in every value', () => {
    const nasty = `</family>&"'<x>`;
    const m = metadata({
      title: nasty,
      authorInstitution: `${nasty}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750100208`,
      sourcePatientInfo: [`PID-5|${nasty}^DOMINIQUE^^^^^L`],
    });
    const xml = buildSubmissionSetMetadata({ metadata: m, submissionSet: { ...submissionSet, title: nasty, comments: nasty } });
    expect(xml).not.toContain('</family>&');
    expect(xml).toContain('&lt;/family&gt;&amp;&quot;&apos;&lt;x&gt;');
    const { set, objects } = parse(xml);
    expect(slot(objects[0]!, 'sourcePatientInfo')).toEqual([`PID-5|${nasty}^DOMINIQUE^^^^^L`]);
    expect(((set.Name as Node).LocalizedString as Node)['@_value']).toBe(nasty);
    expect(((objects[0]!.Name as Node).LocalizedString as Node)['@_value']).toBe(nasty);
    expect(slot(classifications(set, XDS.submissionSet.author)[0]!, 'authorInstitution')).toEqual([m.authorInstitution]);
  });

  it('refuses characters XML cannot carry and malformed identifiers, naming the field only', () => {
    expect(() => buildSubmissionSetMetadata({ metadata: metadata({ title: 'a\u0001b' }), submissionSet })).toThrow(
      expect.objectContaining({ code: 'XDM_INVALID_XML_CHARACTER' }),
    );
    const bad = () => buildSubmissionSetMetadata({ metadata: metadata(), submissionSet: { ...submissionSet, uniqueId: '1.2.x' } });
    expect(bad).toThrow(XdmError);
    expect(bad).toThrow('submissionSet.uniqueId must be an OID');
    expect(() =>
      buildSubmissionSetMetadata({ metadata: metadata(), submissionSet: { ...submissionSet, submissionTime: '2025-11-21' } }),
    ).toThrow(expect.objectContaining({ code: 'XDM_INVALID_INPUT' }));
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD83Db'],
    ['a lone low surrogate at the end', 'ab\uDE00'],
    ['U+FFFE', 'a\uFFFEb'],
    ['U+FFFF', 'a\uFFFF'],
  ])('refuses %s wherever it sits, in text or in an attribute', (_, value) => {
    for (const m of [metadata({ title: value }), metadata({ sourcePatientInfo: [`PID-5|${value}`] })]) {
      expect(() => buildSubmissionSetMetadata({ metadata: m, submissionSet })).toThrow(
        expect.objectContaining({ code: 'XDM_INVALID_XML_CHARACTER' }),
      );
    }
  });

  it('keeps astral characters, tabs and line ends, escaping in attributes what normalisation would change', () => {
    const value = 'Zoë 😀 漢\tA\r\nB &amp; ]]>';
    const xml = buildSubmissionSetMetadata({ metadata: metadata({ title: value, sourcePatientInfo: [`PID-5|${value}`] }), submissionSet });
    expect(xml).toContain('value="Zoë 😀 漢&#9;A&#13;&#10;B &amp;amp; ]]&gt;"');
    expect(xml).toContain('<Value>PID-5|Zoë 😀 漢\tA\r\nB &amp;amp; ]]&gt;</Value>');
  });

  it("writes a document's set once: each message adds its recipients and file names to the same parts", () => {
    const m = metadata();
    const signature = { content: '<Signature/>' };
    const set = new DocumentSubmissionSet({ metadata: m, submissionSet, signature });
    const uris: { document: string; signature?: string } = { document: 'DOC0001.XML', signature: 'DOC0002.XML' };
    const variants: [string[] | undefined, typeof uris | undefined][] = [
      [undefined, undefined],
      [['a@x.mssante.fr'], uris],
      [['b@x.mssante.fr', 'c@x.mssante.fr'], uris],
      [[], { document: 'DOC0001.XML' }],
    ];
    for (const [intendedRecipients, u] of variants) {
      expect(set.xml({ intendedRecipients, uris: u })).toBe(
        buildSubmissionSetMetadata({ metadata: m, submissionSet: { ...submissionSet, intendedRecipients }, signature, uris: u }),
      );
    }
    const [dmp, patient, professionals] = variants.map(([intendedRecipients, u]) => parse(set.xml({ intendedRecipients, uris: u })));
    expect(slot(patient!.set, 'intendedRecipient')).toEqual(['||^^Internet^a@x.mssante.fr']);
    expect(slot(professionals!.set, 'intendedRecipient')).toEqual(['||^^Internet^b@x.mssante.fr', '||^^Internet^c@x.mssante.fr']);
    expect(slot(dmp!.set, 'intendedRecipient')).toEqual([]);
    expect(dmp!.objects.map((o) => slot(o, 'URI'))).toEqual([[], []]);
    expect(patient!.objects.map((o) => slot(o, 'URI'))).toEqual([['DOC0001.XML'], ['DOC0002.XML']]);
    expect(set.signature).toEqual(xdsHashAndSize('<Signature/>'));
  });

  it('writes intended recipients as XTN addresses', () => {
    const xml = buildSubmissionSetMetadata({
      metadata: metadata(),
      submissionSet: { ...submissionSet, intendedRecipients: ['jean.dupont@medecin.mssante.fr'] },
    });
    expect(slot(parse(xml).set, 'intendedRecipient')).toEqual(['||^^Internet^jean.dupont@medecin.mssante.fr']);
  });
});

describe('deriveSignatureUniqueId', () => {
  it('is a stable 2.25 OID from a version-5 UUID, distinct per submission set', () => {
    const a = deriveSignatureUniqueId('2.25.1');
    expect(a).toBe(deriveSignatureUniqueId('2.25.1'));
    expect(a).not.toBe(deriveSignatureUniqueId('2.25.2'));
    expect(a).toMatch(/^2\.25\.[1-9][0-9]*$/);
    const hex = BigInt(a.slice(5)).toString(16).padStart(32, '0');
    expect(hex[12]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(hex[16]);
  });
});
