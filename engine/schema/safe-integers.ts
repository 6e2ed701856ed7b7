import type { JsonSchema } from './json-schema.ts';

/** Keywords whose values are data, not schemas: never rewritten. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);
/** Keywords whose values map names to schemas: the names are not keywords. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * Bounds every `integer` by ±(2^53 - 1). JSON numbers become JavaScript doubles, so
 * 9007199254740993 arrives as ...992 and would be stored as a different number without
 * a word; with the bound it is a 422 instead. A manifest's own tighter bound is kept.
 * Mutates and returns `schema` (pass a copy).
 */
export function boundIntegers<T>(schema: T): T {
  visit(schema);
  return schema;
}

function visit(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as JsonSchema;
  for (const [key, value] of Object.entries(schema)) {
    if (DATA_KEYWORDS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && typeof value === 'object' && value !== null) for (const sub of Object.values(value)) visit(sub);
    else visit(value);
  }
  const { type, minimum, maximum } = schema;
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) {
    schema.maximum = typeof maximum === 'number' ? Math.min(maximum, Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
    schema.minimum = typeof minimum === 'number' ? Math.max(minimum, Number.MIN_SAFE_INTEGER) : Number.MIN_SAFE_INTEGER;
  }
}
