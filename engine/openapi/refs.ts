import type { JsonSchema } from '../compile/plan.ts';

/** Keywords whose value is a map of subschemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is one subschema. */
const SCHEMA_ONE = new Set([
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'additionalItems',
  'contains',
  'propertyNames',
  'contentSchema',
  'not',
  'if',
  'then',
  'else',
]);
/** Keywords whose value is a list of subschemas (`items` too, in its draft-07 tuple form). */
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

/**
 * A deep copy of a JSON Schema with every `$ref` passed through `rewrite`. Only schema
 * positions are walked: a `$ref` key inside `enum`, `const`, `default` or `examples` is
 * data and stays as it is. The copy shares nothing with the input, so frozen plan
 * schemas can be embedded and the result edited freely.
 *
 * @example mapSchemaRefs(schema, (ref) => ref.replace('#/$defs/', '#/components/schemas/Account_'))
 */
export function mapSchemaRefs(schema: unknown, rewrite: (ref: string) => string): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return structuredClone(schema);
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] = mapKeyword(key, value, rewrite);
  }
  return copy;
}

function mapKeyword(key: string, value: unknown, rewrite: (ref: string) => string): unknown {
  if (key === '$ref' && typeof value === 'string') return rewrite(value);
  if (SCHEMA_ONE.has(key) || (key === 'items' && !Array.isArray(value))) return mapSchemaRefs(value, rewrite);
  if ((SCHEMA_LISTS.has(key) || key === 'items') && Array.isArray(value)) {
    return value.map((item) => mapSchemaRefs(item, rewrite));
  }
  if (SCHEMA_MAPS.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, mapSchemaRefs(sub, rewrite)]));
  }
  return structuredClone(value);
}

/**
 * The raw (still escaped) JSON Pointer segments of a same-document ref: `#` gives `[]`,
 * `#/$defs/A/properties/b` gives `['$defs', 'A', 'properties', 'b']`; any other ref (a file,
 * a URL, an `$anchor` name) gives undefined.
 */
export function localRefSegments(ref: string): string[] | undefined {
  if (ref === '#') return [];
  return ref.startsWith('#/') ? ref.slice(2).split('/') : undefined;
}

/** Undoes the URI and JSON Pointer escaping of one segment: `a~1b%20c` -> `a/b c`. */
export function decodeSegment(segment: string): string {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // A literal `%` that is not an escape: keep the segment as written.
  }
  return decoded.replace(/~1/g, '/').replace(/~0/g, '~');
}
