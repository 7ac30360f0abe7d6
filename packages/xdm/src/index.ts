export { XdmError, type XdmErrorCode } from './errors';
export { XDS, NS } from './xds-uuids';
export {
  buildSubmissionSetMetadata,
  DocumentSubmissionSet,
  deriveSignatureUniqueId,
  xdsHashAndSize,
  DSG,
  OBJECT_IDS,
  type SubmissionSetInfo,
  type SignatureEntryInput,
  type SubmissionSetMetadataInput,
  type DocumentSubmissionSetInput,
} from './submission-set';
export {
  buildXdmArchive,
  readXdmArchive,
  XdmDocument,
  type XdmDocumentInput,
  XDM_PATHS,
  type XdmProducer,
  type XdmArchiveInput,
  type XdmArchiveContents,
  type XdmDocumentEntry,
} from './xdm-archive';
