/**
 * Writes a document straight in its canonical form (C14N 1.0, inclusive, without comments), as one string turned
 * into UTF-8 once: no element tree, no serialiser pass. The builders call {@link XmlWriter.el} and
 * {@link XmlWriter.text} in document order (the CDA schema is a sequence), each element's content written by the
 * callback it is given, so the nesting of the code is the nesting of the document.
 *
 * What makes the output canonical, so that the signer digests the bytes as they are (@passerelle/signature's
 * canonical-bytes check): explicit end tags; attributes in canonical order (in no namespace first, by name; then by
 * namespace URI and local name), whatever order the caller lists them in; every value escaped as C14N escapes it,
 * in one pass; namespace declarations on the root only. Indentation (two spaces per level, where an element holds
 * elements only) is character data, which C14N keeps.
 */

export type AttrValue = string | number | boolean | null | undefined;
/** Attributes of an element: null and undefined ones are left out, so optional ones read as `value ?? null`. */
export type Attrs = Readonly<Record<string, AttrValue>>;

const NO_ATTRS: Attrs = {};

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

// Whether a value needs any work: one test, and most values (codes, OIDs, names) need none.
const TEXT_WORK = /[&<>\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;
const ATTRIBUTE_WORK = /[&<"\u0000-\u001f\ud800-\udfff\ufffe\uffff]/;

/** Character data as C14N 1.0 writes it (after removing what XML cannot carry). */
export function escapeText(text: string): string {
  if (!TEXT_WORK.test(text)) return text;
  return xmlText(text).replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

/** An attribute value as C14N 1.0 writes it (after removing what XML cannot carry). */
export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_WORK.test(value)) return value;
  return xmlText(value).replace(/[&<"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : c === '\t' ? '&#x9;' : c === '\n' ? '&#xA;' : '&#xD;',
  );
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

/** Code-unit order, as C14N sorts. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Each depth's line break and indentation, made once. */
const BREAKS: string[] = [];
const breakAt = (depth: number): string => (BREAKS[depth] ??= `\n${'  '.repeat(depth)}`);

export class XmlWriter {
  private out = '';
  private depth = 0;
  /** Elements written so far inside the element being written (its content is indented when there are any). */
  private children = 0;

  /** @param namespaces the root's namespace declarations, by prefix ('' for the default namespace) */
  private constructor(private readonly namespaces: ReadonlyMap<string, string>) {}

  /**
   * The document: the root element with its namespace declarations (the only ones: no element below declares any)
   * and the content `content` writes, as canonical UTF-8 bytes. No XML declaration (UTF-8 is XML's default), so that
   * the bytes that travel, are hashed for the XDS metadata and are digested by the signer are one and the same.
   */
  static document(root: string, namespaces: Readonly<Record<string, string>>, content: (w: XmlWriter) => void): Buffer {
    const declared = Object.keys(namespaces).sort(compare);
    const w = new XmlWriter(new Map(declared.map((p) => [p, namespaces[p] as string])));
    let declarations = '';
    for (const prefix of declared) {
      declarations += `${prefix === '' ? ' xmlns' : ` xmlns:${prefix}`}="${escapeAttribute(namespaces[prefix] as string)}"`;
    }
    w.out = `<${root}${declarations}`;
    w.content(root, () => content(w));
    return Buffer.from(w.out, 'utf8');
  }

  /** An element with attributes and the elements `content` writes inside it (none without it). */
  el(name: string, attrs: Attrs = NO_ATTRS, content?: () => void): void {
    this.out += `${breakAt(this.depth)}<${name}${this.attributes(attrs)}`;
    this.children += 1;
    if (content) this.content(name, content);
    else this.out += `></${name}>`;
  }

  /** An element holding text only (an empty text gives an empty element). */
  text(name: string, text: string, attrs: Attrs = NO_ATTRS): void {
    this.out += `${breakAt(this.depth)}<${name}${this.attributes(attrs)}>${escapeText(text)}</${name}>`;
    this.children += 1;
  }

  /** Closes the start tag already written, writes the content one level deeper, then the end tag. */
  private content(name: string, content: () => void): void {
    this.out += '>';
    const outer = this.children;
    this.children = 0;
    this.depth += 1;
    content();
    this.depth -= 1;
    if (this.children > 0) this.out += breakAt(this.depth);
    this.children = outer;
    this.out += `</${name}>`;
  }

  /**
   * The attributes in canonical order, each with one space before it. Builders list them in that order mostly, so
   * the order is checked as they are written, and only sorted when it is not.
   */
  private attributes(attrs: Attrs): string {
    let out = '';
    let last = '';
    for (const name in attrs) {
      const value = attrs[name];
      if (value === null || value === undefined) continue;
      if (name <= last || name.includes(':')) return this.sortedAttributes(attrs);
      last = name;
      out += ` ${name}="${escapeAttribute(String(value))}"`;
    }
    return out;
  }

  /** Attributes in no namespace by name, then the others by namespace URI and local name. */
  private sortedAttributes(attrs: Attrs): string {
    const keyed: { uri: string; local: string; name: string; value: string }[] = [];
    for (const name in attrs) {
      const value = attrs[name];
      if (value === null || value === undefined) continue;
      const colon = name.indexOf(':');
      if (colon < 0) {
        keyed.push({ uri: '', local: name, name, value: String(value) });
        continue;
      }
      const uri = this.namespaces.get(name.slice(0, colon));
      if (uri === undefined) throw new Error(`undeclared namespace prefix in attribute ${name}`);
      keyed.push({ uri, local: name.slice(colon + 1), name, value: String(value) });
    }
    keyed.sort((x, y) => compare(x.uri, y.uri) || compare(x.local, y.local));
    let out = '';
    for (const a of keyed) out += ` ${a.name}="${escapeAttribute(a.value)}"`;
    return out;
  }
}
