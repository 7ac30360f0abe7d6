import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { sampleMetadata } from '../../../test/fixtures/xds-metadata';
import { buildSubmissionSetMetadata } from './submission-set';

// The DMP's own sample submission (TD2.1), read where the shared material lives (never copied into the repo).
const DMP_DIR = process.env.DMP_SAMPLES_DIR ?? join(__dirname, '../../../../shared/spec/dmp');

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['ExtrinsicObject', 'Association', 'Slot', 'Value', 'Classification', 'ExternalIdentifier'].includes(name),
});

function registryObjects(xml: string): { set: Node; objects: Node[]; associations: Node[] } {
  const list = (parser.parse(xml) as Node).SubmitObjectsRequest as Node;
  const objects = list.RegistryObjectList as Node;
  return { set: objects.RegistryPackage as Node, objects: objects.ExtrinsicObject as Node[], associations: objects.Association as Node[] };
}

function sample(): ReturnType<typeof registryObjects> {
  const text = readFileSync(join(DMP_DIR, 'TD2.1_-_Alimentation_requete.xml'), 'utf8');
  const start = text.indexOf('<ns3:SubmitObjectsRequest>');
  const end = text.indexOf('</ns3:SubmitObjectsRequest>') + '</ns3:SubmitObjectsRequest>'.length;
  const ns = 'xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"';
  return registryObjects(text.slice(start, end).replace('<ns3:SubmitObjectsRequest>', `<ns3:SubmitObjectsRequest ${ns}>`));
}

/** The shape of a registry object: slot names, classification schemes (or nodes), identification schemes. */
function shape(node: Node): { slots: string[]; classifications: string[]; identifiers: string[] } {
  const sorted = (values: unknown[]) => [...new Set(values.map(String))].sort();
  return {
    slots: sorted(((node.Slot as Node[] | undefined) ?? []).map((s) => s['@_name'])),
    classifications: sorted((node.Classification as Node[]).map((c) => c['@_classificationScheme'] ?? c['@_classificationNode'])),
    identifiers: sorted((node.ExternalIdentifier as Node[]).map((e) => e['@_identificationScheme'])),
  };
}

function codes(node: Node): string[] {
  return (node.Classification as Node[])
    .filter((c) => c['@_nodeRepresentation'])
    .map((c) => {
      const scheme = ((c.Slot as Node[])[0]?.ValueList as Node).Value as string[];
      return `${String(c['@_classificationScheme'])}|${String(c['@_nodeRepresentation'])}|${scheme[0]}`;
    });
}

const documentXml = '<ClinicalDocument xmlns="urn:hl7-org:v3"/>';
const metadata: XdsDocumentMetadata = sampleMetadata(documentXml, {
  uniqueId: '2.25.1',
  setId: '2.25.2',
  authorInstitution: 'Pharmacie^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750100208',
  authorSpecialty: 'G15_21^Pharmacien^1.2.250.1.213.1.1.4.5',
});

const ours = registryObjects(
  buildSubmissionSetMetadata({
    metadata,
    submissionSet: {
      uniqueId: '2.25.3',
      sourceId: '1.2.250.1.999.42.1',
      submissionTime: '20251121093005',
      title: 'Note de vaccination',
      contentTypeCode: { code: '07', codeSystem: '1.2.250.1.213.2.2', displayName: 'Consultation externe' },
    },
    signature: { content: '<Signature/>' },
  }),
);

describe('the submission follows the DMP sample (TD2.1)', () => {
  const theirs = sample();

  it('submission set: the same slots, classifications and identifiers', () => {
    expect(shape(ours.set)).toEqual(shape(theirs.set));
  });

  it('document entry: every slot, classification and identifier of the sample, plus hash and size', () => {
    const [mine, sampleDoc] = [shape(ours.objects[0]!), shape(theirs.objects[0]!)];
    expect(mine.slots).toEqual(expect.arrayContaining(sampleDoc.slots));
    expect(mine.slots.filter((s) => !sampleDoc.slots.includes(s))).toEqual(['hash', 'size']);
    expect(mine.classifications).toEqual(expect.arrayContaining(sampleDoc.classifications));
    expect(mine.identifiers).toEqual(sampleDoc.identifiers);
  });

  it('signature entry: the same slots, schemes and DSG codes (classCode, typeCode, formatCode, eventCode)', () => {
    const [mine, sampleSig] = [ours.objects[1]!, theirs.objects[1]!];
    expect(shape(mine).classifications).toEqual(shape(sampleSig).classifications);
    expect(shape(mine).identifiers).toEqual(shape(sampleSig).identifiers);
    expect(shape(mine).slots).toEqual([...shape(sampleSig).slots, 'hash', 'size'].sort());
    const dsg = (node: Node) => codes(node).filter((c) => !/f4f85eac|f33fb8ac|cccf5598/.test(c)); // facility, practice, confidentiality vary
    expect(dsg(mine).sort()).toEqual(dsg(sampleSig).sort());
  });

  it('associations: HasMember for each entry and signs from the signature to the submission set', () => {
    const triples = (associations: Node[], set: Node, objects: Node[]) => {
      const role = (id: unknown) => (id === set['@_id'] ? 'set' : id === objects[0]!['@_id'] ? 'document' : 'signature');
      return associations.map((a) => [a['@_associationType'], role(a['@_sourceObject']), role(a['@_targetObject'])]);
    };
    expect(triples(ours.associations, ours.set, ours.objects)).toEqual(triples(theirs.associations, theirs.set, theirs.objects));
  });
});
