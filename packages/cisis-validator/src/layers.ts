/** The document types Passerelle produces. */
export const DOCUMENT_KINDS = ['vaccination-note', 'dispensation', 'medication-review', 'pharmaceutical-interview'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** One schematron of the CI-SIS kit, run as a whole (all its phases' patterns, default phase). */
export interface SchematronLayer {
  /** Short name used in reports. */
  name: string;
  /** Path of the .sch relative to the kit root (CISIS_DIR). */
  schematron: string;
  /**
   * The layer has rules on the CDA header, so some rule fires on every document of a kind it applies to; when
   * none does, the layer saw nothing it knows (wrong namespace, wrong root) and its "pass" is vacuous.
   * False for the layers whose rules only target sections and entries: IHE (IHE PCC content modules, absent from
   * level-1 documents) and CI-SIS_Modeles_ANS (ANS entry models, which these document types do not use).
   */
  firesOnEveryDocument: boolean;
}

/** Every layer the project runs. The terminology schematron is left out: it needs RDF files the kit copy lacks. */
export const LAYERS = {
  ihe: { name: 'IHE', schematron: 'schematrons/profils/IHE.sch', firesOnEveryDocument: false },
  modelesDeContenus: {
    name: 'CI-SIS_ModelesDeContenusCDA',
    schematron: 'schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch',
    firesOnEveryDocument: true,
  },
  modelesAns: {
    name: 'CI-SIS_Modeles_ANS',
    schematron: 'schematrons/profils/CI-SIS_Modeles_ANS.sch',
    firesOnEveryDocument: false,
  },
  structurationMinimale: {
    name: 'StructurationMinimale',
    schematron: 'schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch',
    firesOnEveryDocument: true,
  },
  vaccinationNote: {
    name: 'VAC-NOTE_2023.01',
    schematron: 'schematrons/CI-SIS_VAC-NOTE_2023.01.sch',
    firesOnEveryDocument: true,
  },
  dispensation: {
    name: 'eDISP-MED_2024.01',
    schematron: 'schematrons/CI-SIS_eDISP-MED_2024.01.sch',
    firesOnEveryDocument: true,
  },
} as const satisfies Record<string, SchematronLayer>;

const COMMON: SchematronLayer[] = [LAYERS.ihe, LAYERS.modelesDeContenus, LAYERS.modelesAns, LAYERS.structurationMinimale];

/**
 * The schematron layers that apply to a document kind: the header and profile rules for all,
 * plus the volet's own rules for the two structured documents.
 */
export function layersFor(kind: DocumentKind): SchematronLayer[] {
  switch (kind) {
    case 'vaccination-note':
      return [...COMMON, LAYERS.vaccinationNote];
    case 'dispensation':
      return [...COMMON, LAYERS.dispensation];
    case 'medication-review':
    case 'pharmaceutical-interview':
      return [...COMMON];
  }
}

/** LOINC document codes (ClinicalDocument/code) of each kind, used to recognise a document's kind. */
export const KIND_BY_LOINC: Readonly<Record<string, DocumentKind>> = {
  '87273-9': 'vaccination-note',
  '60593-1': 'dispensation',
  '56445-0': 'medication-review',
  '78601-2': 'pharmaceutical-interview',
};

/**
 * Recognises a document's kind from its ClinicalDocument/code (the first `<code>` of the document, which the
 * CDA schema places before any body), or undefined when it is none of Passerelle's types.
 */
export function detectKind(xml: string): DocumentKind | undefined {
  const match = /<(?:[\w-]+:)?code\b[^>]*?\bcode\s*=\s*"([^"]+)"/.exec(xml);
  return match?.[1] !== undefined ? KIND_BY_LOINC[match[1]] : undefined;
}
