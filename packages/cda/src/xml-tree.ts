import { XMLBuilder } from 'fast-xml-parser';

/**
 * An element in fast-xml-parser's order-preserving form (`{ tag: [children], ':@': { '@_attr': value } }`), built
 * directly so that serialising needs no conversion pass. Order matters: the CDA schema is a sequence. XMLBuilder
 * escapes every text and attribute value.
 */
export type XmlElement = Record<string, unknown>;

type Attrs = Record<string, string | number | boolean | null | undefined>;
// Falsy values stand for "absent", so optional parts read as `cond && el(...)`.
type Child = XmlElement | null | undefined | false | '' | 0;

function node(name: string, attrs: Attrs, content: XmlElement[]): XmlElement {
  const n: XmlElement = { [name]: content };
  let kept: Record<string, string> | undefined;
  for (const k in attrs) {
    const v = attrs[k];
    if (v === null || v === undefined) continue;
    (kept ??= {})[`@_${k}`] = xmlText(String(v));
  }
  if (kept) n[':@'] = kept;
  return n;
}

/** An element with attributes (null/undefined ones are left out) and element children (falsy ones are left out). */
export function el(name: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): XmlElement {
  const content: XmlElement[] = [];
  for (const c of children) {
    if (Array.isArray(c)) {
      for (const d of c) if (d) content.push(d);
    } else if (c) content.push(c);
  }
  return node(name, attrs, content);
}

/** An element holding text only. */
export function textEl(name: string, text: string, attrs: Attrs = {}): XmlElement {
  const t = xmlText(text);
  return node(name, attrs, t === '' ? [] : [{ '#text': t }]);
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

const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const MAYBE_NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;

/**
 * Removes what XML 1.0 cannot carry at all (control characters other than tab/newline/return, lone surrogates,
 * U+FFFE/U+FFFF): escaping cannot make them valid, and an event must never yield an unparseable document.
 */
export function xmlText(s: string): string {
  return MAYBE_NOT_XML.test(s) ? s.replace(NOT_XML, '') : s;
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
  return builder.build([declaration, root]) as string;
}
