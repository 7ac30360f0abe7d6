import { DOMParser, type Document, type Node } from '@xmldom/xmldom';
import { C14nCanonicalization, ExclusiveCanonicalization } from 'xml-crypto';
import type { Canonicalization } from './algorithms';
import { SignatureInputError } from './errors';

const PROCESSING_INSTRUCTION_NODE = 7;
const ELEMENT_NODE = 1;
const COMMENT_NODE = 8;

interface ProcessingInstructionLike {
  nodeType: number;
  target: string;
  data: string;
}

/** C14N renders a processing instruction as `<?target data?>`; xml-crypto would render its data as text. */
function renderProcessingInstruction(node: ProcessingInstructionLike): string {
  return node.data ? `<?${node.target} ${node.data}?>` : `<?${node.target}?>`;
}

/**
 * The nodes xml-crypto's transforms render differently from the C14N recommendation: processing instructions
 * (rendered as text) and comments (xml-crypto escapes `<`, `>`, `&` inside them; C14N copies a comment's string
 * value as it is, and so do xmlsec1 and libxml2). Returns undefined for the nodes xml-crypto gets right.
 */
function renderSpecialNode(node: ProcessingInstructionLike, includeComments: boolean): string | undefined {
  if (node.nodeType === PROCESSING_INSTRUCTION_NODE) return renderProcessingInstruction(node);
  if (node.nodeType === COMMENT_NODE) return includeComments ? `<!--${node.data}-->` : '';
  return undefined;
}

interface AttributeLike {
  namespaceURI: string | null;
  localName: string;
}

/**
 * C14N's attribute order: attributes in no namespace first, then by namespace URI, then by local name. xml-crypto
 * compares URI and local name concatenated, which misorders a URI that is a prefix of another (`urn:` + `x1` after
 * `urn:aq` + `c`; libxml2 and xmlsec1 put `urn:` first): found by the canonical-bytes property test.
 */
function attrCompare(a: AttributeLike, b: AttributeLike): -1 | 0 | 1 {
  const ua = a.namespaceURI ?? '';
  const ub = b.namespaceURI ?? '';
  if (ua !== ub) return ua === '' ? -1 : ub === '' ? 1 : ua < ub ? -1 : 1;
  return a.localName < b.localName ? -1 : a.localName > b.localName ? 1 : 0;
}

// xml-crypto's transforms recurse through `processInner`, so overriding it covers these nodes at any depth.
class InclusiveC14n extends C14nCanonicalization {
  constructor(withComments: boolean) {
    super();
    this.includeComments = withComments;
  }
  override processInner(node: ProcessingInstructionLike, ...rest: [unknown, unknown, unknown, unknown]): string {
    return renderSpecialNode(node, this.includeComments) ?? super.processInner(node, ...rest);
  }
  override attrCompare(a: AttributeLike, b: AttributeLike): -1 | 0 | 1 {
    return attrCompare(a, b);
  }
}
class ExclusiveC14n extends ExclusiveCanonicalization {
  constructor(withComments: boolean) {
    super();
    this.includeComments = withComments;
  }
  override processInner(node: ProcessingInstructionLike, ...rest: [unknown, unknown, unknown, string[]]): string {
    return renderSpecialNode(node, this.includeComments) ?? super.processInner(node, ...rest);
  }
  override attrCompare(a: AttributeLike, b: AttributeLike): -1 | 0 | 1 {
    return attrCompare(a, b);
  }
}

const CANONICALIZERS: Record<Canonicalization, { process(node: Node, options: object): string }> = {
  c14n: new InclusiveC14n(false),
  'c14n-with-comments': new InclusiveC14n(true),
  'exc-c14n': new ExclusiveC14n(false),
  'exc-c14n-with-comments': new ExclusiveC14n(true),
};

/** Parses an XML document, refusing anything that is not well-formed (xmldom otherwise repairs silently). */
export function parseXml(xml: string, what: string): Document {
  const errors: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (cause) {
    throw new SignatureInputError('DOCUMENT_NOT_XML', `${what} is not well-formed XML`, { cause });
  }
  if (errors.length > 0 || doc.documentElement == null) {
    throw new SignatureInputError('DOCUMENT_NOT_XML', `${what} is not well-formed XML`);
  }
  return doc;
}

/**
 * The canonical form of a whole XML document (the octets a `urn:oid:` manifest reference digests after parsing
 * the document): W3C C14N 1.0 or Exclusive C14N, applied to the document node. The element tree goes through
 * xml-crypto's transforms; what lies outside the document element (comments, processing instructions) is rendered
 * here, separated by line feeds as the C14N document-order rules say. The XML declaration, the DOCTYPE and a byte
 * order mark are not part of the canonical form.
 */
export function canonicalizeDocument(doc: Document, canonicalization: Canonicalization): string {
  const canonicalizer = CANONICALIZERS[canonicalization];
  const withComments = canonicalization.endsWith('with-comments');
  const root = doc.documentElement;
  if (root == null) throw new SignatureInputError('DOCUMENT_NOT_XML', 'document has no root element');
  const parts: string[] = [];
  let afterRoot = false;
  for (let child = doc.firstChild; child != null; child = child.nextSibling) {
    let rendered: string | undefined;
    if (child.nodeType === ELEMENT_NODE) {
      rendered = canonicalizer.process(child, {});
      afterRoot = true;
      parts.push(rendered);
      continue;
    }
    if (child.nodeType === PROCESSING_INSTRUCTION_NODE) {
      // xmldom keeps the XML declaration as a processing instruction; it is not part of the infoset.
      if ((child as unknown as ProcessingInstructionLike).target === 'xml') continue;
      rendered = renderProcessingInstruction(child as unknown as ProcessingInstructionLike);
    } else if (child.nodeType === COMMENT_NODE && withComments) {
      rendered = `<!--${(child as unknown as { data: string }).data}-->`;
    }
    if (rendered === undefined) continue;
    parts.push(afterRoot ? `\n${rendered}` : `${rendered}\n`);
  }
  return parts.join('');
}

/** Escapes character data as C14N renders it. */
export function c14nText(text: string): string {
  return text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

/** Escapes an attribute value as C14N renders it. */
export function c14nAttr(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : c === '\t' ? '&#x9;' : c === '\n' ? '&#xA;' : '&#xD;',
  );
}
