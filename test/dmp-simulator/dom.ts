/** Small DOM helpers of the simulator (namespace-aware, no XPath): it reads requests the way a registry would. */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xdsb: 'urn:ihe:iti:xds-b:2007',
  lcm: 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  xop: 'http://www.w3.org/2004/08/xop/include',
  hl7: 'urn:hl7-org:v3',
} as const;

export class XmlError extends Error {}

/** Parses XML; any well-formedness error throws (xmldom only warns by default). */
export function parseStrict(xml: string): Document {
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new XmlError(`not well-formed XML: ${message}`);
    },
  });
  return parser.parseFromString(xml, 'text/xml');
}

export function children(parent: Element | null | undefined, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  if (!parent) return out;
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns)
      out.push(node as Element);
  }
  return out;
}

export function child(parent: Element | null | undefined, ns: string, localName: string): Element | undefined {
  return children(parent, ns, localName)[0];
}

export function descendants(root: Element | Document, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName));
}

export const text = (element: Element | null | undefined): string => (element?.textContent ?? '').trim();
