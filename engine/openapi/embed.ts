import type { JsonSchema } from '../compile/plan.ts';
import { decodeSegment, localRefSegments, mapSchemaRefs } from './refs.ts';

/** A resource schema made to live inside `components.schemas`. */
export interface EmbeddedSchema {
  /** The resource schema without `$defs`, `definitions`, `$id` and `$schema`, its refs rewritten. */
  readonly root: JsonSchema;
  /** Its definitions, hoisted to components: `[componentName, schema]` in declaration order. */
  readonly defs: readonly (readonly [string, unknown])[];
}

const DEF_KEYWORDS = ['$defs', 'definitions'] as const;

/**
 * Rewrites a resource schema so it resolves inside an OpenAPI document: every definition
 * under `$defs` (or `definitions`) becomes the component `<prefix>_<key>`, and every
 * same-document ref is rewritten to match (`#/$defs/Address` -> `#/components/schemas/Account_Address`;
 * a ref into the root, such as `#` or `#/properties/x`, points into `rootComponent`).
 * `$id` and `$schema` are dropped: inside the document a `$id` would change the base
 * that the rewritten refs resolve against. The input is not modified.
 */
export function embedResourceSchema(schema: JsonSchema, prefix: string, rootComponent: string): EmbeddedSchema {
  const names = defComponentNames(schema, prefix);
  const rewrite = (ref: string): string => {
    const segments = localRefSegments(ref);
    if (!segments) return ref;
    const [keyword, key, ...rest] = segments;
    const component = keyword !== undefined && key !== undefined ? names.get(`${keyword}/${decodeSegment(key)}`) : undefined;
    if (component) return `#/components/schemas/${component}${rest.map((s) => `/${s}`).join('')}`;
    return `#/components/schemas/${rootComponent}${ref.slice(1)}`;
  };

  const { $defs: _defs, definitions: _definitions, $id: _id, $schema: _dialect, ...rest } = schema;
  const defs: (readonly [string, unknown])[] = [];
  for (const keyword of DEF_KEYWORDS) {
    for (const [key, def] of Object.entries(definitionsOf(schema, keyword))) {
      const name = names.get(`${keyword}/${key}`);
      if (name) defs.push([name, mapSchemaRefs(def, rewrite)]);
    }
  }
  return { root: mapSchemaRefs(rest, rewrite) as JsonSchema, defs };
}

/**
 * `keyword/key` -> component name. Keys are sanitised to the characters OpenAPI allows in
 * component names; a clash after sanitising gets a numeric suffix, in declaration order.
 */
function defComponentNames(schema: JsonSchema, prefix: string): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const keyword of DEF_KEYWORDS) {
    for (const key of Object.keys(definitionsOf(schema, keyword))) {
      const base = `${prefix}_${key.replace(/[^A-Za-z0-9._-]/g, '_')}`;
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
      taken.add(name);
      names.set(`${keyword}/${key}`, name);
    }
  }
  return names;
}

function definitionsOf(schema: JsonSchema, keyword: string): Record<string, unknown> {
  const defs = schema[keyword];
  return typeof defs === 'object' && defs !== null && !Array.isArray(defs) ? (defs as Record<string, unknown>) : {};
}
