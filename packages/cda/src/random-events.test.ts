import { XMLValidator } from 'fast-xml-parser';
import { avroType, ALL_EVENT_TOPICS } from '@passerelle/schemas';
import { buildDocument } from './index';

// Any value the Avro schema admits, however meaningless (random strings for codes and dates, empty arrays, nulls,
// negative numbers), must yield a well-formed document rather than crash the composer. Conformance of realistic
// events is proved by the ANS validators elsewhere.
describe.each(ALL_EVENT_TOPICS)('buildDocument on random schema-valid %s events', topic => {
  it('never throws and always yields well-formed XML with matching metadata', async () => {
    const type = avroType(topic);
    for (let i = 0; i < 150; i++) {
      const event = type.fromBuffer(type.toBuffer(type.random())) as Record<string, unknown>;
      const doc = await buildDocument(topic, event);
      expect(XMLValidator.validate(doc.xml)).toBe(true);
      expect(doc.metadata.size).toBe(Buffer.byteLength(doc.xml, 'utf8'));
    }
  });
});
