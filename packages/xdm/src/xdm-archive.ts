import JSZip from 'jszip';
import { XMLParser } from 'fast-xml-parser';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { XdmError } from './errors';
import { buildSubmissionSetMetadata, xdsHashAndSize, type SubmissionSetInfo } from './submission-set';
import { XDS } from './xds-uuids';

/** Where things sit in the archive (IHE ITI TF-1 §16, XDM: 8.3 upper-case names). */
export const XDM_PATHS = {
  index: 'INDEX.HTM',
  readme: 'README.TXT',
  subset: 'IHE_XDM/SUBSET01/',
  metadata: 'IHE_XDM/SUBSET01/METADATA.XML',
  document: 'IHE_XDM/SUBSET01/DOC0001.XML',
  signature: 'IHE_XDM/SUBSET01/DOC0002.XML',
} as const;

/** The software that made the archive, named in README.TXT and INDEX.HTM as XDM asks. */
export interface XdmProducer {
  vendor: string;
  product: string;
  version: string;
  /** Where a recipient can ask about the archive (the vendor's support), optional */
  contact?: string;
}

export interface XdmArchiveInput {
  /** The CDA document, exactly the bytes that metadata.hash and metadata.size describe */
  documentXml: string | Buffer;
  /** The IHE DSG signature document, if the archive carries it */
  signatureXml?: string | Buffer;
  signatureUniqueId?: string;
  metadata: XdsDocumentMetadata;
  submissionSet: SubmissionSetInfo;
  producer: XdmProducer;
}

function toBuffer(content: string | Buffer): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/** The archive's fixed file date: the document's creation time (UTC), so that equal inputs give equal bytes. */
function fileDate(creationTime: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(creationTime);
  if (!m) throw new XdmError('XDM_INVALID_INPUT', 'metadata.creationTime must be a UTC time YYYYMMDDHHMMSS');
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // ZIP (DOS) dates start in 1980.
  return date.getUTCFullYear() < 1980 ? new Date(Date.UTC(1980, 0, 1)) : date;
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The organisation name: the first component of the XON `authorInstitution`. */
function institutionName(metadata: XdsDocumentMetadata): string {
  return metadata.authorInstitution.split('^')[0] ?? '';
}

function indexHtm(input: XdmArchiveInput): string {
  const { producer, metadata } = input;
  const items = [
    `<li><a href="${XDM_PATHS.document}">${escapeHtml(metadata.title)}</a> (document CDA R2)</li>`,
    ...(input.signatureXml !== undefined
      ? [`<li><a href="${XDM_PATHS.signature}">Signature du lot (IHE DSG, XAdES)</a></li>`]
      : []),
    `<li><a href="${XDM_PATHS.metadata}">Métadonnées du lot (IHE XDM, ebRIM)</a></li>`,
    `<li><a href="${XDM_PATHS.readme}">${XDM_PATHS.readme}</a></li>`,
  ];
  // No patient data here: the index is readable without opening the documents.
  return [
    '<!DOCTYPE html>',
    '<html lang="fr">',
    '<head><meta charset="utf-8"><title>Archive IHE XDM</title></head>',
    '<body>',
    '<h1>Archive IHE XDM</h1>',
    `<p>Émise par ${escapeHtml(institutionName(metadata))} avec ${escapeHtml(producer.product)} ${escapeHtml(producer.version)} (${escapeHtml(producer.vendor)}).</p>`,
    '<ul>',
    ...items,
    '</ul>',
    '</body>',
    '</html>',
    '',
  ].join('\r\n');
}

function readmeTxt(input: XdmArchiveInput): string {
  const { producer, metadata } = input;
  const lines = [
    'IHE XDM (Cross-Enterprise Document Media Interchange) archive',
    '',
    `Vendor: ${producer.vendor}`,
    `Product: ${producer.product} ${producer.version}`,
    ...(producer.contact ? [`Contact: ${producer.contact}`] : []),
    `Sending organisation: ${institutionName(metadata)}`,
    '',
    'Contents:',
    `  ${XDM_PATHS.index}  table of contents (HTML)`,
    `  ${XDM_PATHS.readme}  this file`,
    `  ${XDM_PATHS.metadata}  XDS metadata of the submission set (ebRIM 3.0 SubmitObjectsRequest)`,
    `  ${XDM_PATHS.document}  the clinical document (HL7 CDA R2, CI-SIS), ${metadata.mimeType}`,
    ...(input.signatureXml !== undefined
      ? [`  ${XDM_PATHS.signature}  the signature of the submission set (IHE DSG, XAdES-BES)`]
      : []),
    '',
  ];
  // Names and free text are not escaped here: a plain-text file has no metacharacters, only CR/LF to strip.
  return lines.map((line) => line.replace(/[\r\n]+/g, ' ')).join('\r\n');
}

/**
 * Builds the IHE XDM ZIP that an MSSanté message carries: INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML
 * (the ebRIM submission set, entries pointing to the 8.3 file names), DOC0001.XML (the CDA) and, if given,
 * DOC0002.XML (the DSG signature). Deterministic: every file is dated with the document's creation time.
 *
 * @throws XdmError XDM_HASH_MISMATCH / XDM_SIZE_MISMATCH when the document is not the one the metadata describes
 */
export async function buildXdmArchive(input: XdmArchiveInput): Promise<Buffer> {
  const document = toBuffer(input.documentXml);
  const actual = xdsHashAndSize(document);
  // A recipient checks hash and size against DOC0001.XML: an archive that disagrees with itself is refused there.
  if (actual.hash !== input.metadata.hash) {
    throw new XdmError('XDM_HASH_MISMATCH', 'metadata.hash is not the SHA-1 of documentXml');
  }
  if (actual.size !== input.metadata.size) {
    throw new XdmError('XDM_SIZE_MISMATCH', 'metadata.size is not the byte length of documentXml');
  }
  const signature = input.signatureXml === undefined ? undefined : toBuffer(input.signatureXml);
  const metadataXml = buildSubmissionSetMetadata({
    metadata: input.metadata,
    submissionSet: input.submissionSet,
    signature: signature ? { content: signature, uniqueId: input.signatureUniqueId } : undefined,
    uris: {
      document: XDM_PATHS.document.slice(XDM_PATHS.subset.length),
      signature: signature ? XDM_PATHS.signature.slice(XDM_PATHS.subset.length) : undefined,
    },
  });

  const date = fileDate(input.metadata.creationTime);
  const zip = new JSZip();
  const options = { date, createFolders: false, binary: true } as const;
  zip.file(XDM_PATHS.index, Buffer.from(indexHtm(input), 'utf8'), options);
  zip.file(XDM_PATHS.readme, Buffer.from(readmeTxt(input), 'utf8'), options);
  // Explicit folder entries with the fixed date (implicit ones would carry the current time).
  zip.file('IHE_XDM/', null, { date, dir: true, createFolders: false });
  zip.file(XDM_PATHS.subset, null, { date, dir: true, createFolders: false });
  zip.file(XDM_PATHS.metadata, Buffer.from(metadataXml, 'utf8'), options);
  zip.file(XDM_PATHS.document, document, options);
  if (signature) zip.file(XDM_PATHS.signature, signature, options);
  return zip.generateAsync({
    type: 'nodebuffer',
    compression: 'DEFLATE',
    compressionOptions: { level: 6 },
    platform: 'DOS',
  });
}

/** One document entry of METADATA.XML, with what the archive holds for it. */
export interface XdmDocumentEntry {
  id: string;
  uniqueId: string | undefined;
  patientId: string | undefined;
  mimeType: string | undefined;
  uri: string | undefined;
  hash: string | undefined;
  size: number | undefined;
  classCode: string | undefined;
  typeCode: string | undefined;
  formatCode: string | undefined;
  /** The file the URI points to, if present */
  content: Buffer | undefined;
  /** hash and size agree with the file's bytes */
  intact: boolean;
}

export interface XdmArchiveContents {
  /** Every file of the archive (folders left out), by path */
  entries: Map<string, Buffer>;
  metadataXml: string;
  /** METADATA.XML parsed (fast-xml-parser, namespace prefixes removed, attributes as `@_name`) */
  metadata: Record<string, unknown>;
  submissionSet: {
    uniqueId: string | undefined;
    sourceId: string | undefined;
    patientId: string | undefined;
    submissionTime: string | undefined;
  };
  documents: XdmDocumentEntry[];
  associations: { type: string; source: string; target: string }[];
}

type Node = Record<string, unknown>;

const ALWAYS_ARRAYS = new Set([
  'RegistryPackage',
  'ExtrinsicObject',
  'Association',
  'Slot',
  'Value',
  'Classification',
  'ExternalIdentifier',
  'LocalizedString',
]);

function list(node: unknown, key: string): Node[] {
  const value = (node as Node | undefined)?.[key];
  return Array.isArray(value) ? (value as Node[]) : [];
}

function attr(node: Node, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

function slotValues(node: Node, name: string): string[] {
  const slot = list(node, 'Slot').find((s) => attr(s, 'name') === name);
  const values = list(slot?.ValueList, 'Value');
  return values.map((v) => (typeof v === 'string' ? v : String((v as unknown as Node)['#text'] ?? v)));
}

function externalId(node: Node, scheme: string): string | undefined {
  return attr(list(node, 'ExternalIdentifier').find((e) => attr(e, 'identificationScheme') === scheme) ?? {}, 'value');
}

function classification(node: Node, scheme: string): string | undefined {
  return attr(list(node, 'Classification').find((c) => attr(c, 'classificationScheme') === scheme) ?? {}, 'nodeRepresentation');
}

/**
 * Reads an XDM archive back: its files, METADATA.XML parsed, and a summary of the submission set and document
 * entries (each checked against the file its URI names). For tests and operators.
 *
 * @throws XdmError XDM_INVALID_ARCHIVE when the bytes are not a ZIP or hold no IHE_XDM/SUBSET01/METADATA.XML
 */
export async function readXdmArchive(buffer: Buffer): Promise<XdmArchiveContents> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(buffer);
  } catch (cause) {
    throw new XdmError('XDM_INVALID_ARCHIVE', 'the archive is not a readable ZIP', { cause });
  }
  const entries = new Map<string, Buffer>();
  for (const file of Object.values(zip.files)) {
    if (!file.dir) entries.set(file.name, await file.async('nodebuffer'));
  }
  const metadataBytes = entries.get(XDM_PATHS.metadata);
  if (!metadataBytes) throw new XdmError('XDM_INVALID_ARCHIVE', `the archive holds no ${XDM_PATHS.metadata}`);
  const metadataXml = metadataBytes.toString('utf8');
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    // Keep every value a string: a hash of digits only or a leading-zero code must not become a number.
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => ALWAYS_ARRAYS.has(name),
  });
  const metadata = parser.parse(metadataXml) as Node;
  const objectList = (metadata.SubmitObjectsRequest as Node | undefined)?.RegistryObjectList as Node | undefined;
  if (!objectList) throw new XdmError('XDM_INVALID_ARCHIVE', 'METADATA.XML holds no SubmitObjectsRequest/RegistryObjectList');

  const set = list(objectList, 'RegistryPackage')[0] ?? {};
  const documents = list(objectList, 'ExtrinsicObject').map((eo): XdmDocumentEntry => {
    const uri = slotValues(eo, 'URI')[0];
    const hash = slotValues(eo, 'hash')[0];
    const sizeText = slotValues(eo, 'size')[0];
    const size = sizeText === undefined ? undefined : Number(sizeText);
    const content = uri === undefined ? undefined : entries.get(`${XDM_PATHS.subset}${uri}`);
    const actual = content ? xdsHashAndSize(content) : undefined;
    return {
      id: attr(eo, 'id') ?? '',
      uniqueId: externalId(eo, XDS.documentEntry.uniqueId),
      patientId: externalId(eo, XDS.documentEntry.patientId),
      mimeType: attr(eo, 'mimeType'),
      uri,
      hash,
      size,
      classCode: classification(eo, XDS.documentEntry.classCode),
      typeCode: classification(eo, XDS.documentEntry.typeCode),
      formatCode: classification(eo, XDS.documentEntry.formatCode),
      content,
      intact: actual !== undefined && actual.hash === hash && actual.size === size,
    };
  });
  return {
    entries,
    metadataXml,
    metadata,
    submissionSet: {
      uniqueId: externalId(set, XDS.submissionSet.uniqueId),
      sourceId: externalId(set, XDS.submissionSet.sourceId),
      patientId: externalId(set, XDS.submissionSet.patientId),
      submissionTime: slotValues(set, 'submissionTime')[0],
    },
    documents,
    associations: list(objectList, 'Association').map((a) => ({
      type: attr(a, 'associationType') ?? '',
      source: attr(a, 'sourceObject') ?? '',
      target: attr(a, 'targetObject') ?? '',
    })),
  };
}
