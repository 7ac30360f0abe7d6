import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { seedFastCheck } from '../../../test/support/seed';
import { checkCanonicalBytes } from './canonical-bytes';
import { canonicalizeDocument, parseXml } from './canonical-xml';
import { canonicalizeInclusive } from './inclusive-c14n';

seedFastCheck(); // FC_SEED replays a run of the property tests below

const CISIS_DIR = process.env.CISIS_DIR ?? resolve(__dirname, '../../../../shared/spec/cisis');
const SAMPLES = [
  join(CISIS_DIR, 'ExemplesCDA/VAC-NOTE_2023.01.xml'),
  join(CISIS_DIR, 'ExemplesCDA/VAC_2023.01.xml'),
  join(CISIS_DIR, 'ExemplesCDA/eDISP-MED_2024.01.xml'),
  join(resolve(CISIS_DIR, '../dmp'), 'TD2.1-DocumentME2.xml'),
];

const check = (xml: string) => checkCanonicalBytes(Buffer.from(xml, 'utf8'));
const canonicalOf = (xml: string) => canonicalizeInclusive(xml, false)?.canonical;
const domC14n = (xml: string) => {
  try {
    return canonicalizeDocument(parseXml(xml, 'document'), 'c14n');
  } catch {
    return undefined;
  }
};

/** What the check accepts must be its own canonical form, by both canonicalisers. */
function expectSound(xml: string): void {
  if (check(xml) === undefined) return;
  expect(canonicalOf(xml)).toBe(xml);
  expect(domC14n(xml)).toBe(xml);
}

const CANONICAL =
  '<r xmlns="urn:d" xmlns:p="urn:p" a="1&#x9;&#xA;&#xD;" b="&amp;&lt;&quot;>\'" p:c="x">\n' +
  '  <p:e xmlns="" xmlns:q="urn:q" q:z="1">t&amp;&lt;&gt;&#xD; é 漢 😀</p:e>\t<empty></empty>\n</r>';

describe('checkCanonicalBytes (the signer digests bytes already canonical as they are)', () => {
  it('accepts canonical documents, and they are their own C14N by both canonicalisers', () => {
    expect(check(CANONICAL)).toEqual({ authorFiness: [] });
    expect(canonicalOf(CANONICAL)).toBe(CANONICAL);
    expect(domC14n(CANONICAL)).toBe(CANONICAL);
  });

  it.each(SAMPLES)('accepts the canonical form of %s and finds its author organisations like the canonicaliser', (path) => {
    // Without the processing instructions (stylesheets) some samples carry before the root: the check refuses them.
    const result = canonicalizeInclusive(readFileSync(path, 'utf8').replace(/<\?[^?]*\?>/g, ''), false);
    expect(result).toBeDefined();
    const canonical = result?.canonical as string;
    expect(check(canonical)).toEqual({ authorFiness: result?.authorFiness });
  });

  it('finds the FINESS of the author organisation', () => {
    const doc =
      '<ClinicalDocument xmlns="urn:hl7-org:v3"><author><assignedAuthor><representedOrganization>' +
      '<id extension="1750100208" root="1.2.250.1.71.4.2.2"></id><id extension="1999" root="1.2.3"></id>' +
      '</representedOrganization></assignedAuthor></author><custodian><id extension="1750100216" root="1.2.250.1.71.4.2.2"></id></custodian></ClinicalDocument>';
    expect(check(doc)).toEqual({ authorFiness: ['750100208'] });
    expect(check(doc)).toEqual({ authorFiness: canonicalizeInclusive(doc, false)?.authorFiness });
  });

  it.each([
    ['an XML declaration', '<?xml version="1.0" encoding="UTF-8"?><r></r>'],
    ['a byte order mark', '\uFEFF<r></r>'],
    ['white space before the root', ' <r></r>'],
    ['a line end after the root', '<r></r>\n'],
    ['a self-closing tag', '<r><a/></r>'],
    ['attributes out of order', '<r b="1" a="2"></r>'],
    ['a namespaced attribute before a plain one', '<r xmlns:p="urn:p" p:a="1" b="2"></r>'],
    ['namespaced attributes out of URI order', '<r xmlns:p="urn:b" xmlns:q="urn:a" p:a="1" q:a="2"></r>'],
    ['a declaration after an attribute', '<r a="1" xmlns="urn:x"></r>'],
    ['declarations out of order', '<r xmlns:q="urn:q" xmlns:p="urn:p"></r>'],
    ['a superfluous declaration', '<r xmlns="urn:x"><a xmlns="urn:x"></a></r>'],
    ['xmlns="" outside a default namespace', '<r><a xmlns=""></a></r>'],
    ['a duplicate attribute', '<r a="1" a="2"></r>'],
    ['the same attribute through two prefixes', '<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"></r>'],
    ['single quotes', "<r a='1'></r>"],
    ['two spaces between attributes', '<r a="1"  b="2"></r>'],
    ['white space in an end tag', '<r></r >'],
    ['a carriage return', '<r>a\rb</r>'],
    ['a tab in an attribute', '<r a="a\tb"></r>'],
    ['a line feed in an attribute', '<r a="a\nb"></r>'],
    ['a raw ">" in text', '<r>a>b</r>'],
    ['a character reference', '<r>&#233;</r>'],
    ['&apos;', '<r>&apos;</r>'],
    ['&quot; in text', '<r>&quot;</r>'],
    ['&gt; in an attribute', '<r a="&gt;"></r>'],
    ['a comment', '<r><!-- c --></r>'],
    ['a processing instruction', '<r><?pi x?></r>'],
    ['a CDATA section', '<r><![CDATA[x]]></r>'],
    ['a DOCTYPE', '<!DOCTYPE r><r></r>'],
    ['mismatched tags', '<r><a></b></r>'],
    ['an undeclared element prefix', '<r><p:a></p:a></r>'],
    ['an undeclared attribute prefix', '<r p:a="1"></r>'],
    ['an unclosed root', '<r><a></a>'],
    ['two roots', '<r></r><r></r>'],
    ['a control character', '<r>\u0001</r>'],
    ['U+FFFF', '<r>\uffff</r>'],
    ['a non-ASCII name (left to the canonicaliser)', '<é></é>'],
    ['an empty document', ''],
    ['an attribute name reserved by Namespaces in XML', '<r xmlnsq="urn:one"></r>'],
    ['an attribute name reserved in another case', '<r XMLa="1"></r>'],
    ['an element name reserved by Namespaces in XML', '<r><xmlish></xmlish></r>'],
  ])('refuses %s (the signer then canonicalises)', (_name, xml) => {
    expect(check(xml)).toBeUndefined();
  });

  it('orders namespaced attributes by URI, then local name, when one URI is a prefix of another (libxml2 agrees)', () => {
    // The DOM canonicaliser once compared URI + local name concatenated ("urn:x1" after "urn:aqc").
    const xml = '<r xmlns:p="urn:" xmlns:q="urn:aq" p:x1="1" q:c="2"></r>';
    expect(check(xml)).toEqual({ authorFiness: [] });
    expect(canonicalOf(xml)).toBe(xml);
    expect(domC14n(xml)).toBe(xml);
    expect(domC14n('<r xmlns:q="urn:aq" xmlns:p="urn:" q:c="2" p:x1="1"/>')).toBe(xml);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(checkCanonicalBytes(Buffer.from([0x3c, 0x72, 0x3e, 0xff, 0x3c, 0x2f, 0x72, 0x3e]))).toBeUndefined();
    expect(checkCanonicalBytes(Buffer.from('<r>é</r>', 'latin1'))).toBeUndefined();
  });

  it('accepts the canonical form of generated documents, and only what is canonical when they are altered', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'id', 'code', 'x1');
    const prefix = fc.constantFrom('', 'p', 'q');
    const text = fc.stringMatching(/^[a-zé &<>"'\t\n\r\]]{0,12}$/);
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');
    type Node = {
      tag: string;
      pfx: string;
      attrs: Array<[string, string, string]>;
      ns: Array<[string, string]>;
      children: Array<Node | string>;
    };
    const node: fc.Memo<Node> = fc.memo((depth) =>
      fc.record({
        tag: name,
        pfx: prefix,
        attrs: fc.uniqueArray(fc.tuple(prefix, name, text), { maxLength: 4, selector: ([, n]) => n }),
        ns: fc.uniqueArray(fc.tuple(prefix, fc.constantFrom('urn:one', 'urn:two', '')), { maxLength: 3, selector: ([p]) => p }),
        children: depth <= 1 ? fc.array(text, { maxLength: 2 }) : fc.array(fc.oneof(text, node(depth - 1)), { maxLength: 4 }),
      }),
    );
    const render = (n: Node): string => {
      const decl = n.ns
        .filter(([p, uri]) => p === '' || uri !== '')
        .map(([p, uri]) => (p ? ` xmlns:${p}="${uri}"` : ` xmlns="${uri}"`))
        .join('');
      const qname = (p: string, local: string) => (p ? `${p}:${local}` : local);
      const attrs = n.attrs.map(([p, local, value]) => ` ${qname(p, local)}="${escape(value)}"`).join('');
      const inner = n.children.map((c) => (typeof c === 'string' ? escape(c).replace(/>/g, '&gt;') : render(c))).join('');
      return `<${qname(n.pfx, n.tag)}${decl}${attrs}>${inner}</${qname(n.pfx, n.tag)}>`;
    };
    // An alteration: one character inserted, removed or replaced, among those that make or break canonical form.
    const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'remove', 'replace'), fc.constantFrom(...'<>/&;"=: \t\r\nab#x'.split('')));
    fc.assert(
      fc.property(node(3), fc.array(edit, { minLength: 1, maxLength: 3 }), (root, edits) => {
        const xml = render({ ...root, ns: [['p', 'urn:p'], ['q', 'urn:q'], ...root.ns.filter(([p]) => p === '')] });
        const canonical = canonicalOf(xml);
        if (canonical === undefined) return; // not namespace-well-formed (xmlns="" games): nothing to sign
        expect(check(canonical)).toBeDefined();
        expectSound(xml);
        let altered = canonical;
        for (const [at, kind, c] of edits) {
          const i = at % (altered.length + 1);
          altered =
            kind === 'insert'
              ? altered.slice(0, i) + c + altered.slice(i)
              : altered.slice(0, i) + (kind === 'replace' ? c : '') + altered.slice(i + 1);
        }
        expectSound(altered);
      }),
      { numRuns: 500 },
    );
  });
});
