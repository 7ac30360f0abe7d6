export { MssError, type MssErrorCode, type SmtpFailure } from './errors';
export { checkClientCredential, loadClientCredential, type ClientCertificateSource, type ClientCredential } from './client-certificate';
export {
  PATIENT_DOMAIN,
  XDM_ATTACHMENT,
  checkMessage,
  checkPatientRecipients,
  isMssanteAddress,
  isPatientMailbox,
  mailOptions,
  messageIdFor,
  type MailFor,
  type PatientCheckOptions,
} from './mail';
export { classifySmtpFailure, queueIdOf, type TransportFailure } from './smtp-outcome';
export { deliverMessage, type DeliveryDeps, type DeliveryOptions, type RecipientOutcome, type SmtpSettings } from './deliver';
