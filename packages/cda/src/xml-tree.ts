import { XMLBuilder } from 'fast-xml-parser';

/**
 * A small XML tree that keeps element order (the CDA schema is a sequence: order is part of validity) and is
 * serialised by fast-xml-parser's XMLBuilder in its order-preserving mode, which escapes every text and attribute.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[] | string;
}

type Attrs = Record<string, string | number | boolean | null | undefined>;
// Falsy values stand for "absent", so optional parts read as `cond && el(...)`.
type Child = XmlElement | null | undefined | false | '' | 0;

/** An element with attributes (null/undefined ones are left out) and element children (null ones are left out). */
export function el(name: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): XmlElement {
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined) kept[k] = xmlText(String(v));
  }
  const flat = children.flat().filter((c): c is XmlElement => Boolean(c));
  return { name, attrs: kept, children: flat };
}

/** An element holding text only. */
export function textEl(name: string, text: string, attrs: Attrs = {}): XmlElement {
  const e = el(name, attrs);
  e.children = xmlText(text);
  return e;
}

/**
 * A value for a `cs`-typed attribute (codes, units): the CDA schema forbids whitespace there. Returns null for a
 * value that cannot be one, so that the builder writes a nullFlavor or leaves the attribute out instead of an
 * invalid document.
 */
export function csValue(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  return v !== '' && /^[^\s]+$/.test(v) ? v : null;
}

/**
 * Removes what XML 1.0 cannot carry at all (control characters other than tab/newline/return, lone surrogates,
 * U+FFFE/U+FFFF): escaping cannot make them valid, and an event must never yield an unparseable document.
 */
export function xmlText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
}

type Ordered = Record<string, unknown>;

function toOrdered(e: XmlElement): Ordered {
  const content: Ordered[] = typeof e.children === 'string'
    ? (e.children === '' ? [] : [{ '#text': e.children }])
    : e.children.map(toOrdered);
  const node: Ordered = { [e.name]: content };
  const attrs = Object.entries(e.attrs);
  if (attrs.length > 0) node[':@'] = Object.fromEntries(attrs.map(([k, v]) => [`@_${k}`, v]));
  return node;
}

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  processEntities: true,
});

/** The document as UTF-8 text, with its XML declaration. */
export function serialize(root: XmlElement): string {
  const declaration = { '?xml': [{ '#text': '' }], ':@': { '@_version': '1.0', '@_encoding': 'UTF-8' } };
  return builder.build([declaration, toOrdered(root)]) as string;
}
