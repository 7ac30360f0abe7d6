import { crc32, deflateRawSync } from 'node:zlib';
import { Zip, type ZipInputFile } from 'fflate';
import JSZip from 'jszip';
import { XMLParser } from 'fast-xml-parser';
import type { XdsDocumentMetadata } from '@passerelle/cda';
import { XdmError } from './errors';
import { DocumentSubmissionSet, xdsHashAndSize, type SubmissionSetInfo } from './submission-set';
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

/** An archive's input less its recipients: what every archive of a document shares. */
export type XdmDocumentInput = Omit<XdmArchiveInput, 'submissionSet'> & {
  /**
   * The submission set less its recipients, or the document's submission set already written (e.g. for its DMP
   * submission, which carries the same set): then it must have been given this input's signature.
   */
  submissionSet: Omit<SubmissionSetInfo, 'intendedRecipients'> | DocumentSubmissionSet;
  /**
   * The caller has already checked metadata.hash and metadata.size against documentXml (the router does, once per
   * document for all its messages): the document is not hashed a second time here.
   */
  documentChecked?: boolean;
};

function toBuffer(content: string | Buffer): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/**
 * The archive's fixed file date: the document's creation time (UTC), so that equal inputs give equal bytes.
 *
 * ZIP (DOS) times carry no zone and fflate writes a Date's local fields, so the Date returned has the UTC time's
 * fields as its local ones: the same bytes in every time zone. (A time that does not exist in the process's zone,
 * inside a daylight-saving gap, is moved by the gap: run the router in UTC, as containers do by default, for
 * archives identical across deployments.)
 */
function fileDate(creationTime: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(creationTime);
  if (!m) throw new XdmError('XDM_INVALID_INPUT', 'metadata.creationTime must be a UTC time YYYYMMDDHHMMSS');
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  // ZIP (DOS) dates start in 1980.
  return y < 1980 ? new Date(1980, 0, 1) : new Date(y, mo - 1, d, h, mi, s);
}

/** A file deflated once (native zlib), ready to be written into any number of archives. */
interface DeflatedFile {
  name: string;
  size: number;
  crc: number;
  deflated: Uint8Array<ArrayBuffer>;
}

/**
 * Deflates a file with native zlib at level 1: a 24 KB CDA in ~0.08 ms, against ~0.24 ms at level 6 (zlib's
 * default, JSZip's), for an archive ~15 % larger (5.9 KB against 5.0 KB for that CDA) — nothing next to an MSSanté
 * message's limit, and the router's largest CPU cost otherwise. The window and hash sizes follow the file's size:
 * zlib's state is ~256 KiB at its defaults, allocated and freed per call, which for the small files of an archive
 * cost more than compressing them. A smaller window loses nothing on a file shorter than it, and any inflater reads
 * a raw deflate stream made with any window.
 */
function deflated(name: string, content: Buffer): DeflatedFile {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(content.length + 262))));
  const memLevel = Math.min(8, Math.max(1, windowBits - 7));
  const bytes = deflateRawSync(content, { level: 1, windowBits, memLevel });
  // zlib's output is never a SharedArrayBuffer: a plain view over it, as fflate's types ask.
  const deflatedBytes = new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
  return { name, size: content.length, crc: crc32(content), deflated: deflatedBytes };
}

/**
 * Writes the ZIP container around files already deflated (fflate's streaming Zip, synchronous here: every entry
 * is given whole). Files only, no directory entries: the paths imply them, and a stored entry with a data
 * descriptor (how a streaming writer writes them) is refused by java.util.zip's ZipInputStream.
 */
function zipOf(files: readonly DeflatedFile[], mtime: Date): Buffer {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else chunks.push(chunk);
  });
  for (const file of files) {
    // os 0 (MS-DOS) and no attributes, as the archives made with JSZip's platform 'DOS' had.
    const entry: ZipInputFile = { filename: file.name, size: file.size, crc: file.crc, compression: 8, mtime, os: 0, attrs: 0 };
    zip.add(entry);
    entry.ondata?.(null, file.deflated, true);
  }
  zip.end();
  if (failure) throw new XdmError('XDM_INVALID_INPUT', 'the archive cannot be written', { cause: failure });
  return Buffer.concat(chunks);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/** The organisation name: the first component of the XON `authorInstitution`. */
function institutionName(metadata: XdsDocumentMetadata): string {
  return metadata.authorInstitution.split('^')[0] ?? '';
}

function indexHtm(input: Pick<XdmArchiveInput, 'producer' | 'metadata' | 'signatureXml'>): string {
  const { producer, metadata } = input;
  const items = [
    `<li><a href="${XDM_PATHS.document}">${escapeHtml(metadata.title)}</a> (document CDA R2)</li>`,
    ...(input.signatureXml !== undefined ? [`<li><a href="${XDM_PATHS.signature}">Signature du lot (IHE DSG, XAdES)</a></li>`] : []),
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

function readmeTxt(input: Pick<XdmArchiveInput, 'producer' | 'metadata' | 'signatureXml'>): string {
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
    ...(input.signatureXml !== undefined ? [`  ${XDM_PATHS.signature}  the signature of the submission set (IHE DSG, XAdES-BES)`] : []),
    '',
  ];
  // Names and free text are not escaped here: a plain-text file has no metacharacters, only CR/LF to strip.
  return lines.map((line) => line.replace(/[\r\n]+/g, ' ')).join('\r\n');
}

/**
 * The IHE XDM archives of one document: INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML (the ebRIM
 * submission set, entries pointing to the 8.3 file names), DOC0001.XML (the CDA) and, if given, DOC0002.XML (the
 * DSG signature). Everything but METADATA.XML (which names each archive's recipients) is checked, written and
 * deflated once, here, however many messages carry the document. Deterministic: every file is dated with the
 * document's creation time.
 *
 * @throws XdmError XDM_HASH_MISMATCH / XDM_SIZE_MISMATCH when the document is not the one the metadata describes
 */
export class XdmDocument {
  private readonly submissionSet: DocumentSubmissionSet;
  private readonly files: DeflatedFile[];
  private readonly signed: boolean;
  private readonly date: Date;

  constructor(input: XdmDocumentInput) {
    const document = toBuffer(input.documentXml);
    if (!input.documentChecked) {
      const actual = xdsHashAndSize(document);
      // A recipient checks hash and size against DOC0001.XML: an archive that disagrees with itself is refused there.
      if (actual.hash !== input.metadata.hash) {
        throw new XdmError('XDM_HASH_MISMATCH', 'metadata.hash is not the SHA-1 of documentXml');
      }
      if (actual.size !== input.metadata.size) {
        throw new XdmError('XDM_SIZE_MISMATCH', 'metadata.size is not the byte length of documentXml');
      }
    }
    const signature = input.signatureXml === undefined ? undefined : toBuffer(input.signatureXml);
    this.signed = signature !== undefined;
    this.date = fileDate(input.metadata.creationTime);
    this.submissionSet =
      input.submissionSet instanceof DocumentSubmissionSet
        ? input.submissionSet
        : new DocumentSubmissionSet({
            metadata: input.metadata,
            submissionSet: input.submissionSet,
            signature: signature ? { content: signature, uniqueId: input.signatureUniqueId } : undefined,
          });
    if ((this.submissionSet.signature !== undefined) !== this.signed) {
      throw new XdmError('XDM_INVALID_INPUT', 'the submission set and the archive must agree on the signature');
    }
    this.files = [
      deflated(XDM_PATHS.index, Buffer.from(indexHtm(input), 'utf8')),
      deflated(XDM_PATHS.readme, Buffer.from(readmeTxt(input), 'utf8')),
      deflated(XDM_PATHS.document, document),
      ...(signature ? [deflated(XDM_PATHS.signature, signature)] : []),
    ];
  }

  /** The archive for these recipients (the submission set's intendedRecipient; none: the slot is left out). */
  archive(intendedRecipients?: readonly string[]): Buffer {
    const metadataXml = this.submissionSet.xml({
      intendedRecipients,
      uris: {
        document: XDM_PATHS.document.slice(XDM_PATHS.subset.length),
        signature: this.signed ? XDM_PATHS.signature.slice(XDM_PATHS.subset.length) : undefined,
      },
    });
    const [index, readme, ...documents] = this.files as [DeflatedFile, DeflatedFile, ...DeflatedFile[]];
    return zipOf([index, readme, deflated(XDM_PATHS.metadata, Buffer.from(metadataXml, 'utf8')), ...documents], this.date);
  }
}

/**
 * Builds one IHE XDM ZIP (see {@link XdmDocument}, which builds every archive of a document from files deflated
 * once).
 *
 * @throws XdmError XDM_HASH_MISMATCH / XDM_SIZE_MISMATCH when the document is not the one the metadata describes
 */
export async function buildXdmArchive(input: XdmArchiveInput): Promise<Buffer> {
  const { intendedRecipients, ...submissionSet } = input.submissionSet;
  return Promise.resolve(new XdmDocument({ ...input, submissionSet }).archive(intendedRecipients));
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
