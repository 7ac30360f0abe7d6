import { randomUUID } from 'node:crypto';

/**
 * MTOM/XOP packaging (SOAP 1.2 over `multipart/related`, W3C XOP): the SOAP envelope as the root part
 * (`application/xop+xml`), each binary as its own part named by `Content-ID`, referenced from the envelope by
 * `<xop:Include href="cid:…"/>`. Binary parts travel as they are (`Content-Transfer-Encoding: binary`), so what the
 * DMP hashes is exactly the bytes we hashed.
 */

export interface MtomAttachment {
  /** Content-ID without angle brackets, e.g. `document01@passerelle` (no personal data: it is a header) */
  contentId: string;
  contentType: string;
  bytes: Buffer;
}

export interface MtomMessage {
  /** The HTTP Content-Type, with boundary, type, start, start-info and action */
  contentType: string;
  body: Buffer;
}

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const XOP_NS = 'http://www.w3.org/2004/08/xop/include';
export const ROOT_CONTENT_ID = 'root.message@passerelle';

/** Packs a SOAP 1.2 envelope and its attachments into one MTOM message for the given SOAP action. */
export function buildMtomMessage(envelope: string, attachments: readonly MtomAttachment[], action: string): MtomMessage {
  const boundary = `MIMEBoundary_${randomUUID().replace(/-/g, '')}`;
  const parts: Buffer[] = [];
  const head = (lines: string[]) => Buffer.from(`--${boundary}\r\n${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  parts.push(
    head([
      `Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="${action}"`,
      'Content-Transfer-Encoding: binary',
      `Content-ID: <${ROOT_CONTENT_ID}>`,
    ]),
    Buffer.from(envelope, 'utf8'),
    Buffer.from('\r\n'),
  );
  for (const attachment of attachments) {
    parts.push(
      head([`Content-Type: ${attachment.contentType}`, 'Content-Transfer-Encoding: binary', `Content-ID: <${attachment.contentId}>`]),
      attachment.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    contentType:
      `multipart/related; boundary="${boundary}"; type="application/xop+xml"; start="<${ROOT_CONTENT_ID}>"; ` +
      `start-info="application/soap+xml"; action="${action}"`,
    body: Buffer.concat(parts),
  };
}

export interface MimePart {
  headers: Record<string, string>;
  contentId?: string;
  bytes: Buffer;
}

export interface ParsedMultipart {
  /** The part named by `start`, or the first one */
  root: MimePart;
  /** Every part by Content-ID (without angle brackets) */
  byContentId: Map<string, MimePart>;
  parts: MimePart[];
}

/** A parameter of a MIME header value (`name="value"` or `name=value`), case-insensitive name. */
export function headerParameter(value: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

export class MultipartError extends Error {}

/**
 * Splits a `multipart/related` body into its parts (RFC 2046): each part's headers (lower-case names) and its bytes
 * untouched. Throws MultipartError when the boundary is missing or the body is cut.
 */
export function parseMultipart(contentType: string, body: Buffer): ParsedMultipart {
  const boundary = headerParameter(contentType, 'boundary');
  if (!boundary) throw new MultipartError('multipart Content-Type without boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MimePart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('no part found for the boundary');
  for (;;) {
    let start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // closing delimiter
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next < 0) throw new MultipartError('multipart body ends without its closing boundary');
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new MultipartError('a part has no header section');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const id = headers['content-id']?.replace(/^<|>$/g, '');
    parts.push({ headers, ...(id ? { contentId: id } : {}), bytes: Buffer.from(part.subarray(headerEnd + 4)) });
    position = next + 2;
  }
  const byContentId = new Map<string, MimePart>();
  for (const part of parts) if (part.contentId) byContentId.set(part.contentId, part);
  const start = headerParameter(contentType, 'start')?.replace(/^<|>$/g, '');
  const root = (start ? byContentId.get(start) : parts[0]) ?? parts[0];
  if (!root) throw new MultipartError('multipart body has no part');
  return { root, byContentId, parts };
}

/** The SOAP envelope of an HTTP answer, MTOM or plain SOAP. */
export function soapEnvelopeOf(contentType: string | undefined, body: Buffer): { envelope: string; parts?: ParsedMultipart } {
  if (contentType && /^multipart\//i.test(contentType)) {
    const parts = parseMultipart(contentType, body);
    return { envelope: parts.root.bytes.toString('utf8'), parts };
  }
  return { envelope: body.toString('utf8') };
}
