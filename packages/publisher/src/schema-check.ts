import avro from 'avsc';
import type { Violation } from './errors';

/**
 * Checks a JSON value against an avsc type and lists every field that does not fit, by path. Rules are worded from
 * the schema (type, enum symbols), never from the value.
 */
export function schemaViolations(type: avro.Type, value: unknown): Violation[] {
  const violations: Violation[] = [];
  type.isValid(value, {
    errorHook: (path: string[], val: unknown, fieldType: avro.Type) => {
      violations.push({ path: formatPath(path), rule: val === undefined ? 'is required' : expectation(fieldType) });
    },
  });
  // avsc ignores fields the schema does not declare (or, with noUndeclaredFields, stops at the first record that
  // has one). A misspelt optional field would silently fall back to its default, so each one is reported here.
  undeclaredFields(type, value, [], violations);
  return violations;
}

/** `['dispensation','lines','0','quantity']` → `dispensation.lines[0].quantity`. Avro names never start with a
 * digit, so an all-digit segment is an array index. */
export function formatPath(path: readonly string[]): string {
  return path.reduce((out, seg) => (/^\d+$/.test(seg) ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '');
}

/** What a value of this type must be, in words. */
function expectation(type: avro.Type): string {
  if (type instanceof avro.types.EnumType) return `must be one of ${type.symbols.join(', ')}`;
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    const branches = type.types.map((t) => (t.typeName === 'null' ? 'null' : expectation(t).replace(/^must be /, '')));
    return `must be ${branches.join(' or ')}`;
  }
  switch (type.typeName) {
    case 'string':
      return 'must be a string';
    case 'int':
      return 'must be a whole number (32-bit)';
    case 'long':
      return 'must be a whole number';
    case 'float':
    case 'double':
      return 'must be a number';
    case 'boolean':
      return 'must be true or false';
    case 'null':
      return 'must be null';
    case 'array':
      return 'must be an array';
    case 'map':
      return 'must be an object of values';
    case 'record':
    case 'error':
      return `must be an object (${type.name?.split('.').pop() ?? 'record'})`;
    default:
      return `must be of Avro type ${type.typeName}`;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field types of each record type, by name (built once per type: this walk runs for every event). */
const fieldsOf = new WeakMap<avro.Type, Map<string, avro.Type>>();
function declaredFields(type: avro.types.RecordType): Map<string, avro.Type> {
  let fields = fieldsOf.get(type);
  if (!fields) {
    fields = new Map(type.fields.map((f) => [f.name, f.type as avro.Type]));
    fieldsOf.set(type, fields);
  }
  return fields;
}

/** Walks the value along the schema; `path` is a stack, copied only when a violation is reported. */
function undeclaredFields(type: avro.Type, value: unknown, path: string[], out: Violation[]): void {
  if (type instanceof avro.types.RecordType) {
    if (!isObject(value)) return;
    const declared = declaredFields(type);
    for (const name in value) {
      const fieldType = declared.get(name);
      path.push(name);
      if (fieldType) undeclaredFields(fieldType, value[name], path, out);
      else out.push({ path: formatPath(path), rule: 'is not a field of the schema' });
      path.pop();
    }
  } else if (type instanceof avro.types.ArrayType) {
    if (!Array.isArray(value)) return;
    for (let i = 0; i < value.length; i++) {
      path.push(String(i));
      undeclaredFields(type.itemsType, value[i], path, out);
      path.pop();
    }
  } else if (type instanceof avro.types.UnwrappedUnionType) {
    // The records of our unions are always ["null", record]: follow the non-null branch.
    if (value === null || value === undefined) return;
    const branch = type.types.find((t) => t.typeName !== 'null');
    if (branch) undeclaredFields(branch, value, path, out);
  } else if (type instanceof avro.types.MapType) {
    if (!isObject(value)) return;
    for (const k in value) {
      path.push(k);
      undeclaredFields(type.valuesType as avro.Type, value[k], path, out);
      path.pop();
    }
  }
}
