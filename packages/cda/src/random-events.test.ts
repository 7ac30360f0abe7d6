import { XMLValidator } from 'fast-xml-parser';
import { avroType, FAMILIES } from '@passerelle/schemas';
import { checkCanonicalBytes } from '@passerelle/signature';
import { identityOf, vaccinationEvent } from '../../../test/support/sample-events';
import { buildDocument } from './index';

// Any value the Avro schema admits, however meaningless (random strings for codes and dates, empty arrays, nulls,
// negative numbers), must yield a well-formed document rather than crash the composer. The patient is a qualified
// identity (documents are built for nothing else). Conformance of realistic events is proved by the ANS validators.
// The bytes must also be their own canonical form by the signer's check, so that it digests them as they are.
describe.each(FAMILIES.map((f) => [f.family, f.topic] as const))('buildDocument on random schema-valid %s events', (family, topic) => {
  it('never throws and always yields well-formed, canonical XML with matching metadata', async () => {
    const type = avroType(topic);
    const identity = identityOf(vaccinationEvent());
    for (let i = 0; i < 150; i++) {
      const event = type.fromBuffer(type.toBuffer(type.random())) as never;
      const doc = await buildDocument(family, event, identity);
      expect(XMLValidator.validate(doc.xml.toString())).toBe(true);
      expect(doc.metadata.size).toBe(doc.xml.length);
      expect(checkCanonicalBytes(doc.xml)).toBeDefined();
    }
  });
});
