import { XMLParser } from 'fast-xml-parser';
import type { ErrorClass } from '@passerelle/errors';
import { DmpDeliveryError, scrubDmpText } from './errors';
import { soapEnvelopeOf } from './mtom';

/** What the DMP said, in a form that holds no personal data (codes, severities, scrubbed texts). */
export interface RegistryErrorInfo {
  errorCode: string;
  severity: string;
  codeContext: string;
  location: string;
}

export type DmpAnswer =
  | { kind: 'success'; status: string; relatesTo?: string; summary: string }
  | { kind: 'failure'; status: string; relatesTo?: string; errors: RegistryErrorInfo[]; summary: string }
  | { kind: 'soap-fault'; code: string; subcode?: string; reason: string; summary: string };

export const SUCCESS = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success';
export const PARTIAL_SUCCESS = 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'RegistryError' || name === 'Text' || name === 'Subcode',
});

type Node = Record<string, unknown>;
const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const child = (node: unknown, name: string): Node | undefined =>
  node && typeof node === 'object' ? ((node as Node)[name] as Node | undefined) : undefined;
const textOf = (node: unknown): string => {
  if (node === undefined || node === null) return '';
  if (typeof node === 'string') return node;
  if (typeof node === 'object' && '#text' in (node as Node)) return String((node as Node)['#text']);
  return '';
};

/**
 * Reads the DMP's answer to an ITI-41 request (plain SOAP or MTOM): a RegistryResponse (Success, or Failure /
 * PartialSuccess with its RegistryErrors) or a SOAP fault. Texts are scrubbed of personal data on the way in, so
 * nothing downstream can leak them.
 *
 * @throws DmpDeliveryError DMP_ANSWER_UNREADABLE (transient: a proxy's error page, a cut answer)
 */
export function parseDmpAnswer(contentType: string | undefined, body: Buffer): DmpAnswer {
  let root: Node;
  try {
    const { envelope } = soapEnvelopeOf(contentType, body);
    root = parser.parse(envelope) as Node;
  } catch (cause) {
    throw new DmpDeliveryError('DMP_ANSWER_UNREADABLE', 'transient', 'the answer is not a SOAP message', undefined, { cause });
  }
  const envelope = child(root, 'Envelope');
  const header = child(envelope, 'Header');
  const soapBody = child(envelope, 'Body');
  if (!soapBody) throw new DmpDeliveryError('DMP_ANSWER_UNREADABLE', 'transient', 'the answer has no SOAP body');
  const relatesTo = textOf(child(header, 'RelatesTo')) || undefined;
  const fault = child(soapBody, 'Fault');
  if (fault) {
    // SOAP 1.2: Code/Value, Code/Subcode/Value, Reason/Text; SOAP 1.1: faultcode, faultstring.
    const code = textOf(child(child(fault, 'Code'), 'Value')) || textOf(child(fault, 'faultcode'));
    const subcodes = (child(child(fault, 'Code'), 'Subcode') as unknown as Node[] | undefined) ?? [];
    const subcode = subcodes.map((s) => textOf(child(s, 'Value'))).find(Boolean);
    const texts = (child(child(fault, 'Reason'), 'Text') as unknown as unknown[] | undefined) ?? [];
    const reason = scrubDmpText(texts.map(textOf).find(Boolean) ?? textOf(child(fault, 'faultstring')));
    const bare = (v: string) => v.replace(/^[^:]*:/, '');
    return {
      kind: 'soap-fault',
      code: bare(code),
      ...(subcode ? { subcode: bare(subcode) } : {}),
      reason,
      summary: `SOAP fault ${[bare(code), subcode && bare(subcode)].filter(Boolean).join('/')}: ${reason}`,
    };
  }
  const response = child(soapBody, 'RegistryResponse');
  if (!response)
    throw new DmpDeliveryError('DMP_ANSWER_UNREADABLE', 'transient', 'the answer holds neither a RegistryResponse nor a SOAP fault');
  const status = String(response['@_status'] ?? '');
  const errors = ((child(child(response, 'RegistryErrorList'), 'RegistryError') as unknown as Node[] | undefined) ?? []).map(
    (e): RegistryErrorInfo => ({
      errorCode: String(e['@_errorCode'] ?? ''),
      severity: String(e['@_severity'] ?? '').replace(/^.*:/, ''),
      codeContext: scrubDmpText(String(e['@_codeContext'] ?? textOf(e))),
      // An OID (the submission set's or a document's uniqueId) is kept: it names no one, and it tells which
      // object a duplicate is about.
      location: OID.test(String(e['@_location'] ?? '')) ? String(e['@_location']) : scrubDmpText(String(e['@_location'] ?? '')),
    }),
  );
  const statusName = status.replace(/^.*:/, '');
  if (status === SUCCESS && errors.every((e) => e.severity !== 'Error')) {
    return { kind: 'success', status, ...(relatesTo ? { relatesTo } : {}), summary: `RegistryResponse ${statusName}` };
  }
  const codes = errors.map((e) => e.errorCode).join(',');
  return {
    kind: 'failure',
    status,
    ...(relatesTo ? { relatesTo } : {}),
    errors,
    summary: `RegistryResponse ${statusName}${codes ? ` ${codes}` : ''}`,
  };
}

/**
 * How each DMP code is treated. The XDS codes are IHE's (ITI TF-3 §4.2.4); the DMP's own codes for a closed record
 * and a patient's opposition are from public material and the simulator: the DMP integration guide (not public) has
 * the full list, so a deployment can extend or override this table.
 */
export const DEFAULT_CLASSIFICATION: Readonly<Record<string, ErrorClass | 'already-delivered'>> = {
  XDSUnknownPatientId: 'permanent',
  XDSPatientIdDoesNotMatch: 'permanent',
  XDSRegistryMetadataError: 'permanent',
  XDSRepositoryMetadataError: 'permanent',
  XDSMissingDocument: 'permanent',
  XDSMissingDocumentMetadata: 'permanent',
  XDSNonIdenticalHash: 'permanent',
  XDSNonIdenticalSize: 'permanent',
  XDSDuplicateUniqueIdInRegistry: 'already-delivered',
  XDSRegistryBusy: 'transient',
  XDSRepositoryBusy: 'transient',
  XDSRegistryOutOfResources: 'transient',
  XDSRepositoryOutOfResources: 'transient',
  XDSRegistryError: 'transient',
  XDSRepositoryError: 'transient',
  DMPClosed: 'permanent',
  DMPPatientOpposition: 'permanent',
  DMPAccessDenied: 'permanent',
  DMPIdentityCertificationFailure: 'permanent',
  // SOAP faults: the DMP refuses a VIHF signed with an authentication certificate. Our configuration, not the
  // document: transient, so that the document waits until the key store is fixed (as the signer's certificate errors).
  DMPInvalidCertificate: 'transient',
};

export type DeliveryVerdict = { outcome: 'delivered'; answer: string } | { outcome: 'already-delivered'; answer: string };

/**
 * The verdict on an answer: delivered, already delivered (the DMP holds this submission set: our earlier attempt
 * went through, e.g. before a timeout), or a thrown DmpDeliveryError with the DMP's code, permanent or transient.
 * A RegistryResponse whose errors are of mixed classes takes the strongest: any permanent error makes it permanent;
 * `XDSDuplicateUniqueIdInRegistry` counts as delivered only when it is the only error and, when the DMP locates it
 * on an OID, that OID is one of ours (`ours`: the submission set's and the documents' uniqueIds). Unknown codes are permanent
 * (a refusal we do not understand must be looked at, not retried blindly); a SOAP fault is transient unless its code
 * is in the table.
 */
export function classifyAnswer(
  answer: DmpAnswer,
  table: Readonly<Record<string, ErrorClass | 'already-delivered'>> = DEFAULT_CLASSIFICATION,
  /** The uniqueIds this request carried: a duplicate located on another object is not ours, and is permanent */
  ours?: readonly string[],
): DeliveryVerdict {
  if (answer.kind === 'success') return { outcome: 'delivered', answer: answer.summary };
  if (answer.kind === 'soap-fault') {
    const dmpCode = answer.subcode ?? answer.code;
    const cls = table[dmpCode];
    const errorClass: ErrorClass = cls === 'permanent' ? 'permanent' : 'transient';
    throw new DmpDeliveryError('DMP_SOAP_FAULT', errorClass, answer.summary, dmpCode);
  }
  const blocking = answer.errors.filter((e) => e.severity !== 'Warning');
  if (blocking.length === 0) {
    throw new DmpDeliveryError('DMP_ANSWER_UNREADABLE', 'transient', `${answer.summary} without an error`);
  }
  const classes = blocking.map((e) => {
    const cls = table[e.errorCode] ?? 'permanent';
    if (cls === 'already-delivered' && ours && OID.test(e.location) && !ours.includes(e.location)) return 'permanent';
    return cls;
  });
  if (classes.every((c) => c === 'already-delivered')) return { outcome: 'already-delivered', answer: answer.summary };
  const first = blocking.find((_, i) => classes[i] === 'permanent') ?? blocking.find((_, i) => classes[i] === 'transient') ?? blocking[0];
  const errorClass: ErrorClass = classes.includes('permanent') ? 'permanent' : 'transient';
  const code = first?.errorCode ?? 'XDSRegistryError';
  throw new DmpDeliveryError(code, errorClass, `${answer.summary}: ${first?.codeContext ?? ''}`.trim(), code);
}
