/**
 * Generates `src/generated/types.ts` from the Avro schemas in `avro/`: the schemas are the one source of truth,
 * the TypeScript types follow. `npm run generate -w @passerelle/schemas`; a test fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipelineSchemas, topicSchemas } from '../src/topics';

type AvroSchema = string | AvroSchema[] | { type: string | AvroSchema; [k: string]: unknown };

const declared = new Map<string, string>();

/**
 * Two views of each record: `Name`, as a consumer decodes it (every field present), and `NameInput`, as a
 * producer may write it (a field with an Avro default may be left out).
 */
type View = 'decoded' | 'input';
let view: View = 'decoded';

function tsType(schema: AvroSchema): string {
  if (Array.isArray(schema)) {
    return schema.map(tsType).join(' | ');
  }
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'string':
        return 'string';
      case 'bytes':
        return 'Buffer';
      default:
        return nameOf(schema, declared.has(`${schema.split('.').pop()}Input`)); // a named type declared earlier
    }
  }
  const { type } = schema;
  if (type === 'record') return declareRecord(schema as unknown as AvroRecord);
  if (type === 'enum') return declareEnum(schema as unknown as AvroEnum);
  if (type === 'array') return `${wrap(tsType(schema.items as AvroSchema))}[]`;
  if (type === 'map') return `Record<string, ${tsType(schema.values as AvroSchema)}>`;
  return tsType(type as AvroSchema);
}

const wrap = (t: string) => (t.includes('|') ? `(${t})` : t);

interface AvroRecord {
  name: string;
  doc?: string;
  fields: { name: string; type: AvroSchema; doc?: string; default?: unknown }[];
}
interface AvroEnum {
  name: string;
  doc?: string;
  symbols: string[];
}

function docComment(doc: string | undefined, indent = ''): string {
  return doc ? `${indent}/** ${doc} */\n` : '';
}

function nameOf(fullName: string, isRecord: boolean): string {
  const name = fullName.split('.').pop() as string;
  return isRecord && view === 'input' ? `${name}Input` : name;
}

function declareRecord(r: AvroRecord): string {
  const name = nameOf(r.name, true);
  if (!declared.has(name)) {
    declared.set(name, ''); // reserve the name before the fields, in declaration order
    const optional = view === 'input';
    const fields = r.fields
      .map((f) => `${docComment(f.doc, '  ')}  ${f.name}${optional && f.default !== undefined ? '?' : ''}: ${tsType(f.type)};`)
      .join('\n');
    declared.set(name, `${docComment(r.doc)}export interface ${name} {\n${fields}\n}\n`);
  }
  return name;
}

function declareEnum(e: AvroEnum): string {
  const name = e.name.split('.').pop() as string;
  if (!declared.has(name)) {
    declared.set(name, `${docComment(e.doc)}export type ${name} = ${e.symbols.map((s) => `'${s}'`).join(' | ')};\n`);
  }
  return name;
}

export function generate(): string {
  declared.clear();
  for (view of ['decoded', 'input'] as View[]) {
    for (const { schema } of Object.values(topicSchemas)) tsType(schema as AvroSchema);
    for (const schema of Object.values(pipelineSchemas)) tsType(schema as AvroSchema);
  }
  return [
    '// Generated from schemas/avro/*.avsc by schemas/scripts/generate-types.ts. Do not edit.',
    '// `Name` is a record as decoded (every field present); `NameInput` as a producer may write it (fields with an',
    '// Avro default may be left out).',
    '',
    ...declared.values(),
  ].join('\n');
}

if (require.main === module) {
  const out = join(__dirname, '../src/generated/types.ts');
  writeFileSync(out, generate());
  console.log(`wrote ${out}`);
}
