export * from './algorithms';
export {
  certificatesFromPem,
  chainError,
  checkCredentialDates,
  finessFromSubject,
  isFiness,
  loadTrustAnchors,
  readPkcs12,
  type CertificateInfo,
  type Pkcs12Contents,
  type SigningCertificate,
  type SigningCredential,
  type Validity,
} from './certificate';
export * from './errors';
export { checkCanonicalBytes } from './canonical-bytes';
export { expiriesOfPharmacies } from './pharmacy-files';
export { DEFAULT_ROTATION_CHECK_MS, KeyStore, PASSPHRASE_ENV_PREFIX, type KeyStoreOptions } from './key-store';
export { SUBMISSION_SET_NAMESPACE, isOid, submissionSetIdFor } from './submission-set-id';
export {
  MANIFEST_ID,
  PLACEHOLDER_DIGEST,
  PURPOSE_SOURCE,
  authorFinessOf,
  signSubmission,
  type SignSubmissionInput,
  type SignedSubmission,
} from './xades';
export { verifySubmissionSignature, type VerificationResult, type VerifyOptions } from './verify';
