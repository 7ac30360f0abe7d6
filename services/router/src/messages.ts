import { PasserelleError } from '@passerelle/errors';
import { INS_OID } from '@passerelle/ins';
import type { Coded, XdsDocumentMetadata } from '@passerelle/cda';
import { DocumentSubmissionSet, XdmDocument, xdsHashAndSize, type SubmissionSetInfo, type XdmProducer } from '@passerelle/xdm';
import { isMssanteAddress, type Route } from './routing';

/** What every submission of this deployment says about its sender. */
export interface SubmissionContext {
  /** XDSSubmissionSet.sourceId: the OID of the sending system */
  sourceId: string;
  /** XDSSubmissionSet.contentTypeCode (JDV_J59-ContentTypeCode-DMP) */
  contentTypeCode: Coded;
  /**
   * XDSSubmissionSet.submissionTime, UTC `YYYYMMDDHHMMSS`. Pass a time fixed upstream (e.g. when the document was
   * signed), not the clock: reprocessing then rebuilds the same bytes.
   */
  submissionTime: string;
}

/** What an MSSanté message also needs: the software's identity. */
export interface MessageContext extends SubmissionContext {
  /** X-MSS-NIL: the software's product reference, on every message */
  productReference: string;
  producer: XdmProducer;
}

export type MssRoute = Extract<Route, { kind: 'mss' }>;

/** One mail, in the shape of the `mss.messages` value (less eventId, occurredAt and documentId). */
export interface BuiltMssMessage {
  audience: 'patient' | 'professionals';
  from: string;
  to: string[];
  subject: string;
  text: string;
  /**
   * `X-MSS-CODECDA` (the CDA `code`), `X-MSS-INS` (O when the archive carries a qualified INS, else N),
   * `X-MSS-NIL` (product reference, every message), `X-MSS-MES: FIN` (patient messages only: no reply)
   */
  headers: Record<string, string>;
  attachmentName: 'IHE_XDM.ZIP';
  /** The IHE XDM ZIP */
  attachment: Buffer;
}

/** A document or signature: the bytes that travel, or text (written as UTF-8). */
export type XmlContent = string | Buffer;

const bytesOf = (content: XmlContent): Buffer => (typeof content === 'string' ? Buffer.from(content, 'utf8') : content);

export interface MssMessageInput {
  route: MssRoute;
  metadata: XdsDocumentMetadata;
  documentXml: XmlContent;
  signatureXml?: XmlContent;
  /** Fixed by the signer, covered by the signature */
  submissionSetUniqueId: string;
  /** The pharmacy's MSSanté mailbox */
  from: string;
  pharmacyName: string;
  context: MessageContext;
}

/** The `dmp.submissions` value (less eventId, occurredAt and documentId). */
export interface BuiltDmpSubmission {
  documentXml: Buffer;
  metadata: XdsDocumentMetadata;
  submissionSetUniqueId: string;
  /** ebRIM SubmitObjectsRequest: submission set, document entry, DSG signature entry, HasMember and signs */
  submissionSetXml: string;
  /** The IHE DSG signature document (enveloping XAdES-BES) */
  signatureXml: Buffer;
}

export interface DmpSubmissionInput {
  metadata: XdsDocumentMetadata;
  documentXml: XmlContent;
  signatureXml: XmlContent;
  submissionSetUniqueId: string;
  context: SubmissionContext;
}

export type MessageErrorCode = 'MESSAGE_INVALID_INPUT' | 'MESSAGE_CONFIG_INVALID';

/** A permanent error; its message names the field and the rule, never a value. */
export class MessageError extends PasserelleError {
  override readonly name = 'MessageError';
  readonly errorClass = 'permanent';
  constructor(
    readonly code: MessageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const XDM_ATTACHMENT_NAME = 'IHE_XDM.ZIP';

const INS_OIDS: ReadonlySet<string> = new Set([INS_OID.NIR, INS_OID.NIA, INS_OID.NIR_TEST, INS_OID.NIR_DEMO]);

/** True when the XDS patientId (`<id>^^^&<oid>&ISO^NH`) is an INS: only a qualified identity gets one (DESIGN §3). */
export function carriesIns(patientId: string): boolean {
  const oid = /^[^^]+\^\^\^&([0-9.]+)&ISO/.exec(patientId)?.[1];
  return oid !== undefined && INS_OIDS.has(oid);
}

/** UTC `YYYYMMDDHHMMSS`, the XDS time format. */
export function xdsTime(at: Date | number): string {
  return new Date(at).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** One line of a subject or header: control characters (CR/LF: header injection) become spaces. */
function oneLine(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function frenchDate(xds: string): string {
  return `${xds.slice(6, 8)}/${xds.slice(4, 6)}/${xds.slice(0, 4)}`;
}

function checkDocument(metadata: XdsDocumentMetadata, documentXml: XmlContent): void {
  const { hash, size } = xdsHashAndSize(documentXml);
  if (hash !== metadata.hash || size !== metadata.size) {
    throw new MessageError('MESSAGE_INVALID_INPUT', 'metadata.hash and metadata.size must describe documentXml');
  }
}

function submissionSet(
  metadata: XdsDocumentMetadata,
  uniqueId: string,
  context: SubmissionContext,
): Omit<SubmissionSetInfo, 'intendedRecipients'> {
  return {
    uniqueId,
    sourceId: context.sourceId,
    submissionTime: context.submissionTime,
    title: metadata.title,
    contentTypeCode: context.contentTypeCode,
  };
}

/** What every message of one signed document is built from. */
export interface DocumentMessagesInput {
  metadata: XdsDocumentMetadata;
  documentXml: XmlContent;
  signatureXml?: XmlContent;
  submissionSetUniqueId: string;
  context: SubmissionContext;
}

/**
 * The messages of one signed document (a DMP submission, MSSanté messages): what they share is checked, written
 * and deflated once, here, whatever the number of routes. The document is checked against its metadata once;
 * its submission set is written once (each archive adds its recipients); its XDM files are deflated once.
 *
 * @throws MessageError MESSAGE_INVALID_INPUT when the metadata does not describe the document
 */
export class DocumentMessages {
  private submissionSetParts?: DocumentSubmissionSet;
  private dmpSubmissionSetXml?: string;
  private readonly archives = new Map<XdmProducer, XdmDocument>();

  constructor(readonly input: DocumentMessagesInput) {
    checkDocument(input.metadata, input.documentXml);
  }

  private get submissionSet(): DocumentSubmissionSet {
    const { metadata, signatureXml, submissionSetUniqueId, context } = this.input;
    this.submissionSetParts ??= new DocumentSubmissionSet({
      metadata,
      submissionSet: submissionSet(metadata, submissionSetUniqueId, context),
      signature: signatureXml === undefined ? undefined : { content: signatureXml },
    });
    return this.submissionSetParts;
  }

  /** The ebRIM submission set of the DMP submission (no recipients, no file names). */
  dmpSubmissionSet(): string {
    this.dmpSubmissionSetXml ??= this.submissionSet.xml();
    return this.dmpSubmissionSetXml;
  }

  /** The IHE XDM ZIP for these recipients. */
  xdmArchive(producer: XdmProducer, to: readonly string[]): Buffer {
    let xdm = this.archives.get(producer);
    if (!xdm) {
      const { metadata, documentXml, signatureXml } = this.input;
      // The constructor checked the document against its metadata: the archive need not hash it again.
      xdm = new XdmDocument({ documentXml, signatureXml, metadata, submissionSet: this.submissionSet, producer, documentChecked: true });
      this.archives.set(producer, xdm);
    }
    return xdm.archive(to);
  }
}

/** The same document or signature: the same object (the router's case: one record, several routes), or equal. */
function sameContent(a: XmlContent | undefined, b: XmlContent | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a !== typeof b) return false;
  return typeof a === 'string' ? false : a.equals(b as Buffer);
}

function settingsOf(input: DocumentMessagesInput): string {
  return JSON.stringify([input.metadata, input.context]);
}

// A caller of buildDmpSubmission and buildMssMessage that does not pass the document's shared parts (the router makes
// them once per record and passes them) calls them once per route of a signed document, one document after the
// other: the last document's shared parts are kept (one entry, replaced by the next document), so its other routes
// reuse them. Not a WeakMap keyed by the metadata object: ephemerons that die young made every scavenge copy the
// documents they held (the collector's time doubled).
let lastDocument: { messages: DocumentMessages; settings: string } | undefined;

/**
 * The last document's parts when this input is the same: the same document, signature and set, and metadata and
 * context equal to what they were when the parts were made (a caller may reuse and change its objects).
 */
function documentMessages(input: DocumentMessagesInput): DocumentMessages {
  const settings = settingsOf(input);
  const last = lastDocument;
  if (
    last &&
    sameContent(last.messages.input.documentXml, input.documentXml) &&
    sameContent(last.messages.input.signatureXml, input.signatureXml) &&
    last.messages.input.submissionSetUniqueId === input.submissionSetUniqueId &&
    last.settings === settings
  ) {
    return last.messages;
  }
  lastDocument = undefined; // a document that fails its checks must not leave the previous one in place
  lastDocument = { messages: new DocumentMessages(input), settings };
  return lastDocument.messages;
}

/**
 * The subject and text of a message. They name the document (and the text the pharmacy), nothing of the patient: no INS,
 * no name, no birth date (the attached document identifies the patient to whoever opens it).
 */
function wording(input: MssMessageInput): { subject: string; text: string } {
  const title = oneLine(input.metadata.title);
  const pharmacy = oneLine(input.pharmacyName);
  const date = frenchDate(input.metadata.creationTime);
  // The MSSanté convention for a message carrying an IHE XDM archive (REFERENCE §9): `XDM/1.0/DDM+<title>`.
  const subject = `XDM/1.0/DDM+${title}`;
  if (input.route.audience === 'patient') {
    return {
      subject,
      text: [
        'Bonjour,',
        '',
        `Votre pharmacie, ${pharmacy}, vous adresse le document « ${title} » du ${date}.`,
        'Il est joint à ce message (archive IHE_XDM.ZIP).',
        '',
        'Ce message a été envoyé automatiquement : il ne peut pas recevoir de réponse.',
        'Pour toute question, adressez-vous directement à votre pharmacie.',
        '',
      ].join('\n'),
    };
  }
  return {
    subject,
    text: [
      'Bonjour,',
      '',
      `${pharmacy} vous adresse un document « ${title} » du ${date} concernant un patient que vous suivez.`,
      'Le document CDA, sa signature et ses métadonnées sont joints dans l’archive IHE XDM (IHE_XDM.ZIP).',
      '',
      'Message envoyé automatiquement par le logiciel de la pharmacie.',
      '',
    ].join('\n'),
  };
}

/**
 * Builds one MSSanté message for a route: sender, recipients, subject and text without personal data, the
 * `X-MSS-*` headers (`X-MSS-MES: FIN` for the patient only) and the IHE XDM ZIP (document, DSG signature, the
 * signed submission set's metadata with the route's recipients as intended recipients).
 *
 * @param messages the shared parts of this input's document, when the caller made them (the router: once per record
 *   for all its routes); else the last document's are reused when they match, or made
 * @throws MessageError MESSAGE_INVALID_INPUT when the sender or a recipient is not an MSSanté address, the
 *   product reference is empty, or the metadata does not describe the document
 */
export async function buildMssMessage(input: MssMessageInput, messages?: DocumentMessages): Promise<BuiltMssMessage> {
  const { route, metadata, context } = input;
  if (!isMssanteAddress(input.from)) throw new MessageError('MESSAGE_INVALID_INPUT', 'from must be an MSSanté address');
  if (route.to.length === 0 || !route.to.every(isMssanteAddress)) {
    throw new MessageError('MESSAGE_INVALID_INPUT', 'route.to must be one or more MSSanté addresses');
  }
  const productReference = oneLine(context.productReference);
  if (productReference === '') throw new MessageError('MESSAGE_INVALID_INPUT', 'context.productReference must not be empty');
  const attachment = (messages ?? documentMessages(input)).xdmArchive(context.producer, route.to);
  const headers: Record<string, string> = {
    'X-MSS-CODECDA': oneLine(metadata.typeCode.code),
    'X-MSS-INS': carriesIns(metadata.patientId) ? 'O' : 'N',
    'X-MSS-NIL': productReference,
  };
  if (route.audience === 'patient') headers['X-MSS-MES'] = 'FIN';
  return {
    audience: route.audience,
    from: input.from,
    to: [...route.to],
    ...wording(input),
    headers,
    attachmentName: XDM_ATTACHMENT_NAME,
    attachment,
  };
}

/**
 * Builds the DMP submission (what the ITI-41 gateway sends): the document, its XDS metadata, the DSG signature
 * document, and the ebRIM submission set with the signature entry and the `signs` association.
 *
 * @param shared the shared parts of this input's document, when the caller made them (see {@link buildMssMessage})
 * @throws MessageError MESSAGE_INVALID_INPUT when the metadata does not describe the document or there is no signature
 */
export function buildDmpSubmission(input: DmpSubmissionInput, shared?: DocumentMessages): BuiltDmpSubmission {
  const messages = shared ?? documentMessages(input);
  if (input.signatureXml.length === 0 || (typeof input.signatureXml === 'string' && input.signatureXml.trim() === '')) {
    throw new MessageError('MESSAGE_INVALID_INPUT', 'signatureXml is required: a DMP submission is signed (IHE DSG)');
  }
  const submissionSetXml = messages.dmpSubmissionSet();
  return {
    documentXml: bytesOf(input.documentXml),
    metadata: input.metadata,
    submissionSetUniqueId: input.submissionSetUniqueId,
    submissionSetXml,
    signatureXml: bytesOf(input.signatureXml),
  };
}

/** The deployment settings of {@link MessageContext}, less the per-document submission time. */
export type MessageSettings = Omit<MessageContext, 'submissionTime'>;

/**
 * Contents type of a pharmacy's submission set when none is configured: TRE_R209-TypeActivite "07", the code the
 * ANS maps outpatient care to (PV1-2 O → 07). *Unconfirmed* for pharmacies: configurable.
 */
export const DEFAULT_CONTENT_TYPE_CODE: Coded = { code: '07', codeSystem: '1.2.250.1.213.2.2', displayName: 'Consultation externe' };

/**
 * Loads the message settings from the environment (fails fast):
 * `PASSERELLE_XDS_SOURCE_ID` (OID, required), `PASSERELLE_MSS_PRODUCT_REFERENCE` (X-MSS-NIL, required),
 * `PASSERELLE_VENDOR_NAME` (required), `PASSERELLE_PRODUCT_NAME` (default Passerelle), `PASSERELLE_PRODUCT_VERSION`
 * (default 0.1.0), `PASSERELLE_VENDOR_CONTACT` (optional), `PASSERELLE_XDS_CONTENT_TYPE_CODE`
 * (`code^displayName^codeSystemOid`, default {@link DEFAULT_CONTENT_TYPE_CODE}).
 *
 * @throws MessageError MESSAGE_CONFIG_INVALID naming the variable and the rule
 */
export function loadMessageSettings(env: NodeJS.ProcessEnv = process.env): MessageSettings {
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new MessageError('MESSAGE_CONFIG_INVALID', `${name} is required`);
    if (/[\r\n]/.test(value)) throw new MessageError('MESSAGE_CONFIG_INVALID', `${name} must be one line`);
    return value;
  };
  const sourceId = required('PASSERELLE_XDS_SOURCE_ID');
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(sourceId) || sourceId.length > 64) {
    throw new MessageError('MESSAGE_CONFIG_INVALID', 'PASSERELLE_XDS_SOURCE_ID must be an OID of at most 64 characters');
  }
  let contentTypeCode = DEFAULT_CONTENT_TYPE_CODE;
  const ctc = env.PASSERELLE_XDS_CONTENT_TYPE_CODE?.trim();
  if (ctc) {
    const [code, displayName, codeSystem, ...rest] = ctc.split('^');
    if (!code || !displayName || !codeSystem || rest.length > 0 || !/^[0-2](\.\d+)+$/.test(codeSystem)) {
      throw new MessageError('MESSAGE_CONFIG_INVALID', 'PASSERELLE_XDS_CONTENT_TYPE_CODE must be code^displayName^codeSystemOid');
    }
    contentTypeCode = { code, displayName, codeSystem };
  }
  const contact = env.PASSERELLE_VENDOR_CONTACT?.trim();
  return {
    sourceId,
    contentTypeCode,
    productReference: required('PASSERELLE_MSS_PRODUCT_REFERENCE'),
    producer: {
      vendor: required('PASSERELLE_VENDOR_NAME'),
      product: env.PASSERELLE_PRODUCT_NAME?.trim() || 'Passerelle',
      version: env.PASSERELLE_PRODUCT_VERSION?.trim() || '0.1.0',
      ...(contact ? { contact } : {}),
    },
  };
}
