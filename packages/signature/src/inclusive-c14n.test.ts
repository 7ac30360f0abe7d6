import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { seedFastCheck } from '../../../test/support/seed';
import { runTool } from '../../../test/support/tools';
import { canonicalizeDocument, parseXml } from './canonical-xml';
import { canonicalizeInclusive } from './inclusive-c14n';
import { canonicalDocument } from './xades';

seedFastCheck(); // FC_SEED replays a run of the property test below

const CISIS_DIR = process.env.CISIS_DIR ?? resolve(__dirname, '../../../../shared/spec/cisis');
const SAMPLES = [
  join(CISIS_DIR, 'ExemplesCDA/VAC-NOTE_2023.01.xml'),
  join(CISIS_DIR, 'ExemplesCDA/VAC_2023.01.xml'),
  join(CISIS_DIR, 'ExemplesCDA/eDISP-MED_2024.01.xml'),
  join(resolve(CISIS_DIR, '../dmp'), 'TD2.1-DocumentME2.xml'),
];

/** Every construct the fast path handles, several in their awkward forms. */
const TRICKY = [
  '<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- before -->\r\n<?pi-before  some data ?>\n',
  '<r:root xmlns:r="urn:r" xmlns="urn:d" b="2" a="1&#9;x&#10;y" r:z="3" xmlns:a="urn:a" a:y="4">\r\n',
  '  <child xmlns="urn:d" xmlns:r="urn:r" attr="  sp\tace\nnl " e="&amp;&lt;&gt;&quot;&apos;" q=\'a"b\' gt="x>y">',
  't&amp;x&#233;&#x1F600; &gt; ]&gt; </child>\n',
  '  <empty/><e2 xmlns=""><inner xmlns="urn:x"/></e2>\n',
  '  <![CDATA[ <cdata> & ]]]]><![CDATA[> ]]>\n',
  '  <!-- inside <c> & -->\n  <?pi inside?><?pi2?>\n',
  '  <a:el a:q="1" q="2" xmlns:b="urn:a" b:w="0"/>\n',
  '  <éléments attr="é">ü</éléments>\r</r:root>\n<!-- after -->\n<?pi-after?>\n',
].join('');

function xmllintC14n(xml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'c14n-'));
  try {
    writeFileSync(join(dir, 'doc.xml'), xml);
    const run = runTool('xmllint', ['--c14n', join(dir, 'doc.xml')]);
    if (run.status !== 0) throw new Error(`xmllint --c14n exited with ${run.status}: ${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const domC14n = (xml: string, withComments: boolean) =>
  canonicalizeDocument(parseXml(xml.replace(/^\uFEFF/, ''), 'document'), withComments ? 'c14n-with-comments' : 'c14n');

describe('canonicalizeInclusive (the one-pass C14N of the signing hot path)', () => {
  it.each([...SAMPLES.map((path) => [path, readFileSync(path, 'utf8')]), ['tricky constructs', TRICKY]])(
    'equals libxml2 (xmllint --c14n) and the DOM path on %s',
    (_name, xml) => {
      const withComments = canonicalizeInclusive(xml, true);
      const withoutComments = canonicalizeInclusive(xml, false);
      expect(withComments).toBeDefined();
      expect(withComments?.canonical).toBe(xmllintC14n(xml));
      expect(withComments?.canonical).toBe(domC14n(xml, true));
      expect(withoutComments?.canonical).toBe(domC14n(xml, false));
      expect(withoutComments?.canonical).not.toContain('<!--');
    },
  );

  it('finds the author organisations like the DOM path', () => {
    for (const path of SAMPLES) {
      const xml = readFileSync(path, 'utf8');
      const doc = parseXml(xml.replace(/^\uFEFF/, ''), 'document');
      const { authorFinessOf } = jest.requireActual<typeof import('./xades')>('./xades');
      expect(canonicalizeInclusive(xml, false)?.authorFiness).toEqual(authorFinessOf(doc));
    }
    expect(canonicalizeInclusive(readFileSync(SAMPLES[2] as string, 'utf8'), false)?.authorFiness).toEqual(['750512345']);
  });

  it.each([
    ['a DOCTYPE (may declare entities and default attributes)', '<!DOCTYPE r [<!ATTLIST r a CDATA "x">]><r/>'],
    ['mismatched tags', '<r><a></b></r>'],
    ['an undeclared prefix', '<r><p:a/></r>'],
    ['a duplicate attribute', '<r a="1" a="2"/>'],
    ['the same attribute through two prefixes', '<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>'],
    ['an unknown entity', '<r>&nbsp;</r>'],
    ['text after the root', '<r/>text'],
    ['two roots', '<r/><r/>'],
    ['an unclosed root', '<r><a/>'],
    ['an invalid character reference', '<r>&#0;</r>'],
    ['attributes without white space between them', '<r a="1"b="2"/>'],
  ])('leaves %s to the DOM path', (_name, xml) => {
    expect(canonicalizeInclusive(xml, false)).toBeUndefined();
  });

  it('the DOM path refuses what is malformed, so nothing malformed is signed', () => {
    for (const xml of ['<r><a></b></r>', '<r><p:a/></r>', '<r a="1" a="2"/>', '<r/>text', '<r><a/>']) {
      expect(() => canonicalDocument(xml, 'c14n')).toThrow(expect.objectContaining({ code: 'DOCUMENT_NOT_XML' }));
    }
  });

  it('equals the DOM path on generated documents', () => {
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
    fc.assert(
      fc.property(node(3), (root) => {
        // Bind p and q at the root so generated prefixes are declared; inner declarations re-bind them. Attribute local
        // names are unique per element: xmldom accepts p:a and q:a bound to one namespace (not namespace-well-formed)
        // and xml-crypto then drops one, whereas the fast path refuses it (tested above).
        const xml = render({ ...root, ns: [['p', 'urn:p'], ['q', 'urn:q'], ...root.ns.filter(([p]) => p === '')] });
        let dom: string | undefined;
        try {
          dom = domC14n(xml, false);
        } catch {
          dom = undefined; // e.g. a prefix undeclared by xmlns="" games: the fast path must not accept it either
        }
        const fast = canonicalizeInclusive(xml, false);
        if (dom === undefined) expect(fast).toBeUndefined();
        else expect(fast?.canonical).toBe(dom);
      }),
      { numRuns: 300 },
    );
  });
});
