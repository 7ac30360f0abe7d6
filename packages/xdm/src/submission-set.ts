import { createHash } from 'node:crypto';
import type { Coded, XdsDocumentMetadata } from '@passerelle/cda';
import { nameBasedOid, SUBMISSION_SET_NAMESPACE } from '@passerelle/identifiers';
import { XdmError } from './errors';
import { escapeAttribute, escapeText, XML_DECLARATION } from './xml-writer';
import { NS, XDS } from './xds-uuids';

/** Symbolic ids of the registry objects (the registry assigns the entryUUIDs), as in the DMP's sample. */
export const OBJECT_IDS = {
  submissionSet: 'SubmissionSet01',
  document: 'Document01',
  signature: 'Signature01',
} as const;

/** IHE DSG: the metadata of a signature document (ITI TF-3 §5.5 / REFERENCE §5). */
export const DSG = {
  classCode: { code: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1', codeSystem: 'URN', displayName: 'Digital Signature' },
  typeCode: { code: 'E1762', codeSystem: 'ASTM', displayName: 'Full Document' },
  formatCode: { code: 'http://www.w3.org/2000/09/xmldsig#', codeSystem: 'URN', displayName: 'Default Signature Style' },
  eventCode: { code: '1.2.840.10065.1.12.1.14', codeSystem: '1.2.840.10065.1.12', displayName: 'Source' },
  /** languageCode "art" (artificial language) and title "Source", as the DMP's sample has them */
  languageCode: 'art',
  title: 'Source',
  mimeType: 'text/xml',
} as const satisfies Record<string, Coded | string>;

/** What the submission set says about itself; the same for the DMP submission and every XDM archive. */
export interface SubmissionSetInfo {
  /** XDSSubmissionSet.uniqueId (an OID): fixed by the signer, covered by the signature's manifest */
  uniqueId: string;
  /** XDSSubmissionSet.sourceId: the OID of the sending system (the vendor's, per deployment) */
  sourceId: string;
  /** UTC `YYYYMMDDHHMMSS` */
  submissionTime: string;
  title: string;
  comments?: string;
  /** JDV_J59-ContentTypeCode-DMP (codes of TRE_R209-TypeActivite, 1.2.250.1.213.2.2) */
  contentTypeCode: Coded;
  /** XDM only: the addresses the archive is sent to (XTN `||^^Internet^<address>`) */
  intendedRecipients?: string[];
}

/** The IHE DSG signature document that signs the submission set. */
export interface SignatureEntryInput {
  /** The XAdES document, as it travels (string = UTF-8) */
  content: string | Buffer;
  /** XDSDocumentEntry.uniqueId of the signature; defaults to {@link deriveSignatureUniqueId} */
  uniqueId?: string;
}

export interface SubmissionSetMetadataInput {
  metadata: XdsDocumentMetadata;
  submissionSet: SubmissionSetInfo;
  signature?: SignatureEntryInput;
  /** XDM only: file names, relative to METADATA.XML, written in each entry's `URI` slot */
  uris?: { document: string; signature?: string };
}

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const DTM = /^\d{14}$/;

function requireOid(value: string, field: string): void {
  if (!OID.test(value) || value.length > 64) {
    throw new XdmError('XDM_INVALID_INPUT', `${field} must be an OID of at most 64 characters`);
  }
}

function requireDtm(value: string, field: string): void {
  if (!DTM.test(value)) throw new XdmError('XDM_INVALID_INPUT', `${field} must be a UTC time YYYYMMDDHHMMSS`);
}

/**
 * The uniqueId of the signature document, derived from the submission set's so that reprocessing the same
 * signed document yields the same submission: `2.25.<UUIDv5>` in the submission-set namespace.
 */
export function deriveSignatureUniqueId(submissionSetUniqueId: string): string {
  return nameBasedOid(SUBMISSION_SET_NAMESPACE, `dsg-signature:${submissionSetUniqueId}`);
}

/** SHA-1 (lowercase hex) and byte size of a document as XDS wants them. */
export function xdsHashAndSize(content: string | Buffer): { hash: string; size: number } {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { hash: createHash('sha1').update(bytes).digest('hex'), size: bytes.length };
}

/** Indentation by depth (two spaces a level), made once. */
const INDENT = Array.from({ length: 8 }, (_, depth) => '  '.repeat(depth));
const attr = escapeAttribute;

/** A slot at `depth`: `<Slot name><ValueList><Value>…` (lines joined with `\n`, no line end after the last). */
function slot(name: string, values: readonly string[], depth: number): string {
  const i = INDENT[depth] as string;
  if (values.length === 0) return `${i}<Slot name="${attr(name)}">\n${i}  <ValueList/>\n${i}</Slot>`;
  let out = `${i}<Slot name="${attr(name)}">\n${i}  <ValueList>`;
  for (const value of values) out += `\n${i}    <Value>${escapeText(value)}</Value>`;
  return `${out}\n${i}  </ValueList>\n${i}</Slot>`;
}

function localized(element: 'Name' | 'Description', value: string, depth: number): string {
  const i = INDENT[depth] as string;
  return `${i}<${element}>\n${i}  <LocalizedString charset="UTF8" value="${attr(value)}" xml:lang="FR"/>\n${i}</${element}>`;
}

/**
 * Writes the rim objects' elements as text, in document order, with sequential ids (`cla1`, `ei1`, `assoc1`) as the
 * DMP's sample numbers them. Every value is escaped in one pass (escapeAttribute/escapeText); the markup around it
 * is literal text: no element tree is built.
 */
class RimWriter {
  private classifications = 0;
  private identifiers = 0;
  private associations = 0;

  coded(scheme: string, objectId: string, code: Coded, depth: number): string {
    const i = INDENT[depth] as string;
    return (
      `${i}<Classification classificationScheme="${attr(scheme)}" classifiedObject="${attr(objectId)}" id="cla${++this.classifications}" nodeRepresentation="${attr(code.code)}">\n` +
      `${slot('codingScheme', [code.codeSystem], depth + 1)}\n${localized('Name', code.displayName, depth + 1)}\n${i}</Classification>`
    );
  }

  author(scheme: string, objectId: string, metadata: XdsDocumentMetadata, depth: number): string {
    const i = INDENT[depth] as string;
    return (
      `${i}<Classification classificationScheme="${attr(scheme)}" classifiedObject="${attr(objectId)}" id="cla${++this.classifications}" nodeRepresentation="">\n` +
      `${slot('authorPerson', [metadata.authorPerson], depth + 1)}\n` +
      `${slot('authorSpecialty', [metadata.authorSpecialty], depth + 1)}\n` +
      `${slot('authorInstitution', [metadata.authorInstitution], depth + 1)}\n${i}</Classification>`
    );
  }

  node(node: string, objectId: string, depth: number): string {
    return `${INDENT[depth] as string}<Classification classificationNode="${attr(node)}" classifiedObject="${attr(objectId)}" id="cla${++this.classifications}"/>`;
  }

  identifier(scheme: string, objectId: string, value: string, label: string, depth: number): string {
    const i = INDENT[depth] as string;
    return (
      `${i}<ExternalIdentifier id="ei${++this.identifiers}" identificationScheme="${attr(scheme)}" registryObject="${attr(objectId)}" value="${attr(value)}">\n` +
      `${localized('Name', label, depth + 1)}\n${i}</ExternalIdentifier>`
    );
  }

  association(type: string, source: string, target: string, depth: number): string {
    const i = INDENT[depth] as string;
    return (
      `${i}<Association associationType="${attr(type)}" id="assoc${++this.associations}" sourceObject="${attr(source)}" targetObject="${attr(target)}">\n` +
      `${slot('SubmissionSetStatus', ['Original'], depth + 1)}\n${i}</Association>`
    );
  }
}

/** An object written in two parts (lines joined), to put slots between them. */
interface SplitObject {
  head: string;
  tail: string;
}

/**
 * The RegistryPackage (at depth 2), split after its first child (the submissionTime slot), where the XDM archive's
 * `intendedRecipient` slot goes.
 */
function registryPackage(rim: RimWriter, metadata: XdsDocumentMetadata, set: DocumentSubmissionSetInput['submissionSet']): SplitObject {
  const id = OBJECT_IDS.submissionSet;
  const head = `    <RegistryPackage id="${id}">\n${slot('submissionTime', [set.submissionTime], 3)}`;
  const children = [localized('Name', set.title, 3)];
  if (set.comments) children.push(localized('Description', set.comments, 3));
  children.push(
    rim.author(XDS.submissionSet.author, id, metadata, 3),
    rim.coded(XDS.submissionSet.contentTypeCode, id, set.contentTypeCode, 3),
    rim.node(XDS.submissionSet.classificationNode, id, 3),
    rim.identifier(XDS.submissionSet.patientId, id, metadata.patientId, 'XDSSubmissionSet.patientId', 3),
    rim.identifier(XDS.submissionSet.sourceId, id, set.sourceId, 'XDSSubmissionSet.sourceId', 3),
    rim.identifier(XDS.submissionSet.uniqueId, id, set.uniqueId, 'XDSSubmissionSet.uniqueId', 3),
    '    </RegistryPackage>',
  );
  return { head, tail: children.join('\n') };
}

interface EntryFields {
  id: string;
  uniqueId: string;
  mimeType: string;
  creationTime: string;
  hash: string;
  size: number;
  languageCode: string;
  serviceStartTime: string;
  serviceStopTime: string;
  sourcePatientInfo: readonly string[];
  title: string;
  classCode: Coded;
  typeCode: Coded;
  formatCode: Coded;
  eventCodes: readonly Coded[];
}

/**
 * An ExtrinsicObject (at depth 2), split after its slots, where the XDM archive's `URI` slot goes (the last slot, as
 * in the DMP's sample).
 */
function extrinsicObject(rim: RimWriter, metadata: XdsDocumentMetadata, entry: EntryFields): SplitObject {
  const E = XDS.documentEntry;
  const slots = [
    `    <ExtrinsicObject id="${attr(entry.id)}" mimeType="${attr(entry.mimeType)}" objectType="${E.objectType}">`,
    slot('creationTime', [entry.creationTime], 3),
    slot('hash', [entry.hash], 3),
    slot('languageCode', [entry.languageCode], 3),
    slot('legalAuthenticator', [metadata.legalAuthenticator], 3),
    slot('serviceStartTime', [entry.serviceStartTime], 3),
    slot('serviceStopTime', [entry.serviceStopTime], 3),
    slot('size', [String(entry.size)], 3),
    slot('sourcePatientId', [metadata.patientId], 3),
  ];
  if (entry.sourcePatientInfo.length > 0) slots.push(slot('sourcePatientInfo', entry.sourcePatientInfo, 3));
  const rest = [
    localized('Name', entry.title, 3),
    rim.author(E.author, entry.id, metadata, 3),
    rim.coded(E.classCode, entry.id, entry.classCode, 3),
    rim.coded(E.typeCode, entry.id, entry.typeCode, 3),
    ...metadata.confidentialityCodes.map((code) => rim.coded(E.confidentialityCode, entry.id, code, 3)),
    rim.coded(E.formatCode, entry.id, entry.formatCode, 3),
    rim.coded(E.healthcareFacilityTypeCode, entry.id, metadata.healthcareFacilityTypeCode, 3),
    rim.coded(E.practiceSettingCode, entry.id, metadata.practiceSettingCode, 3),
    ...entry.eventCodes.map((code) => rim.coded(E.eventCodeList, entry.id, code, 3)),
    rim.identifier(E.patientId, entry.id, metadata.patientId, 'XDSDocumentEntry.patientId', 3),
    rim.identifier(E.uniqueId, entry.id, entry.uniqueId, 'XDSDocumentEntry.uniqueId', 3),
    '    </ExtrinsicObject>',
  ];
  return { head: slots.join('\n'), tail: rest.join('\n') };
}

/** What {@link DocumentSubmissionSet} needs: the set less its recipients, which each message gives. */
export interface DocumentSubmissionSetInput {
  metadata: XdsDocumentMetadata;
  submissionSet: Omit<SubmissionSetInfo, 'intendedRecipients'>;
  signature?: SignatureEntryInput;
}

const HEAD = `${XML_DECLARATION}\n<lcm:SubmitObjectsRequest xmlns:lcm="${NS.lcm}" xmlns="${NS.rim}">\n  <RegistryObjectList>`;
const END = '  </RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n';

/**
 * The ebRIM `SubmitObjectsRequest` (XDS.b, lcm/rim 3.0) of one document, checked and written once: the
 * submission set, the document entry with every slot and classification of its metadata, the HasMember
 * association and, when a signature is given, the IHE DSG signature entry with its `signs` association (source
 * the signature, target the submission set). Follows the layout of the DMP's own sample
 * (`TD2.1_-_Alimentation_requete.xml`). Every value is escaped.
 *
 * The DMP submission and every XDM archive of a document carry the same set; they differ only by the archive's
 * intended recipients and file names, which {@link DocumentSubmissionSet.xml} inserts into the written parts.
 *
 * @throws XdmError XDM_INVALID_INPUT naming the field when an id, a time, the hash or the size is malformed
 */
export class DocumentSubmissionSet {
  /** SHA-1 and size of the signature document, if any */
  readonly signature: { hash: string; size: number } | undefined;
  private readonly registryPackage: SplitObject;
  private readonly entries: SplitObject[];
  private readonly associations: string;
  /** What follows the recipients, by URIs: the same for every archive of the document (memoised) */
  private readonly tails = new Map<string, string>();

  constructor(input: DocumentSubmissionSetInput) {
    const { metadata, submissionSet: set, signature } = input;
    requireOid(set.uniqueId, 'submissionSet.uniqueId');
    requireOid(set.sourceId, 'submissionSet.sourceId');
    requireOid(metadata.uniqueId, 'metadata.uniqueId');
    requireDtm(set.submissionTime, 'submissionSet.submissionTime');
    if (!Number.isSafeInteger(metadata.size) || metadata.size < 0) {
      throw new XdmError('XDM_INVALID_INPUT', 'metadata.size must be a non-negative integer');
    }
    if (!/^[0-9a-f]{40}$/.test(metadata.hash)) {
      throw new XdmError('XDM_INVALID_INPUT', 'metadata.hash must be a lowercase hexadecimal SHA-1');
    }

    // Ids are numbered in document order (cla1, ei1, assoc1…), so the objects are made in that order.
    const rim = new RimWriter();
    const registry = registryPackage(rim, metadata, set);
    const objects: SplitObject[] = [
      extrinsicObject(rim, metadata, {
        id: OBJECT_IDS.document,
        uniqueId: metadata.uniqueId,
        mimeType: metadata.mimeType,
        creationTime: metadata.creationTime,
        hash: metadata.hash,
        size: metadata.size,
        languageCode: metadata.languageCode,
        serviceStartTime: metadata.serviceStartTime,
        serviceStopTime: metadata.serviceStopTime,
        sourcePatientInfo: metadata.sourcePatientInfo,
        title: metadata.title,
        classCode: metadata.classCode,
        typeCode: metadata.typeCode,
        formatCode: metadata.formatCode,
        eventCodes: metadata.eventCodes,
      }),
    ];
    if (signature) {
      const uniqueId = signature.uniqueId ?? deriveSignatureUniqueId(set.uniqueId);
      requireOid(uniqueId, 'signature.uniqueId');
      this.signature = xdsHashAndSize(signature.content);
      // The signature is created at submission time and is about the submission, as in the DMP's sample.
      objects.push(
        extrinsicObject(rim, metadata, {
          id: OBJECT_IDS.signature,
          uniqueId,
          mimeType: DSG.mimeType,
          creationTime: set.submissionTime,
          hash: this.signature.hash,
          size: this.signature.size,
          languageCode: DSG.languageCode,
          serviceStartTime: set.submissionTime,
          serviceStopTime: set.submissionTime,
          sourcePatientInfo: [],
          title: DSG.title,
          classCode: DSG.classCode,
          typeCode: DSG.typeCode,
          formatCode: DSG.formatCode,
          eventCodes: [DSG.eventCode],
        }),
      );
    }
    const associations = [rim.association(XDS.associationType.hasMember, OBJECT_IDS.submissionSet, OBJECT_IDS.document, 2)];
    if (signature) {
      associations.push(
        rim.association(XDS.associationType.hasMember, OBJECT_IDS.submissionSet, OBJECT_IDS.signature, 2),
        rim.association(XDS.associationType.signs, OBJECT_IDS.signature, OBJECT_IDS.submissionSet, 2),
      );
    }
    this.registryPackage = registry;
    this.entries = objects;
    this.associations = `${associations.join('\n')}\n${END}`;
  }

  /**
   * The XML document (UTF-8 declaration included: strip it to embed the element in an ITI-41 request).
   * @param options.intendedRecipients XDM only: the addresses the archive is sent to (XTN `||^^Internet^<address>`)
   * @param options.uris XDM only: file names, relative to METADATA.XML, written in each entry's `URI` slot
   */
  xml(options: { intendedRecipients?: readonly string[]; uris?: { document: string; signature?: string } } = {}): string {
    const recipients = options.intendedRecipients ?? [];
    const recipientSlot =
      recipients.length > 0
        ? `\n${slot(
            'intendedRecipient',
            recipients.map((address) => `||^^Internet^${address}`),
            3,
          )}`
        : '';
    return `${HEAD}\n${this.registryPackage.head}${recipientSlot}\n${this.tail(options.uris?.document, options.uris?.signature)}`;
  }

  /** Everything after the recipients: the set's other children, the entries with their URI slots, the associations. */
  private tail(document: string | undefined, signature: string | undefined): string {
    const key = `${document === undefined ? '-' : `+${document}`}\n${signature === undefined ? '-' : `+${signature}`}`;
    let tail = this.tails.get(key);
    if (tail === undefined) {
      const uris = [document, signature];
      const parts = [this.registryPackage.tail];
      this.entries.forEach((entry, i) => {
        parts.push(entry.head);
        const uri = uris[i];
        if (uri !== undefined) parts.push(slot('URI', [uri], 3));
        parts.push(entry.tail);
      });
      tail = `${parts.join('\n')}\n${this.associations}`;
      this.tails.set(key, tail);
    }
    return tail;
  }
}

/**
 * The ebRIM `SubmitObjectsRequest` for one document and one message: see {@link DocumentSubmissionSet}, which
 * writes it once for all the messages of a document.
 *
 * @returns the XML document (UTF-8 declaration included: strip it to embed the element in an ITI-41 request)
 */
export function buildSubmissionSetMetadata(input: SubmissionSetMetadataInput): string {
  const { intendedRecipients, ...submissionSet } = input.submissionSet;
  return new DocumentSubmissionSet({ metadata: input.metadata, submissionSet, signature: input.signature }).xml({
    intendedRecipients,
    uris: input.uris,
  });
}
