import { createHash } from 'node:crypto';
import type { Coded, XdsDocumentMetadata } from '@passerelle/cda';
import { nameBasedOid, SUBMISSION_SET_NAMESPACE } from '@passerelle/identifiers';
import { XdmError } from './errors';
import { writeLines, writeSplit, writeStartTag, XML_DECLARATION, type XmlElement } from './xml-writer';
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

/** Builds the rim elements with sequential ids (`cla1`, `ei1`, `assoc1`), as the DMP's sample numbers them. */
class RimWriter {
  private classifications = 0;
  private identifiers = 0;
  private associations = 0;

  slot(name: string, values: readonly string[]): XmlElement {
    return {
      name: 'Slot',
      attributes: { name },
      children: [{ name: 'ValueList', children: values.map((text) => ({ name: 'Value', text })) }],
    };
  }

  localized(element: 'Name' | 'Description', value: string): XmlElement {
    return {
      name: element,
      children: [{ name: 'LocalizedString', attributes: { charset: 'UTF8', value, 'xml:lang': 'FR' } }],
    };
  }

  coded(scheme: string, objectId: string, code: Coded): XmlElement {
    return {
      name: 'Classification',
      attributes: {
        classificationScheme: scheme,
        classifiedObject: objectId,
        id: `cla${++this.classifications}`,
        nodeRepresentation: code.code,
      },
      children: [this.slot('codingScheme', [code.codeSystem]), this.localized('Name', code.displayName)],
    };
  }

  author(scheme: string, objectId: string, metadata: XdsDocumentMetadata): XmlElement {
    return {
      name: 'Classification',
      attributes: {
        classificationScheme: scheme,
        classifiedObject: objectId,
        id: `cla${++this.classifications}`,
        nodeRepresentation: '',
      },
      children: [
        this.slot('authorPerson', [metadata.authorPerson]),
        this.slot('authorSpecialty', [metadata.authorSpecialty]),
        this.slot('authorInstitution', [metadata.authorInstitution]),
      ],
    };
  }

  node(node: string, objectId: string): XmlElement {
    return {
      name: 'Classification',
      attributes: { classificationNode: node, classifiedObject: objectId, id: `cla${++this.classifications}` },
    };
  }

  identifier(scheme: string, objectId: string, value: string, label: string): XmlElement {
    return {
      name: 'ExternalIdentifier',
      attributes: { id: `ei${++this.identifiers}`, identificationScheme: scheme, registryObject: objectId, value },
      children: [this.localized('Name', label)],
    };
  }

  association(type: string, source: string, target: string): XmlElement {
    return {
      name: 'Association',
      attributes: { associationType: type, id: `assoc${++this.associations}`, sourceObject: source, targetObject: target },
      children: [this.slot('SubmissionSetStatus', ['Original'])],
    };
  }
}

/** The RegistryPackage less its `intendedRecipient` slot, which goes after its first child (submissionTime). */
function registryPackage(rim: RimWriter, metadata: XdsDocumentMetadata, set: DocumentSubmissionSetInput['submissionSet']): XmlElement {
  const id = OBJECT_IDS.submissionSet;
  const children: XmlElement[] = [rim.slot('submissionTime', [set.submissionTime])];
  children.push(rim.localized('Name', set.title));
  if (set.comments) children.push(rim.localized('Description', set.comments));
  children.push(
    rim.author(XDS.submissionSet.author, id, metadata),
    rim.coded(XDS.submissionSet.contentTypeCode, id, set.contentTypeCode),
    rim.node(XDS.submissionSet.classificationNode, id),
    rim.identifier(XDS.submissionSet.patientId, id, metadata.patientId, 'XDSSubmissionSet.patientId'),
    rim.identifier(XDS.submissionSet.sourceId, id, set.sourceId, 'XDSSubmissionSet.sourceId'),
    rim.identifier(XDS.submissionSet.uniqueId, id, set.uniqueId, 'XDSSubmissionSet.uniqueId'),
  );
  return { name: 'RegistryPackage', attributes: { id }, children };
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

/** An ExtrinsicObject less its `URI` slot (XDM only), which goes after the other slots: see {@link uriSlotIndex}. */
function extrinsicObject(rim: RimWriter, metadata: XdsDocumentMetadata, entry: EntryFields): XmlElement {
  const E = XDS.documentEntry;
  const slots: XmlElement[] = [
    rim.slot('creationTime', [entry.creationTime]),
    rim.slot('hash', [entry.hash]),
    rim.slot('languageCode', [entry.languageCode]),
    rim.slot('legalAuthenticator', [metadata.legalAuthenticator]),
    rim.slot('serviceStartTime', [entry.serviceStartTime]),
    rim.slot('serviceStopTime', [entry.serviceStopTime]),
    rim.slot('size', [String(entry.size)]),
    rim.slot('sourcePatientId', [metadata.patientId]),
  ];
  if (entry.sourcePatientInfo.length > 0) slots.push(rim.slot('sourcePatientInfo', entry.sourcePatientInfo));
  return {
    name: 'ExtrinsicObject',
    attributes: { id: entry.id, mimeType: entry.mimeType, objectType: E.objectType },
    children: [
      ...slots,
      rim.localized('Name', entry.title),
      rim.author(E.author, entry.id, metadata),
      rim.coded(E.classCode, entry.id, entry.classCode),
      rim.coded(E.typeCode, entry.id, entry.typeCode),
      ...metadata.confidentialityCodes.map((code) => rim.coded(E.confidentialityCode, entry.id, code)),
      rim.coded(E.formatCode, entry.id, entry.formatCode),
      rim.coded(E.healthcareFacilityTypeCode, entry.id, metadata.healthcareFacilityTypeCode),
      rim.coded(E.practiceSettingCode, entry.id, metadata.practiceSettingCode),
      ...entry.eventCodes.map((code) => rim.coded(E.eventCodeList, entry.id, code)),
      rim.identifier(E.patientId, entry.id, metadata.patientId, 'XDSDocumentEntry.patientId'),
      rim.identifier(E.uniqueId, entry.id, entry.uniqueId, 'XDSDocumentEntry.uniqueId'),
    ],
  };
}

/** What {@link DocumentSubmissionSet} needs: the set less its recipients, which each message gives. */
export interface DocumentSubmissionSetInput {
  metadata: XdsDocumentMetadata;
  submissionSet: Omit<SubmissionSetInfo, 'intendedRecipients'>;
  signature?: SignatureEntryInput;
}

/** The slots of an ExtrinsicObject come first; the URI slot is the last of them (as in the DMP's sample). */
function uriSlotIndex(element: XmlElement): number {
  return (element.children ?? []).filter((child) => child.name === 'Slot').length;
}

/** An object written in two parts (lines joined), to put slots between them. */
interface SplitObject {
  head: string;
  tail: string;
}

function split(element: XmlElement, at: number): SplitObject {
  const { head, tail } = writeSplit(element, 2, at);
  return { head: head.join('\n'), tail: tail.join('\n') };
}

const slotWriter = new RimWriter(); // slots only: they carry no numbered id
const uriSlot = (uri: string): string => writeLines(slotWriter.slot('URI', [uri]), 3).join('\n');

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
  private readonly head: string;
  private readonly registryPackage: SplitObject;
  private readonly entries: SplitObject[];
  private readonly associations: string;

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
    const objects: XmlElement[] = [
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
    const associations = [rim.association(XDS.associationType.hasMember, OBJECT_IDS.submissionSet, OBJECT_IDS.document)];
    if (signature) {
      associations.push(
        rim.association(XDS.associationType.hasMember, OBJECT_IDS.submissionSet, OBJECT_IDS.signature),
        rim.association(XDS.associationType.signs, OBJECT_IDS.signature, OBJECT_IDS.submissionSet),
      );
    }
    const root: XmlElement = { name: 'lcm:SubmitObjectsRequest', attributes: { 'xmlns:lcm': NS.lcm, xmlns: NS.rim } };
    this.head = [XML_DECLARATION, writeStartTag(root, 0), '  <RegistryObjectList>'].join('\n');
    this.registryPackage = split(registry, 1);
    this.entries = objects.map((object) => split(object, uriSlotIndex(object)));
    this.associations = [
      ...associations.flatMap((association) => writeLines(association, 2)),
      '  </RegistryObjectList>',
      '</lcm:SubmitObjectsRequest>',
    ].join('\n');
  }

  /**
   * The XML document (UTF-8 declaration included: strip it to embed the element in an ITI-41 request).
   * @param options.intendedRecipients XDM only: the addresses the archive is sent to (XTN `||^^Internet^<address>`)
   * @param options.uris XDM only: file names, relative to METADATA.XML, written in each entry's `URI` slot
   */
  xml(options: { intendedRecipients?: readonly string[]; uris?: { document: string; signature?: string } } = {}): string {
    const parts = [this.head, this.registryPackage.head];
    const recipients = options.intendedRecipients ?? [];
    if (recipients.length > 0) {
      parts.push(
        writeLines(
          slotWriter.slot(
            'intendedRecipient',
            recipients.map((address) => `||^^Internet^${address}`),
          ),
          3,
        ).join('\n'),
      );
    }
    parts.push(this.registryPackage.tail);
    const uris = [options.uris?.document, options.uris?.signature];
    this.entries.forEach((entry, i) => {
      parts.push(entry.head);
      const uri = uris[i];
      if (uri !== undefined) parts.push(uriSlot(uri));
      parts.push(entry.tail);
    });
    parts.push(this.associations);
    return `${parts.join('\n')}\n`;
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
