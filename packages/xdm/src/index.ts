export { XdmError, type XdmErrorCode } from './errors';
export { XDS, NS } from './xds-uuids';
export {
  buildSubmissionSetMetadata,
  deriveSignatureUniqueId,
  xdsHashAndSize,
  DSG,
  OBJECT_IDS,
  type SubmissionSetInfo,
  type SignatureEntryInput,
  type SubmissionSetMetadataInput,
} from './submission-set';
export {
  buildXdmArchive,
  readXdmArchive,
  XDM_PATHS,
  type XdmProducer,
  type XdmArchiveInput,
  type XdmArchiveContents,
  type XdmDocumentEntry,
} from './xdm-archive';
