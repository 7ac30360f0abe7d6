import type { Coded, DocumentKind } from './xds-metadata';

const LOINC = '2.16.840.1.113883.6.1';
/** TRE_A03 ClasseDocument */
const CLASS_SYSTEM = '1.2.250.1.213.1.1.4.1';
/** IHE format codes */
const IHE_FORMAT = '1.3.6.1.4.1.19376.1.2.3';

/** What distinguishes one document type in the header and the XDS metadata (REFERENCE §2, §5). */
export interface DocumentType {
  kind: DocumentKind;
  code: Coded;
  title: string;
  /** Header templateIds, in document order (1.2.250.1.213.1.1.1.1 exactly once) */
  templateIds: { root: string; extension?: string }[];
  classCode: Coded;
  formatCode: Coded;
}

const CISIS_BASE = [{ root: '2.16.840.1.113883.2.8.2.1' }, { root: '1.2.250.1.213.1.1.1.1' }];
/** A non-structured (level-1) CI-SIS document carries exactly these three (structuration minimale rule). */
const LEVEL1_TEMPLATES = [...CISIS_BASE, { root: '1.3.6.1.4.1.19376.1.2.20' }];
const PDF_FORMAT: Coded = {
  code: 'urn:ihe:iti:xds-sd:pdf:2008',
  codeSystem: IHE_FORMAT,
  displayName: 'Document à corps non structuré en Pdf/A-1',
};
// The class codes of 87273-9, 78601-2 and 56445-0 are unconfirmed (REFERENCE §5): keep them in this one table.
const COMPTE_RENDU: Coded = { code: '10', codeSystem: CLASS_SYSTEM, displayName: 'Compte rendu' };

export const DOCUMENT_TYPES: Record<DocumentKind, DocumentType> = {
  'vaccination-note': {
    kind: 'vaccination-note',
    code: { code: '87273-9', codeSystem: LOINC, displayName: 'Note de vaccination' },
    title: 'Note de vaccination',
    templateIds: [...CISIS_BASE, { root: '1.3.6.1.4.1.19376.1.5.3.1.1.18.1.2' }, { root: '1.2.250.1.213.1.1.1.46', extension: '2023.01' }],
    classCode: { code: '45', codeSystem: CLASS_SYSTEM, displayName: 'Traitement administré' },
    formatCode: { code: 'urn:asip:ci-sis:vac-note:2021', codeSystem: '1.2.250.1.213.1.1.4.2.282', displayName: 'Note de vaccination' },
  },
  dispensation: {
    kind: 'dispensation',
    code: { code: '60593-1', codeSystem: LOINC, displayName: 'Dispensation médicamenteuse' },
    title: 'Dispensation médicamenteuse',
    templateIds: [
      ...CISIS_BASE,
      { root: '1.3.6.1.4.1.19376.1.5.3.1.1.1' },
      { root: '1.3.6.1.4.1.19376.1.9.1.1.3' },
      { root: '1.2.250.1.213.1.1.1.54', extension: '2024.01' },
    ],
    classCode: { code: '43', codeSystem: CLASS_SYSTEM, displayName: 'Dispensation' },
    formatCode: { code: 'urn:ihe:pharm:dis:2010', codeSystem: IHE_FORMAT, displayName: 'Dispensation médicamenteuse' },
  },
  'medication-review': {
    kind: 'medication-review',
    code: { code: '56445-0', codeSystem: LOINC, displayName: 'Bilan médicamenteux (Officine)' },
    title: 'Bilan partagé de médication',
    templateIds: LEVEL1_TEMPLATES,
    classCode: COMPTE_RENDU,
    formatCode: PDF_FORMAT,
  },
  'pharmaceutical-interview': {
    kind: 'pharmaceutical-interview',
    code: { code: '78601-2', codeSystem: LOINC, displayName: "CR d'entretien pharmaceutique" },
    title: "Compte rendu d'entretien pharmaceutique",
    templateIds: LEVEL1_TEMPLATES,
    classCode: COMPTE_RENDU,
    formatCode: PDF_FORMAT,
  },
};
