import { randomUUID } from 'node:crypto';
import type { DmpSubmission } from '@passerelle/schemas';
import { OBJECT_IDS, xdsHashAndSize } from '@passerelle/xdm';
import { DmpRequestError } from './errors';
import { buildMtomMessage, SOAP12_NS, XOP_NS, type MtomMessage } from './mtom';
import { escapeText } from './xml-escape';

/** IHE ITI-41 Provide and Register Document Set-b over SOAP 1.2 (ITI TF-2b §3.41, REFERENCE §9). */
export const ITI41_ACTION = 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b';
export const ITI41_RESPONSE_ACTION = 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse';
export const WSA_NS = 'http://www.w3.org/2005/08/addressing';
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const XDSB_NS = 'urn:ihe:iti:xds-b:2007';
export const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

/** Content-IDs of the two binary parts: fixed names, nothing from the document (a Content-ID is a header). */
export const CONTENT_IDS = { document: 'document01@passerelle', signature: 'signature01@passerelle' } as const;

export interface Iti41RequestInput {
  submission: Pick<DmpSubmission, 'documentXml' | 'signatureXml' | 'submissionSetXml' | 'metadata'>;
  /** The signed VIHF assertion (saml2:Assertion element) */
  vihfXml: string;
  /** `wsa:To`: the DMP repository endpoint */
  to: string;
  /** `wsa:MessageID`; default a fresh `urn:uuid:` */
  messageId?: string;
}

export interface Iti41Request extends MtomMessage {
  messageId: string;
  action: typeof ITI41_ACTION;
}

/** The `lcm:SubmitObjectsRequest` element of the submission, without its XML declaration. */
function submitObjectsRequestElement(submissionSetXml: string): string {
  const element = submissionSetXml.replace(/^\uFEFF?<\?xml[^>]*\?>\s*/, '').trim();
  if (!/^<lcm:SubmitObjectsRequest[\s>]/.test(element)) {
    throw new DmpRequestError('DMP_REQUEST_INVALID', 'submissionSetXml must be an lcm:SubmitObjectsRequest');
  }
  return element;
}

/**
 * The ITI-41 request of a DMP submission, shaped like the DMP's TD2.1 sample: a SOAP 1.2 envelope whose header has
 * WS-Addressing (`MessageID`, `To`, `ReplyTo` anonymous, `Action` mustUnderstand) and `wsse:Security` with the signed
 * VIHF; whose body is `xdsb:ProvideAndRegisterDocumentSetRequest` with the submission set's metadata (as the router
 * built and the signature covers it) and one `xdsb:Document` per document entry (the CDA document, the DSG
 * signature), each an `xop:Include` of its binary MTOM part.
 *
 * The bytes sent are exactly those the metadata's hash and size describe: checked here, so a mismatch is our bug
 * (permanent) rather than an `XDSNonIdenticalHash` from the DMP.
 */
export function buildIti41Request(input: Iti41RequestInput): Iti41Request {
  const { submission } = input;
  const documentBytes = submission.documentXml;
  const signatureBytes = submission.signatureXml;
  const actual = xdsHashAndSize(documentBytes);
  if (actual.hash !== submission.metadata.hash || actual.size !== submission.metadata.size) {
    throw new DmpRequestError('DMP_REQUEST_INVALID', 'the document bytes do not match the hash and size of their metadata');
  }
  const metadata = submitObjectsRequestElement(submission.submissionSetXml);
  const messageId = input.messageId ?? `urn:uuid:${randomUUID()}`;
  const envelope =
    `<soap:Envelope xmlns:soap="${SOAP12_NS}" xmlns:wsa="${WSA_NS}">` +
    '<soap:Header>' +
    `<wsa:MessageID>${escapeText(messageId)}</wsa:MessageID>` +
    `<wsa:To>${escapeText(input.to)}</wsa:To>` +
    `<wsa:ReplyTo soap:mustUnderstand="true"><wsa:Address>${WSA_ANONYMOUS}</wsa:Address></wsa:ReplyTo>` +
    `<wsa:Action soap:mustUnderstand="true">${ITI41_ACTION}</wsa:Action>` +
    `<wsse:Security xmlns:wsse="${WSSE_NS}">${input.vihfXml}</wsse:Security>` +
    '</soap:Header>' +
    '<soap:Body>' +
    `<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="${XDSB_NS}">` +
    metadata +
    `<xdsb:Document id="${OBJECT_IDS.document}"><xop:Include xmlns:xop="${XOP_NS}" href="cid:${CONTENT_IDS.document}"/></xdsb:Document>` +
    `<xdsb:Document id="${OBJECT_IDS.signature}"><xop:Include xmlns:xop="${XOP_NS}" href="cid:${CONTENT_IDS.signature}"/></xdsb:Document>` +
    '</xdsb:ProvideAndRegisterDocumentSetRequest>' +
    '</soap:Body>' +
    '</soap:Envelope>';
  const mime = submission.metadata.mimeType || 'text/xml';
  const message = buildMtomMessage(
    envelope,
    [
      { contentId: CONTENT_IDS.document, contentType: mime, bytes: documentBytes },
      { contentId: CONTENT_IDS.signature, contentType: 'text/xml', bytes: signatureBytes },
    ],
    ITI41_ACTION,
  );
  return { ...message, messageId, action: ITI41_ACTION };
}
