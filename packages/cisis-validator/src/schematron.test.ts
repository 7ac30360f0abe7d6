import { parseSvrl } from './schematron';

const SVRL = `<?xml version="1.0" encoding="UTF-8"?>
<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:active-pattern id="p1"/>
  <svrl:fired-rule context="cda:ClinicalDocument"/>
  <svrl:failed-assert test="count(cda:templateId)=1" id="a1" role="error" location="/Q{urn:hl7-org:v3}ClinicalDocument[1]">
    <svrl:text>Le templateId
      est obligatoire &amp; unique.</svrl:text>
  </svrl:failed-assert>
  <svrl:failed-assert test="cda:title" location="/Q{urn:hl7-org:v3}ClinicalDocument[1]">
    <svrl:text>Titre absent</svrl:text>
  </svrl:failed-assert>
  <svrl:successful-report test="cda:x" role="warning" location="/"><svrl:text>just a warning</svrl:text></svrl:successful-report>
  <svrl:successful-report test="cda:y" role="error" location="/"><svrl:text>forbidden element</svrl:text></svrl:successful-report>
</svrl:schematron-output>`;

describe('parseSvrl', () => {
  it('returns failed asserts and error reports, not warning reports', () => {
    const failures = parseSvrl(SVRL, 'L');
    expect(failures).toEqual([
      {
        layer: 'L',
        id: 'a1',
        test: 'count(cda:templateId)=1',
        role: 'error',
        location: '/cda:ClinicalDocument[1]',
        text: 'Le templateId est obligatoire & unique.',
      },
      { layer: 'L', id: 'cda:title', test: 'cda:title', location: '/cda:ClinicalDocument[1]', text: 'Titre absent' },
      { layer: 'L', id: 'cda:y', test: 'cda:y', role: 'error', location: '/', text: 'forbidden element' },
    ]);
  });

  it('returns nothing for a clean report', () => {
    expect(
      parseSvrl(
        '<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl"><svrl:fired-rule context="/"/></svrl:schematron-output>',
        'L',
      ),
    ).toEqual([]);
  });

  it('flags something that is not SVRL', () => {
    expect(parseSvrl('<html/>', 'L')).toHaveLength(1);
  });
});
