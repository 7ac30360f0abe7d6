import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../scripts/generate-types';
import { avroType, ALL_EVENT_TOPICS, pipelineSchemas, topicSchemas } from './index';

describe('schemas', () => {
  it('the TypeScript types are generated from the current .avsc files', () => {
    const onDisk = readFileSync(join(__dirname, 'generated', 'types.ts'), 'utf8');
    expect(onDisk).toBe(generate()); // run `npm run generate -w @passerelle/schemas` after changing a schema
  });

  it('the three LGO event families share the same header records, field for field', () => {
    const headerOf = (topic: keyof typeof topicSchemas) =>
      JSON.stringify((topicSchemas[topic].schema.fields as { name: string }[]).slice(0, 8));
    const [first, ...rest] = ALL_EVENT_TOPICS.map(headerOf);
    for (const h of rest) expect(h).toBe(first);
  });

  it('every sample event is valid for its topic and round-trips through Avro', () => {
    const samples: [string, (typeof ALL_EVENT_TOPICS)[number]][] = [
      ['vaccination', 'lgo.vaccination.v1'],
      ['dispensation', 'lgo.dispensation.v1'],
      ['medication-review', 'lgo.medication-review.v1'],
      ['pharmaceutical-interview', 'lgo.medication-review.v1'],
    ];
    for (const [file, topic] of samples) {
      const event = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/events', `${file}.json`), 'utf8'));
      const type = avroType(topic);
      expect(type.isValid(event)).toBe(true);
      expect(type.fromBuffer(type.toBuffer(event))).toEqual(event);
    }
  });

  it('a field left out that has a default is filled in on decode', () => {
    const event = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/events/vaccination.json'), 'utf8'));
    delete event.recipients;
    delete event.confidentiality;
    const type = avroType('lgo.vaccination.v1');
    const decoded = type.fromBuffer(type.toBuffer(event)) as { recipients: unknown[]; confidentiality: { level: string } };
    expect(decoded.recipients).toEqual([]);
    expect(decoded.confidentiality.level).toBe('N');
  });

  it('pipeline schemas parse', () => {
    for (const s of Object.values(pipelineSchemas))
      expect(avro.Type.forSchema(s as avro.Schema).name).toMatch(/^fr\.passerelle\.pipeline\./);
  });
});
