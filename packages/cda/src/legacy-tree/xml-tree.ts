/**
 * An element in fast-xml-parser's order-preserving form (`{ tag: [children], ':@': { '@_attr': value } }`), built
 * directly. Order matters: the CDA schema is a sequence. {@link serialize} escapes every text and attribute
 * value.
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

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Character data as C14N 1.0 writes it. */
function escapeText(text: string): string {
  return /[&<>\r]/.test(text)
    ? text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'))
    : text;
}

/** An attribute value as C14N 1.0 writes it. */
function escapeAttribute(value: string): string {
  return /[&<"\t\n\r]/.test(value)
    ? value.replace(/[&<"\t\n\r]/g, (c) =>
        c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : c === '\t' ? '&#x9;' : c === '\n' ? '&#xA;' : '&#xD;',
      )
    : value;
}

/** Code-unit order, as C14N sorts (namespace declarations by prefix; attributes by namespace URI, then local name). */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Scope = ReadonlyMap<string, string>;
const ROOT_SCOPE: Scope = new Map([['xml', XML_NS]]);

/** The start tag in canonical form, and the namespaces in scope for the element's content. */
function startTag(name: string, attrs: Record<string, string> | undefined, parent: Scope): { tag: string; scope: Scope } {
  if (!attrs) return { tag: `<${name}>`, scope: parent };
  let scope = parent;
  let declarations: Array<[string, string]> | undefined;
  let plain: Array<[string, string]> | undefined;
  let prefixed: Array<[string, string]> | undefined;
  for (const key in attrs) {
    const qname = key.slice(2); // '@_'
    const value = attrs[key] as string;
    if (qname === 'xmlns' || qname.startsWith('xmlns:')) (declarations ??= []).push([qname === 'xmlns' ? '' : qname.slice(6), value]);
    else if (qname.includes(':')) (prefixed ??= []).push([qname, value]);
    else (plain ??= []).push([qname, value]);
  }
  let tag = `<${name}`;
  if (declarations) {
    const own = new Map(parent);
    const rendered: Array<[string, string]> = [];
    for (const [prefix, uri] of declarations) {
      // A declaration already in scope is superfluous in C14N, and so is xmlns="" outside a default namespace.
      if ((parent.get(prefix) ?? '') !== uri) rendered.push([prefix, uri]);
      if (uri === '') own.delete(prefix);
      else own.set(prefix, uri);
    }
    scope = own;
    rendered.sort((x, y) => compare(x[0], y[0]));
    for (const [prefix, uri] of rendered)
      tag += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
  }
  // Attributes without a prefix are in no namespace: they come first, by name; then the others by URI and local name.
  if (plain) {
    if (plain.length > 1) plain.sort((x, y) => compare(x[0], y[0]));
    for (const [qname, value] of plain) tag += ` ${qname}="${escapeAttribute(value)}"`;
  }
  if (prefixed) {
    const keyed = prefixed.map(([qname, value]) => {
      const colon = qname.indexOf(':');
      const uri = scope.get(qname.slice(0, colon));
      if (uri === undefined) throw new Error(`undeclared namespace prefix in attribute ${qname}`);
      return { uri, local: qname.slice(colon + 1), qname, value };
    });
    keyed.sort((x, y) => compare(x.uri, y.uri) || compare(x.local, y.local));
    for (const a of keyed) tag += ` ${a.qname}="${escapeAttribute(a.value)}"`;
  }
  return { tag: `${tag}>`, scope };
}

/**
 * Writes an element, indented by two spaces per level where it holds elements only (text stays as it is). The
 * output is already in canonical form (C14N 1.0): explicit end tags, attributes in canonical order, canonical
 * escaping, no superfluous namespace declaration; indentation is character data, which C14N keeps.
 */
function write(element: XmlElement, scope: Scope, indent: string, out: string[]): void {
  let name = '';
  for (const key in element) {
    if (key !== ':@') {
      name = key;
      break;
    }
  }
  const children = element[name] as XmlElement[];
  const { tag, scope: inner } = startTag(name, element[':@'] as Record<string, string> | undefined, scope);
  out.push(tag);
  if (children.length === 0) {
    out.push(`</${name}>`);
    return;
  }
  let elementsOnly = true;
  for (const child of children) if ('#text' in child) elementsOnly = false;
  if (!elementsOnly) {
    for (const child of children) {
      if ('#text' in child) out.push(escapeText(child['#text'] as string));
      else write(child, inner, '', out);
    }
  } else {
    const deeper = `${indent}  `;
    for (const child of children) {
      out.push(`\n${deeper}`);
      write(child, inner, deeper, out);
    }
    out.push(`\n${indent}`);
  }
  out.push(`</${name}>`);
}

/**
 * The document as canonical UTF-8 bytes (C14N 1.0, inclusive, without comments): no XML declaration (UTF-8 is
 * XML's default), so that the bytes that travel, are hashed for the XDS metadata and are digested by the signer
 * are one and the same.
 */
export function serialize(root: XmlElement): Buffer {
  const out: string[] = [];
  write(root, ROOT_SCOPE, '', out);
  return Buffer.from(out.join(''), 'utf8');
}
