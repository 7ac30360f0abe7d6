export { AuthCliStore, AUTH_PASSPHRASE_ENV_PREFIX, type AuthCliStoreOptions, type ClientCredential } from './auth-cli';
export { deliver, signingX509, type DeliverDeps, type DeliveryResult } from './deliver';
export {
  ClientCertificateError,
  DmpDeliveryError,
  DmpRequestError,
  scrubDmpText,
  type ClientCertificateErrorCode,
  type TransportErrorCode,
} from './errors';
export { DmpHttpsTransport, type DmpTransportOptions, type HttpAnswer } from './https-transport';
export {
  buildIti41Request,
  CONTENT_IDS,
  ITI41_ACTION,
  ITI41_RESPONSE_ACTION,
  WSA_ANONYMOUS,
  WSA_NS,
  WSSE_NS,
  XDSB_NS,
  type Iti41Request,
  type Iti41RequestInput,
} from './iti41-request';
export {
  buildMtomMessage,
  headerParameter,
  MultipartError,
  parseMultipart,
  soapEnvelopeOf,
  SOAP12_NS,
  XOP_NS,
  type MimePart,
  type MtomAttachment,
  type MtomMessage,
  type ParsedMultipart,
} from './mtom';
export {
  classifyAnswer,
  DEFAULT_CLASSIFICATION,
  parseDmpAnswer,
  PARTIAL_SUCCESS,
  SUCCESS,
  type DeliveryVerdict,
  type DmpAnswer,
  type RegistryErrorInfo,
} from './registry-response';
export {
  buildVihfAssertion,
  issuerName,
  signVihf,
  vihfSubjectFromMetadata,
  PHARMACIST_SECTION_CODE_SYSTEM,
  PROFESSION_CODE_SYSTEM,
  SAML_NS,
  type VihfHash,
  type VihfInput,
  type VihfSigningKey,
  type VihfSoftware,
} from './vihf';
