export { ValidatorError, type ValidatorErrorCode } from './errors';
export { cisisDir, cdaSchemaPath, KIT_COMMIT, KIT_REPOSITORY } from './kit';
export { DOCUMENT_KINDS, LAYERS, detectKind, layersFor, type DocumentKind, type SchematronLayer } from './layers';
export { compileLayer, countFiredRules, parseSvrl, type FailedAssertion, type SvrlFindings } from './schematron';
export {
  validateCorpus,
  validateDocuments,
  type DocumentGroup,
  type DocumentResult,
  type LayerRunSummary,
  type ValidateOptions,
  type ValidationReport,
} from './validate';
export { validateXsd } from './xsd';
