/**
 * A one-pass canonicaliser for whole documents under inclusive C14N 1.0 (with or without comments): the hot path
 * of signing, where parsing a 25 KB CDA into a DOM and walking it costs ten times the RSA signature.
 *
 * It reads the XML text directly and handles the constructs documents are made of (elements, attributes,
 * namespace declarations, character and predefined entity references, CDATA sections, comments, processing
 * instructions, line ends). Whenever it meets anything else, or anything malformed (a DOCTYPE, which may declare
 * default attributes or entities, an undeclared prefix, a duplicate attribute, an unknown entity, mismatched tags,
 * text after the root), it returns undefined and the caller falls back to the DOM path (@xmldom/xmldom +
 * xml-crypto's C14N), which either canonicalises or refuses the document. Tests hold it to byte equality with
 * libxml2 (`xmllint --c14n`) and with the DOM path, and xmlsec1 checks the digests it produces.
 *
 * On the way it collects the FINESS of the document's author organisations (ClinicalDocument/author/
 * assignedAuthor/representedOrganization/id, root 1.2.250.1.71.4.2.2, extension `1` + FINESS), so that the
 * signer needs no second pass.
 */
import { finessOfOrganisationId, NATIONAL_ID_OID } from '@passerelle/identifiers';

export interface InclusiveC14nResult {
  canonical: string;
  authorFiness: string[];
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const AUTHOR_ID_PATH = ['ClinicalDocument', 'author', 'assignedAuthor', 'representedOrganization', 'id'];

// The next piece of markup: end tag, start tag (attribute values may hold '>'), comment, PI, CDATA, or other `<!`.
const MARKUP =
  /<(?:\/([^\s/>]+)\s*>|([^\s/>!?]+)((?:[^>"'\/]|"[^"]*"|'[^']*'|\/(?!>))*)(\/?)>|!--([\s\S]*?)-->|\?([^\s?]+)([\s\S]*?)\?>|!\[CDATA\[([\s\S]*?)\]\]>|(!|\/|\?))/g;
const ATTRIBUTE = /[ \t\n]+([^\s="'<>/]+)[ \t\n]*=[ \t\n]*(?:"([^"]*)"|'([^']*)')/y;
const NAME = /^[A-Za-z_\u00C0-\uFFFF][-A-Za-z0-9._\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][-A-Za-z0-9._\u00B7\u00C0-\uFFFF]*)?$/;

class Unsupported extends Error {}

function fail(): never {
  throw new Unsupported();
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** Replaces character and predefined entity references by their characters. */
function expandReferences(text: string): string {
  let amp = text.indexOf('&');
  if (amp < 0) return text;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semi = text.indexOf(';', amp);
    if (semi < 0) fail();
    const ref = text.slice(amp + 1, semi);
    let value: string;
    if (ref === 'amp') value = '&';
    else if (ref === 'lt') value = '<';
    else if (ref === 'gt') value = '>';
    else if (ref === 'quot') value = '"';
    else if (ref === 'apos') value = "'";
    else if (/^#x[0-9A-Fa-f]+$/.test(ref) || /^#[0-9]+$/.test(ref)) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!isXmlChar(code)) fail();
      value = String.fromCodePoint(code);
    } else {
      fail();
    }
    out += text.slice(from, amp) + value;
    from = semi + 1;
    amp = text.indexOf('&', from);
  }
  return out + text.slice(from);
}

function escapeText(text: string): string {
  return /[&<>\r]/.test(text)
    ? text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'))
    : text;
}

function escapeAttribute(value: string): string {
  return /[&<"\t\n\r]/.test(value)
    ? value.replace(/[&<"\t\n\r]/g, (c) =>
        c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : c === '\t' ? '&#x9;' : c === '\n' ? '&#xA;' : '&#xD;',
      )
    : value;
}

/** Code-unit order, as C14N sorts (by namespace URI then local name; namespace nodes by local name). */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Attribute {
  qname: string;
  prefix: string;
  local: string;
  value: string;
}

/**
 * Inclusive C14N 1.0 of a whole document, or undefined when the text holds a construct this fast path leaves to
 * the DOM path.
 */
export function canonicalizeInclusive(xml: string, withComments: boolean): InclusiveC14nResult | undefined {
  try {
    return scan(xml, withComments);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function scan(input: string, withComments: boolean): InclusiveC14nResult {
  let xml = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (xml.includes('\r')) xml = xml.replace(/\r\n?/g, '\n'); // XML end-of-line handling
  const out: string[] = [];
  const authorFiness: string[] = [];
  const openNames: string[] = [];
  const openLocals: string[] = [];
  // Namespace bindings in scope, one map per open element (shared with the parent until the element declares).
  const scopes: Array<Map<string, string>> = [new Map([['xml', XML_NS]])];
  let seenRoot = false;
  let rootClosed = false;
  let pos = 0;

  if (xml.startsWith('<?xml') && /[ \t\n?]/.test(xml[5] ?? '')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail();
    pos = end + 2;
  }

  const markup = MARKUP; // module-level and stateful (lastIndex): scan is synchronous, so never re-entered
  markup.lastIndex = pos;
  for (;;) {
    const match = markup.exec(xml);
    const textEnd = match ? match.index : xml.length;
    const inRoot = openNames.length > 0;
    if (textEnd > pos) {
      const text = xml.slice(pos, textEnd);
      if (inRoot) {
        let canonical = text.indexOf('&') >= 0 ? expandReferences(text) : text;
        if (text.indexOf('>') >= 0) {
          if (text.includes(']]>')) fail();
          canonical = escapeText(canonical);
        } else if (canonical !== text) {
          canonical = escapeText(canonical);
        }
        out.push(canonical);
      } else if (/[^ \t\n]/.test(text)) {
        fail(); // character data outside the document element, or a stray '<'
      }
    }
    if (!match) break;
    pos = markup.lastIndex;
    const [, endName, startName, attributeText, selfClosing, comment, piTarget, piRest, cdata, other] = match;
    if (other !== undefined) fail(); // DOCTYPE (may declare entities and default attributes) or malformed markup
    if (endName !== undefined) {
      if (openNames.pop() !== endName) fail();
      openLocals.pop();
      scopes.pop();
      out.push(`</${endName}>`);
      if (openNames.length === 0) rootClosed = true;
      continue;
    }
    if (comment !== undefined) {
      if (comment.includes('--') || comment.endsWith('-')) fail();
      if (withComments) {
        if (inRoot) out.push(`<!--${comment}-->`);
        else out.push(seenRoot ? `\n<!--${comment}-->` : `<!--${comment}-->\n`);
      }
      continue;
    }
    if (piTarget !== undefined) {
      if (piTarget.toLowerCase() === 'xml' || !NAME.test(piTarget) || piTarget.includes(':')) fail();
      const rest = piRest ?? '';
      if (rest.length > 0 && !/^[ \t\n]/.test(rest)) fail();
      const data = rest.replace(/^[ \t\n]+/, '');
      const pi = data ? `<?${piTarget} ${data}?>` : `<?${piTarget}?>`;
      if (inRoot) out.push(pi);
      else out.push(seenRoot ? `\n${pi}` : `${pi}\n`);
      continue;
    }
    if (cdata !== undefined) {
      if (!inRoot) fail();
      out.push(escapeText(cdata));
      continue;
    }
    // A start tag.
    const qname = startName as string;
    if (rootClosed || (!inRoot && seenRoot) || !NAME.test(qname)) fail();
    seenRoot = true;
    const attributes: Attribute[] = [];
    let declarations: Map<string, string> | undefined;
    const attrText = attributeText as string;
    if (attrText.length > 0) {
      ATTRIBUTE.lastIndex = 0;
      let consumed = 0;
      for (let a = ATTRIBUTE.exec(attrText); a; a = ATTRIBUTE.exec(attrText)) {
        consumed = ATTRIBUTE.lastIndex;
        const name = a[1] as string;
        const literal = a[2] ?? (a[3] as string);
        if (literal.indexOf('<') >= 0 || !NAME.test(name)) fail();
        // Attribute-value normalisation (no DTD: every attribute is CDATA): literal white space becomes a space.
        let value = literal;
        if (value.indexOf('\t') >= 0 || value.indexOf('\n') >= 0) value = value.replace(/[\t\n]/g, ' ');
        if (value.indexOf('&') >= 0) value = expandReferences(value);
        if (name === 'xmlns' || name.startsWith('xmlns:')) {
          const prefix = name === 'xmlns' ? '' : name.slice(6);
          declarations ??= new Map();
          if (declarations.has(prefix) || prefix === 'xml' || prefix === 'xmlns' || (prefix !== '' && value === '')) fail();
          declarations.set(prefix, value);
        } else {
          const colon = name.indexOf(':');
          attributes.push({
            qname: name,
            prefix: colon < 0 ? '' : name.slice(0, colon),
            local: colon < 0 ? name : name.slice(colon + 1),
            value,
          });
        }
      }
      if (/[^ \t\n]/.test(attrText.slice(consumed))) fail();
    }

    const parentScope = scopes[scopes.length - 1] as Map<string, string>;
    let scope = parentScope;
    let tag = `<${qname}`;
    if (declarations) {
      scope = new Map(parentScope);
      const rendered: Array<[string, string]> = [];
      for (const [prefix, uri] of declarations) {
        const inherited = parentScope.get(prefix) ?? '';
        // A declaration the parent already has is superfluous; xmlns="" only matters under a default namespace.
        if (inherited !== uri) rendered.push([prefix, uri]);
        if (uri === '') scope.delete(prefix);
        else scope.set(prefix, uri);
      }
      rendered.sort((x, y) => compare(x[0], y[0]));
      for (const [prefix, uri] of rendered)
        tag += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
    }
    const colon = qname.indexOf(':');
    if (colon >= 0 && !scope.has(qname.slice(0, colon))) fail(); // undeclared element prefix
    if (attributes.length === 1 && (attributes[0] as Attribute).prefix === '') {
      const only = attributes[0] as Attribute;
      tag += ` ${only.qname}="${escapeAttribute(only.value)}"`;
    } else if (attributes.length > 0) {
      const keyed = attributes.map((attribute) => {
        let uri = '';
        if (attribute.prefix !== '') {
          const bound = scope.get(attribute.prefix);
          if (bound === undefined) fail(); // undeclared attribute prefix
          uri = bound;
        }
        return { uri, attribute };
      });
      keyed.sort((x, y) => compare(x.uri, y.uri) || compare(x.attribute.local, y.attribute.local));
      for (let i = 0; i < keyed.length; i += 1) {
        const current = keyed[i] as (typeof keyed)[number];
        const previous = keyed[i - 1];
        if (previous && previous.uri === current.uri && previous.attribute.local === current.attribute.local) fail(); // duplicate
        tag += ` ${current.attribute.qname}="${escapeAttribute(current.attribute.value)}"`;
      }
    }
    tag += '>';
    out.push(tag);

    const local = colon < 0 ? qname : qname.slice(colon + 1);
    if (local === 'id' && openLocals.length === AUTHOR_ID_PATH.length - 1 && openLocals.every((name, i) => name === AUTHOR_ID_PATH[i])) {
      const root = attributes.find((a) => a.qname === 'root')?.value;
      const extension = attributes.find((a) => a.qname === 'extension')?.value ?? '';
      const finess = root === NATIONAL_ID_OID.ORGANISATION ? finessOfOrganisationId(extension) : undefined;
      if (finess) authorFiness.push(finess);
    }
    if (selfClosing) {
      out.push(`</${qname}>`);
      if (!inRoot) rootClosed = true;
    } else {
      openNames.push(qname);
      openLocals.push(local);
      scopes.push(scope);
    }
  }
  if (!seenRoot || openNames.length > 0) fail();
  return { canonical: out.join(''), authorFiness };
}
