import { DOCUMENT_KINDS, LAYERS, detectKind, layersFor } from './layers';

describe('layersFor', () => {
  it('gives every kind the four header/profile layers', () => {
    for (const kind of DOCUMENT_KINDS) {
      const names = layersFor(kind).map((l) => l.name);
      expect(names).toEqual(
        expect.arrayContaining([LAYERS.ihe.name, LAYERS.modelesDeContenus.name, LAYERS.modelesAns.name, LAYERS.structurationMinimale.name]),
      );
    }
  });

  it('adds the volet rules to the structured documents only', () => {
    expect(layersFor('vaccination-note')).toContain(LAYERS.vaccinationNote);
    expect(layersFor('dispensation')).toContain(LAYERS.dispensation);
    expect(layersFor('medication-review')).toHaveLength(4);
    expect(layersFor('pharmaceutical-interview')).toHaveLength(4);
  });
});

describe('detectKind', () => {
  it('reads the ClinicalDocument code', () => {
    expect(
      detectKind('<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1"/><code code="60593-1" codeSystem="2.16.840.1.113883.6.1"/>'),
    ).toBe('dispensation');
    expect(detectKind('<cda:ClinicalDocument><cda:code code="78601-2"/>')).toBe('pharmaceutical-interview');
    expect(detectKind('<ClinicalDocument><code code="11488-4"/>')).toBeUndefined();
  });
});
