import { parseXmllintOutput } from './xsd';

describe('parseXmllintOutput', () => {
  const a = '/tmp/d/a.xml';
  const b = '/tmp/d/a.xml.bak.xml';
  const c = '/tmp/d/c.xml';

  it('attributes errors to their file and keeps valid files empty', () => {
    const out = [
      '/kit/x.xsd:56: element import: Schemas parser warning : Skipping import',
      `${a}:43: element confidentialityCode: Schemas validity error : Element 'confidentialityCode': This element is not expected.`,
      `${a} fails to validate`,
      `${b} validates`,
      `${c}:3: parser error : Opening and ending tag mismatch: x line 2 and y`,
      '</y>',
      '   ^',
      `${c} fails to validate`,
    ].join('\n');
    const result = parseXmllintOutput([a, b, c], out);
    expect(result.get(a)).toEqual([
      `${a}:43: element confidentialityCode: Schemas validity error : Element 'confidentialityCode': This element is not expected.`,
    ]);
    expect(result.get(b)).toEqual([]);
    expect(result.get(c)).toHaveLength(3);
  });

  it('reports a file xmllint said nothing about', () => {
    expect(parseXmllintOutput([a], '').get(a)).toEqual(['xmllint gave no verdict for this file']);
  });
});
