import type { FieldKind, FieldSpec } from '../../adapters/types.ts';
import type { JsonSchema } from './json-schema.ts';

const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);

/**
 * How a property is stored and filtered: its scalar JSON type when it has exactly one
 * (a `null` alternative allowed), else `json`. Local `#/$defs/...` refs are followed.
 */
export function fieldKind(property: unknown, root: JsonSchema): FieldKind {
  const schema = followLocalRef(property, root);
  if (typeof schema !== 'object' || schema === null) return 'json';
  const { type, enum: choices, const: constant } = schema as JsonSchema;
  const types = (Array.isArray(type) ? type : type === undefined ? [] : [type]).filter((t) => t !== 'null');
  if (types.length === 1 && SCALARS.has(String(types[0]))) return types[0] as FieldKind;
  if (types.length === 0) {
    const values = Array.isArray(choices) ? choices : constant !== undefined ? [constant] : [];
    const kinds = new Set(values.filter((v) => v !== null).map((v) => typeof v));
    if (kinds.size === 1) {
      const [kind] = kinds;
      if (kind === 'string' || kind === 'boolean') return kind;
      if (kind === 'number') return values.every((v) => v === null || Number.isInteger(v)) ? 'integer' : 'number';
    }
  }
  return 'json';
}

/** The resource schema's top-level properties as storage fields, in declaration order. */
export function fieldsOf(schema: JsonSchema): FieldSpec[] {
  return Object.entries(propertiesOf(schema)).map(([name, property]) => ({ name, kind: fieldKind(property, schema) }));
}

export function propertiesOf(schema: JsonSchema): Record<string, unknown> {
  const properties = schema.properties;
  return typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {};
}

/** Resolves `{ $ref: '#/$defs/x' }` against the root schema, one hop at a time (bounded). */
export function followLocalRef(node: unknown, root: JsonSchema): unknown {
  let current = node;
  for (let hops = 0; hops < 8; hops++) {
    const ref = (current as JsonSchema | null)?.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return current;
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root);
  }
  return current;
}
