/**
 * Every package's typed errors follow the one contract of @passerelle/errors, and `classify` (the stage's decision
 * between the retry tiers and the dead letters) takes each with the class it declares.
 */
import { UnknownFamilyError } from '@passerelle/cda';
import { ValidatorError } from '@passerelle/cisis-validator';
import { PasserelleError } from '@passerelle/errors';
import { InsError } from '@passerelle/ins';
import { classify } from '@passerelle/kafka-runtime';
import {
  BrokerUnavailableError,
  InvalidEventError,
  PublishRejectedError,
  RegistryUnavailableError,
  SchemaRejectedError,
} from '@passerelle/publisher';
import { MessageError, RoutingError } from '@passerelle/router';
import { SchemaRegistrationError } from '@passerelle/schemas';
import { CertificateError, SignatureInputError } from '@passerelle/signature';
import { XdmError } from '@passerelle/xdm';

const cases: [string, Error, 'permanent' | 'transient', string][] = [
  ['InsError', new InsError('INS_KEY_MISMATCH', 'patient.ins.matricule', 'key must match'), 'permanent', 'INS_KEY_MISMATCH'],
  ['UnknownFamilyError', new UnknownFamilyError('unknown'), 'permanent', 'CDA_UNKNOWN_FAMILY'],
  ['CertificateError', new CertificateError('CERT_MISSING', '750100208', 'no PKCS#12 file'), 'transient', 'CERT_MISSING'],
  ['CertificateError', new CertificateError('CERT_EXPIRED', '750100208', 'expired'), 'transient', 'CERT_EXPIRED'],
  ['SignatureInputError', new SignatureInputError('DOCUMENT_NOT_XML', 'not XML'), 'permanent', 'DOCUMENT_NOT_XML'],
  ['XdmError', new XdmError('XDM_HASH_MISMATCH', 'metadata.hash'), 'permanent', 'XDM_HASH_MISMATCH'],
  ['RoutingError', new RoutingError('ROUTING_UNKNOWN_KIND', 'metadata.kind'), 'permanent', 'ROUTING_UNKNOWN_KIND'],
  ['MessageError', new MessageError('MESSAGE_INVALID_INPUT', 'from'), 'permanent', 'MESSAGE_INVALID_INPUT'],
  ['InvalidEventError', new InvalidEventError([{ path: 'patient', rule: 'required' }]), 'permanent', 'INVALID_EVENT'],
  ['BrokerUnavailableError', new BrokerUnavailableError('no broker'), 'transient', 'BROKER_UNAVAILABLE'],
  ['RegistryUnavailableError', new RegistryUnavailableError('no registry'), 'transient', 'REGISTRY_UNAVAILABLE'],
  ['SchemaRejectedError', new SchemaRejectedError('refused'), 'permanent', 'SCHEMA_REJECTED'],
  ['PublishRejectedError', new PublishRejectedError('refused'), 'permanent', 'PUBLISH_REJECTED'],
  ['SchemaRegistrationError', new SchemaRegistrationError('REGISTRY_UNREACHABLE', 's', 'down'), 'transient', 'REGISTRY_UNREACHABLE'],
  ['SchemaRegistrationError', new SchemaRegistrationError('SCHEMA_INCOMPATIBLE', 's', 'no'), 'permanent', 'SCHEMA_INCOMPATIBLE'],
  ['ValidatorError', new ValidatorError('TOOLCHAIN_MISSING', 'no Saxon'), 'transient', 'TOOLCHAIN_MISSING'],
];

describe('one error contract across packages', () => {
  it.each(cases)('%s is a PasserelleError, classified as it declares (%#)', (_name, err, errorClass, code) => {
    expect(err).toBeInstanceOf(PasserelleError);
    expect(classify(err)).toEqual({ code, errorClass, message: err.message });
    expect((err as PasserelleError).retryable).toBe(errorClass === 'transient');
  });
});
