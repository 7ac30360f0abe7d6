/**
 * A cheap check that a document's UTF-8 bytes are already their own canonical form under inclusive C14N 1.0 (with
 * or without comments), so that the signer can digest the bytes it received instead of canonicalising them: the
 * composer writes its documents that way (@passerelle/cda), and the check costs a fraction of a canonicalisation
 * (one pass over the bytes, no string, no output).
 *
 * The check is sufficient, not necessary: it accepts only a strict subset of canonical documents (ASCII names, no
 * comment, processing instruction, CDATA section or DOCTYPE, no reference other than the ones C14N writes, no
 * namespace declaration holding a reference or a non-ASCII character) and returns undefined for anything else, for
 * which the caller canonicalises as before. What it accepts, C14N leaves byte for byte as it is: well-formed (tags
 * matched, prefixes declared, no duplicate attribute, valid UTF-8 of XML characters), no XML declaration, nothing
 * outside the document element, explicit end tags, attributes with double quotes and one space before each,
 * namespace declarations first by prefix and not superfluous, then attributes by namespace URI and local name, text
 * and attribute values escaped exactly as C14N escapes them.
 *
 * On the way it collects the FINESS of the document's author organisations (ClinicalDocument/author/assignedAuthor/
 * representedOrganization/id, root 1.2.250.1.71.4.2.2, extension `1` + FINESS), as the canonicalisers do.
 */
import { isUtf8 } from 'node:buffer';
import { finessOfOrganisationId, NATIONAL_ID_OID } from '@passerelle/identifiers';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const AUTHOR_ID_PATH = ['ClinicalDocument', 'author', 'assignedAuthor', 'representedOrganization', 'id'];

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const QUOTE = 0x22;
const SPACE = 0x20;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const COLON = 0x3a;
const TAB = 0x09;
const LF = 0x0a;

class NotCanonical extends Error {}
function fail(): never {
  throw new NotCanonical();
}

// ASCII name characters: letters, digits, '_', '-', '.', ':' (a name must start with a letter or '_').
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_.:-]/.test(ch)) NAME_CHAR[c] = /[A-Za-z_]/.test(ch) ? 2 : 1;
}

/** The references C14N writes in character data, and in attribute values. */
const TEXT_REFERENCES = ['amp;', 'lt;', 'gt;', '#xD;'].map((r) => Buffer.from(r, 'latin1'));
const ATTRIBUTE_REFERENCES = ['amp;', 'lt;', 'quot;', '#x9;', '#xA;', '#xD;'].map((r) => Buffer.from(r, 'latin1'));

/** The length of the reference after '&' at `at` when it is one of `allowed`, else fails. */
function reference(bytes: Uint8Array, at: number, allowed: readonly Buffer[]): number {
  for (const r of allowed) {
    let i = 0;
    while (i < r.length && bytes[at + i] === r[i]) i += 1;
    if (i === r.length) return r.length;
  }
  return fail();
}

/** Fails on a byte C14N would write otherwise, or that XML cannot carry (controls, U+FFFE, U+FFFF). */
function checkCharacter(bytes: Uint8Array, i: number, b: number): void {
  if (b < SPACE) {
    if (b !== TAB && b !== LF) fail(); // CR (a line end becomes LF, or &#xD;) or a control character
  } else if (b === 0xef && bytes[i + 1] === 0xbf && ((bytes[i + 2] as number) & 0xfe) === 0xbe) {
    fail(); // U+FFFE, U+FFFF
  }
}

/** The end of the name starting at `at` (ASCII name characters, at most one colon, not first nor last). */
function nameEnd(bytes: Uint8Array, at: number): number {
  const first = bytes[at] as number;
  if (first >= 128 || NAME_CHAR[first] !== 2) fail();
  let i = at + 1;
  let colons = 0;
  for (;;) {
    const b = bytes[i] as number;
    if (b === undefined || b >= 128 || NAME_CHAR[b] === 0) break;
    if (b === COLON) {
      colons += 1;
      const next = bytes[i + 1] as number;
      if (colons > 1 || next === undefined || next >= 128 || NAME_CHAR[next] !== 2) fail();
    }
    i += 1;
  }
  return i;
}

/**
 * Names starting with "xml" (in any case) are reserved by Namespaces in XML; canonicalisers differ on them (a DOM one
 * takes `xmlnsq` for a namespace declaration), so the check leaves them to the canonicaliser.
 */
const reserved = (qname: string): boolean => qname.length >= 3 && qname.slice(0, 3).toLowerCase() === 'xml';

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The author organisations' FINESS when `bytes` are their own inclusive C14N 1.0 form (by the check above), else
 * undefined (the caller canonicalises them).
 */
export function checkCanonicalBytes(bytes: Uint8Array): { authorFiness: string[] } | undefined {
  if (!isUtf8(bytes)) return undefined;
  try {
    return scan(bytes);
  } catch (error) {
    if (error instanceof NotCanonical) return undefined;
    throw error;
  }
}

interface Open {
  nameStart: number;
  nameEnd: number;
  scope: Map<string, string>;
  /** On the path of the author organisation id (every ancestor too). */
  authorPath: boolean;
}

function scan(bytes: Uint8Array): { authorFiness: string[] } {
  const length = bytes.length;
  const latin1 = (from: number, to: number) => Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
  const authorFiness: string[] = [];
  const open: Open[] = [];
  let scope = new Map([['xml', XML_NS]]);
  if (bytes[0] !== LT) fail(); // a BOM, an XML declaration, white space or nothing before the root
  let i = 0;
  while (i < length) {
    const b = bytes[i] as number;
    if (b !== LT) {
      // Character data (only inside the root: the root's end tag must end the bytes).
      if (b === AMP) i += 1 + reference(bytes, i + 1, TEXT_REFERENCES);
      else {
        if (b === GT) fail();
        checkCharacter(bytes, i, b);
        i += 1;
      }
      continue;
    }
    const next = bytes[i + 1] as number;
    if (next === SLASH) {
      // An end tag: the name of the element open, then '>' at once.
      const top = open.pop();
      if (!top) fail();
      const n = top.nameEnd - top.nameStart;
      for (let k = 0; k < n; k += 1) if (bytes[i + 2 + k] !== bytes[top.nameStart + k]) fail();
      if (bytes[i + 2 + n] !== GT) fail();
      i += 3 + n;
      if (open.length > 0) scope = (open[open.length - 1] as Open).scope;
      if (open.length === 0 && i !== length) fail(); // anything after the root
      continue;
    }
    // A start tag ('<!' and '<?' fail here: not a name start).
    if (i > 0 && open.length === 0) fail();
    const nameStart = i + 1;
    const end = nameEnd(bytes, nameStart);
    const parent = open.length > 0 ? (open[open.length - 1] as Open) : undefined;
    const parentScope = scope;
    let own: Map<string, string> | undefined;
    // Attributes, in the order C14N writes them: namespace declarations (by prefix), then the attributes in no
    // namespace (by name), then the others (by namespace URI, then local name); strictly increasing, so no duplicate.
    let lastDeclaration: string | undefined;
    let lastPlain: string | undefined;
    let lastUri: string | undefined;
    let lastLocal = '';
    let root: string | undefined;
    let extension: string | undefined;
    const depth = open.length;
    let onPath = false;
    if (depth < AUTHOR_ID_PATH.length && (depth === 0 || (parent as Open).authorPath)) {
      const qname = latin1(nameStart, end);
      onPath = qname.slice(qname.indexOf(':') + 1) === AUTHOR_ID_PATH[depth];
    }
    const wantAuthorId = onPath && depth === AUTHOR_ID_PATH.length - 1;
    i = end;
    for (;;) {
      const c = bytes[i] as number;
      if (c === GT) break;
      if (c !== SPACE) fail(); // '/>', white space other than one space, a missing '>'
      const attributeStart = i + 1;
      const attributeEnd = nameEnd(bytes, attributeStart);
      if (bytes[attributeEnd] !== EQUALS || bytes[attributeEnd + 1] !== QUOTE) fail();
      const valueStart = attributeEnd + 2;
      let j = valueStart;
      let hasReference = false;
      for (;;) {
        const v = bytes[j] as number;
        if (v === QUOTE) break;
        if (v === undefined || v === LT) fail();
        if (v === AMP) {
          hasReference = true;
          j += 1 + reference(bytes, j + 1, ATTRIBUTE_REFERENCES);
          continue;
        }
        if (v === TAB || v === LF) fail(); // attribute-value normalisation makes them spaces
        checkCharacter(bytes, j, v);
        j += 1;
      }
      const qname = latin1(attributeStart, attributeEnd);
      const colon = qname.indexOf(':');
      const prefix = colon < 0 ? '' : qname.slice(0, colon);
      const local = colon < 0 ? qname : qname.slice(colon + 1);
      if (reserved(qname) && qname !== 'xmlns' && prefix !== 'xmlns' && prefix !== 'xml') fail();
      if (qname === 'xmlns' || prefix === 'xmlns') {
        if (lastPlain !== undefined || lastUri !== undefined || hasReference) fail();
        const declared = colon < 0 ? '' : local;
        if (lastDeclaration !== undefined && compare(lastDeclaration, declared) >= 0) fail();
        lastDeclaration = declared;
        const uri = latin1(valueStart, j);
        if (/[^\x20-\x7e]/.test(uri) || declared === 'xml' || declared === 'xmlns' || (declared !== '' && uri === '')) fail();
        if ((parentScope.get(declared) ?? '') === uri) fail(); // superfluous: C14N leaves it out
        own ??= new Map(parentScope);
        if (uri === '') own.delete(declared);
        else own.set(declared, uri);
      } else if (prefix === '') {
        if (lastUri !== undefined || (lastPlain !== undefined && compare(lastPlain, local) >= 0)) fail();
        lastPlain = local;
        if (wantAuthorId && (local === 'root' || local === 'extension')) {
          const raw = Buffer.from(bytes.buffer, bytes.byteOffset + valueStart, j - valueStart).toString('utf8');
          const value = hasReference
            ? raw.replace(/&(amp|lt|quot|#x9|#xA|#xD);/g, (_, r: string) =>
                r === 'amp' ? '&' : r === 'lt' ? '<' : r === 'quot' ? '"' : r === '#x9' ? '\t' : r === '#xA' ? '\n' : '\r',
              )
            : raw;
          if (local === 'root') root = value;
          else extension = value;
        }
      } else {
        const uri = (own ?? parentScope).get(prefix); // the declarations came first: the element's scope is complete
        if (uri === undefined) fail(); // undeclared prefix
        if (lastUri !== undefined && (compare(lastUri, uri) > 0 || (lastUri === uri && compare(lastLocal, local) >= 0))) fail();
        lastUri = uri;
        lastLocal = local;
      }
      i = j + 1;
    }
    const elementScope = own ?? parentScope;
    if (reserved(latin1(nameStart, Math.min(end, nameStart + 3)))) fail();
    for (let k = nameStart; k < end; k += 1) {
      if (bytes[k] === COLON && !elementScope.has(latin1(nameStart, k))) fail(); // undeclared prefix
    }
    if (wantAuthorId && root === NATIONAL_ID_OID.ORGANISATION) {
      const finess = finessOfOrganisationId(extension ?? '');
      if (finess) authorFiness.push(finess);
    }
    open.push({ nameStart, nameEnd: end, scope: elementScope, authorPath: onPath });
    scope = elementScope;
    i += 1; // '>'
  }
  if (open.length > 0) fail(); // unclosed elements
  return { authorFiness };
}
