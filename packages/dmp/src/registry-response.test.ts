import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmpDeliveryError, scrubDmpText } from './errors';
import { buildMtomMessage } from './mtom';
import { classifyAnswer, parseDmpAnswer } from './registry-response';

const DMP_DIR = process.env.DMP_SAMPLES_DIR ?? join(__dirname, '../../../../shared/spec/dmp');
const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const INS = '279035121518989';

function failure(...errors: [code: string, context: string, severity?: string][]): Buffer {
  const list = errors
    .map(
      ([code, context, severity = 'Error']) =>
        `<rs:RegistryError errorCode="${code}" codeContext="${context}" location="" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:${severity}"/>`,
    )
    .join('');
  return Buffer.from(
    `<soap:Envelope xmlns:soap="${SOAP}"><soap:Body><rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" ` +
      `status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><rs:RegistryErrorList>${list}</rs:RegistryErrorList></rs:RegistryResponse></soap:Body></soap:Envelope>`,
  );
}

function thrown(fn: () => unknown): DmpDeliveryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DmpDeliveryError) return error;
    throw error;
  }
  throw new Error('expected a DmpDeliveryError');
}

describe('the DMP’s answers', () => {
  it('the TD2.1 sample answer is a delivery, as plain SOAP and as MTOM', () => {
    const sample = readFileSync(join(DMP_DIR, 'TD2.1_-_Alimentation_reponse.xml'));
    const plain = parseDmpAnswer('application/soap+xml', sample);
    expect(plain).toMatchObject({ kind: 'success', relatesTo: 'urn:uuid:b3745a7c-4d1a-4cfd-a752-536197e4ac7a' });
    expect(classifyAnswer(plain)).toEqual({ outcome: 'delivered', answer: 'RegistryResponse Success' });
    const mtom = buildMtomMessage(sample.toString('utf8'), [], 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse');
    expect(classifyAnswer(parseDmpAnswer(mtom.contentType, mtom.body))).toMatchObject({ outcome: 'delivered' });
  });

  it.each(['XDSUnknownPatientId', 'XDSPatientIdDoesNotMatch', 'XDSRegistryMetadataError', 'XDSNonIdenticalHash'])(
    '%s is permanent, with the DMP’s code and its text stripped of personal data',
    (code) => {
      const answer = parseDmpAnswer(
        'application/soap+xml',
        failure([code, `Patient ${INS}^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH né le 1979-03-15 inconnu`]),
      );
      const error = thrown(() => classifyAnswer(answer));
      expect(error).toMatchObject({ code, dmpCode: code, errorClass: 'permanent', retryable: false });
      expect(error.message).not.toContain(INS);
      expect(error.message).not.toContain('1979-03-15');
      expect(error.message).toContain('inconnu');
    },
  );

  it('XDSDuplicateUniqueIdInRegistry alone means already delivered; beside a permanent error it does not', () => {
    const duplicate = parseDmpAnswer(undefined, failure(['XDSDuplicateUniqueIdInRegistry', 'lot déjà enregistré']));
    expect(classifyAnswer(duplicate)).toMatchObject({ outcome: 'already-delivered' });
    const mixed = parseDmpAnswer(undefined, failure(['XDSDuplicateUniqueIdInRegistry', 'x'], ['XDSNonIdenticalHash', 'y']));
    expect(thrown(() => classifyAnswer(mixed))).toMatchObject({ code: 'XDSNonIdenticalHash', errorClass: 'permanent' });
  });

  it('a duplicate located on a uniqueId that is not ours is not a delivery', () => {
    const located = (location: string) =>
      Buffer.from(
        `<soap:Envelope xmlns:soap="${SOAP}"><soap:Body><rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure">` +
          `<rs:RegistryErrorList><rs:RegistryError errorCode="XDSDuplicateUniqueIdInRegistry" codeContext="x" location="${location}" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/></rs:RegistryErrorList></rs:RegistryResponse></soap:Body></soap:Envelope>`,
      );
    const ours = ['2.25.1234567890123456789', '2.25.99'];
    expect(classifyAnswer(parseDmpAnswer(undefined, located('2.25.1234567890123456789')), undefined, ours)).toMatchObject({
      outcome: 'already-delivered',
    });
    expect(thrown(() => classifyAnswer(parseDmpAnswer(undefined, located('2.25.42')), undefined, ours))).toMatchObject({
      errorClass: 'permanent',
    });
  });

  it('warnings alone do not fail a Success; an unknown code is permanent (looked at, not retried blindly)', () => {
    const unknown = parseDmpAnswer(undefined, failure(['DMPQuelqueChose', 'x']));
    expect(thrown(() => classifyAnswer(unknown))).toMatchObject({ code: 'DMPQuelqueChose', errorClass: 'permanent' });
    const busy = parseDmpAnswer(undefined, failure(['XDSRegistryBusy', 'x']));
    expect(thrown(() => classifyAnswer(busy))).toMatchObject({ errorClass: 'transient' });
  });

  it('a SOAP 1.2 fault is transient with its subcode; DMPInvalidCertificate too (our key store to fix, not the document)', () => {
    const fault = (subcode: string) =>
      Buffer.from(
        `<soap:Envelope xmlns:soap="${SOAP}"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value><soap:Subcode><soap:Value>${subcode}</soap:Value></soap:Subcode></soap:Code>` +
          `<soap:Reason><soap:Text xml:lang="fr">Erreur pour ${INS}</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>`,
      );
    const error = thrown(() => classifyAnswer(parseDmpAnswer('application/soap+xml', fault('DMPServiceError'))));
    expect(error).toMatchObject({ code: 'DMP_SOAP_FAULT', dmpCode: 'DMPServiceError', errorClass: 'transient' });
    expect(error.message).not.toContain(INS);
    expect(thrown(() => classifyAnswer(parseDmpAnswer(undefined, fault('DMPInvalidCertificate'))))).toMatchObject({
      errorClass: 'transient',
    });
  });

  it('an answer that is not SOAP (a proxy’s error page) is transient', () => {
    expect(thrown(() => parseDmpAnswer('text/html', Buffer.from('<html><body>Bad gateway</body></html>')))).toMatchObject({
      code: 'DMP_ANSWER_UNREADABLE',
      errorClass: 'transient',
    });
  });

  it('scrubbing removes INS, CX identifiers, long numbers and dates', () => {
    expect(
      scrubDmpText(`INS 2790351215189 89, id 279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH, RPPS 10001234567, né le 19790315`),
    ).not.toMatch(/2790351215|10001234567|19790315/);
  });
});
