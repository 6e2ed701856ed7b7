import type { JsonSchema } from '../compile/plan.ts';
import { FORMAT_SHAPES } from '../http/field-errors.ts';
import { decodeSegment } from '../openapi/refs.ts';
import { followLocalRef, propertiesOf } from '../schema/fields.ts';
import type { PathSegment } from '../source/source.ts';

/**
 * Property names Claude, Gemini and OpenAI all accept: Gemini's are the narrowest
 * (letters, digits and `_`), Claude's allow up to 64 characters.
 */
export const PORTABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** How one argument becomes the value the HTTP request carries. */
export type ArgumentShape =
  | { readonly kind: 'value' }
  /** A string holding JSON text, parsed before it is sent: what a schema no client can describe travels as. */
  | { readonly kind: 'json' }
  | { readonly kind: 'object'; readonly properties: Readonly<Record<string, ArgumentShape>> }
  | { readonly kind: 'array'; readonly items: ArgumentShape };

/** A part of the record schema the tools cannot carry as written, and how they carry it instead. */
export interface Adaptation {
  readonly code: 'mcp-property-name' | 'mcp-schema-unsupported';
  /** Where in the record schema (`['properties', 'preferences']`), for the issue's position. */
  readonly path: readonly PathSegment[];
  /** What it is (`is an object without declared properties`). */
  readonly message: string;
  /** What the author can do instead (`declare its properties`). */
  readonly advice: string;
}

/**
 * What a missing or null argument means where it is optional: `absent` (create, replace,
 * array items: the field is not set, its default applies) or `unchanged` (update: the
 * field keeps its value).
 */
export type NullMeaning = 'absent' | 'unchanged';

/** Collects what converting one tool's schemas learned: adaptations, and where each tool-schema node came from. */
export interface Conversion {
  /** The record schema, for local `$ref`s. */
  readonly root: JsonSchema;
  readonly adaptations: Adaptation[];
  /** Tool-schema pointer -> record-schema path, for findings about the tool schema. */
  readonly provenance: Map<string, readonly PathSegment[]>;
  /** Dotted names of the optional fields an update may remove (`topic`, `address.city`), in schema order. */
  readonly clearable: string[];
}

/** Where a conversion is: in the record schema (path) and in the tool schema (pointer). */
export interface At {
  readonly path: readonly PathSegment[];
  readonly pointer: string;
  readonly mode: NullMeaning;
  /** Local refs being expanded on this branch: meeting one again means the schema refers to itself. */
  readonly expanding?: ReadonlySet<string>;
  /** The field names leading here from the record, while every step is an object a merge patch merges into. */
  readonly names?: readonly string[];
}

export interface Portable {
  readonly schema: JsonSchema;
  readonly shape: ArgumentShape;
}

const SCALARS = new Set(['string', 'number', 'integer', 'boolean']);
/** Keywords that constrain beyond what the portable subset says; the server still checks them. */
const FURTHER_RULES = [
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'dependentRequired',
  'dependentSchemas',
  'contains',
  'patternProperties',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'minProperties',
  'maxProperties',
];

/**
 * One value of the record schema in the subset every model client accepts: a single
 * `type` (several scalar types become an `anyOf`), `description`, string `enum`,
 * `format: date-time`, `minLength`/`maxLength`/`pattern`, `minimum`/`maximum`,
 * `items`/`minItems`/`maxItems`, and objects closed with every property required,
 * optional ones as `anyOf [T, null]`. Local `$ref`s are inlined. What the subset has no
 * keyword for (other formats, exclusive bounds, examples, defaults) moves into the
 * description; what cannot be described at all (free-form objects, untyped values,
 * keys a client rejects, a schema that refers to itself) travels as JSON text.
 */
export function portable(node: unknown, at: At, conversion: Conversion): Portable {
  conversion.provenance.set(at.pointer, at.path);
  if (node === true || node === undefined) return jsonText({}, at, conversion, ['accepts any JSON value', 'give it a type']);
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    return jsonText({}, at, conversion, ['accepts no value', 'remove it']);
  const resolved = followRef(node as JsonSchema, at, conversion);
  if ('failure' in resolved) return jsonText(node as JsonSchema, at, conversion, resolved.failure);
  const { schema, here } = resolved;
  const { types } = typesOf(schema);
  if (types.length === 0) return jsonText(schema, here, conversion, ['has no type', 'give it a type (and properties, for an object)']);
  if (types.length > 1) {
    if (!types.every((t) => SCALARS.has(t)))
      return jsonText(schema, here, conversion, [`is one of several types (${types.join(', ')})`, 'give it one type']);
    return {
      schema: { description: describe(schema), anyOf: types.map((type) => scalar(type, schema, false)) },
      shape: { kind: 'value' },
    };
  }
  const [type] = types as [string];
  if (SCALARS.has(type)) return { schema: scalar(type, schema, true), shape: { kind: 'value' } };
  if (type === 'array') return array(schema, here, conversion);
  if (type === 'object') return object(schema, here, conversion);
  return jsonText(schema, here, conversion, [`has type ${type}`, 'give it a type a value can have']);
}

/**
 * An object as a closed object of portable properties, every one listed in `required`
 * (OpenAI's strict mode asks for that); the optional ones also take null, which means
 * what {@link NullMeaning} says. The root record is always an object, even with no properties.
 */
export function object(schema: JsonSchema, at: At, conversion: Conversion, root = false): Portable {
  conversion.provenance.set(at.pointer, at.path);
  const declared = propertiesOf(schema);
  const names = Object.keys(declared);
  if (!root && names.length === 0)
    return jsonText(schema, at, conversion, ['is an object without declared properties', 'declare its properties']);
  const rejected = names.filter((name) => !PORTABLE_NAME.test(name));
  if (rejected.length && !root) {
    const message =
      'is named with characters Gemini does not take in tool inputs (letters, digits and _ only; Claude: at most 64 letters, digits, _, . and -)';
    for (const name of rejected) {
      const path = [...at.path, 'properties', name];
      conversion.adaptations.push({ code: 'mcp-property-name', path, message, advice: 'rename it with letters, digits and _' });
    }
    return jsonText(schema, at, conversion, undefined);
  }
  const requiredHere = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const properties: Record<string, JsonSchema> = {};
  const shapes: Record<string, ArgumentShape> = {};
  for (const name of names) {
    const pointer = `${at.pointer}/properties/${name}`;
    const path = [...at.path, 'properties', name];
    const optional = at.mode === 'unchanged' || !requiredHere.has(name);
    const fieldNames = at.names && [...at.names, name];
    if (fieldNames && at.mode === 'unchanged' && !requiredHere.has(name)) conversion.clearable.push(fieldNames.join('.'));
    const child = portable(
      declared[name],
      { ...at, path, pointer: optional ? `${pointer}/anyOf/0` : pointer, names: fieldNames },
      conversion,
    );
    conversion.provenance.set(pointer, path);
    properties[name] = optional ? orNull(child.schema, nullNote(declared[name], at.mode, conversion.root)) : child.schema;
    shapes[name] = child.shape;
  }
  const description = root ? undefined : describe(schema);
  return {
    schema: {
      type: 'object',
      ...(description ? { description } : {}),
      properties,
      required: names,
      additionalProperties: false,
    },
    shape: { kind: 'object', properties: shapes },
  };
}

/** `schema` or null: `anyOf [schema, {type: null}]`, the description on the outside where a model reads it first. */
export function orNull(schema: JsonSchema, note: string): JsonSchema {
  const { description, ...rest } = schema;
  const text = [description, note].filter(Boolean).join(' ');
  const choices = Array.isArray(rest.anyOf) && Object.keys(rest).length === 1 ? (rest.anyOf as JsonSchema[]) : [rest];
  return { ...(text ? { description: text } : {}), anyOf: [...choices, { type: 'null' }] };
}

/** What leaving an optional field out (or sending null) does, in the words a model needs. */
function nullNote(property: unknown, mode: NullMeaning, root: JsonSchema): string {
  if (mode === 'unchanged') return 'Null or left out: unchanged.';
  const target = followLocalRef(property, root) as JsonSchema | undefined;
  const fallback = target && typeof target === 'object' ? target.default : undefined;
  return fallback === undefined ? 'Null or left out: not set.' : `Null or left out: ${JSON.stringify(fallback)} (the default).`;
}

function scalar(type: string, schema: JsonSchema, withDescription: boolean): JsonSchema {
  const out: JsonSchema = { type };
  const notes: string[] = [];
  const values = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : undefined;
  if (values) {
    const strings = values.filter((v): v is string => typeof v === 'string');
    if (type === 'string' && strings.length) out.enum = strings;
    else
      notes.push(
        `One of: ${values
          .filter((v) => v !== null)
          .map((v) => JSON.stringify(v))
          .join(', ')}.`,
      );
  }
  if (type === 'string') {
    for (const keyword of ['minLength', 'maxLength', 'pattern'] as const) if (schema[keyword] !== undefined) out[keyword] = schema[keyword];
    const format = schema.format;
    if (format === 'date-time') out.format = format;
    else if (typeof format === 'string') notes.push(`Must be ${FORMAT_SHAPES[format] ?? `in "${format}" format`}.`);
  }
  if (type === 'integer' || type === 'number') {
    for (const keyword of ['minimum', 'maximum'] as const) if (typeof schema[keyword] === 'number') out[keyword] = schema[keyword];
    if (typeof schema.exclusiveMinimum === 'number') notes.push(`Greater than ${schema.exclusiveMinimum}.`);
    if (typeof schema.exclusiveMaximum === 'number') notes.push(`Less than ${schema.exclusiveMaximum}.`);
    if (typeof schema.multipleOf === 'number') notes.push(`A multiple of ${schema.multipleOf}.`);
  }
  if (!withDescription) return notes.length ? { ...out, description: notes.join(' ') } : out;
  const description = [describe(schema), ...notes].filter(Boolean).join(' ');
  return description ? { ...out, description } : out;
}

function array(schema: JsonSchema, at: At, conversion: Conversion): Portable {
  const items = schema.items;
  if (items === undefined || Array.isArray(items) || schema.prefixItems !== undefined) {
    return jsonText(schema, at, conversion, ['is an array without one schema for its items', 'give its items one schema']);
  }
  // An array is sent whole (a merge patch replaces arrays), so its items never mean "unchanged".
  const item = portable(
    items,
    { ...at, path: [...at.path, 'items'], pointer: `${at.pointer}/items`, mode: 'absent', names: undefined },
    conversion,
  );
  const out: JsonSchema = { type: 'array' };
  const description = [describe(schema), schema.uniqueItems === true ? 'No item may repeat.' : ''].filter(Boolean).join(' ');
  if (description) out.description = description;
  out.items = item.schema;
  for (const keyword of ['minItems', 'maxItems'] as const) if (typeof schema[keyword] === 'number') out[keyword] = schema[keyword];
  return { schema: out, shape: { kind: 'array', items: item.shape } };
}

/**
 * A value no client can describe, as a string of JSON text the tool parses before it
 * sends the request: the call still works everywhere, and validate says how to do better.
 */
function jsonText(schema: JsonSchema, at: At, conversion: Conversion, why: readonly [string, string] | undefined): Portable {
  if (why !== undefined) conversion.adaptations.push({ code: 'mcp-schema-unsupported', path: at.path, message: why[0], advice: why[1] });
  const example = typesOf(schema).types[0] === 'array' ? '["a", "b"]' : '{"key": "value"}';
  const description = [describe(schema), `Send the value as JSON text in a string, e.g. ${example}.`].filter(Boolean).join(' ');
  return { schema: { type: 'string', description }, shape: { kind: 'json' } };
}

/** The schema's own words, then its examples, and a note where rules the subset cannot say still apply. */
function describe(schema: JsonSchema): string {
  const parts: string[] = [];
  if (typeof schema.description === 'string') parts.push(schema.description.trim());
  else if (typeof schema.title === 'string') parts.push(schema.title.trim());
  const examples = Array.isArray(schema.examples) ? schema.examples : schema.example !== undefined ? [schema.example] : [];
  if (examples.length)
    parts.push(
      `E.g. ${examples
        .slice(0, 2)
        .map((e) => JSON.stringify(e))
        .join(' or ')}.`,
    );
  if (FURTHER_RULES.some((k) => schema[k] !== undefined)) parts.push('Further rules apply; the server checks them.');
  // No word about a default here: where a field is optional, nullNote says what leaving it out does.
  return parts.filter(Boolean).join(' ');
}

/** Follows a local `$ref` (its siblings, such as a description, kept); a remote or self-referring one fails. */
function followRef(
  schema: JsonSchema,
  at: At,
  conversion: Conversion,
): { schema: JsonSchema; here: At } | { failure: readonly [string, string] } {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return { schema, here: at };
  if (!ref.startsWith('#')) return { failure: [`refers to ${ref} outside the schema`, 'refer to a definition in the same schema'] };
  if (at.expanding?.has(ref)) {
    return {
      failure: [`refers to itself (${ref})`, 'bound its depth with separate definitions if models should fill it in field by field'],
    };
  }
  const target = resolveLocal(ref, conversion.root);
  if (typeof target !== 'object' || target === null) return { failure: [`refers to ${ref}, which is not a schema`, 'fix the reference'] };
  const { $ref: _ref, ...siblings } = schema;
  const path = ref === '#' ? [] : ref.slice(2).split('/').map(decodeSegment);
  const expanding = new Set([...(at.expanding ?? []), ref]);
  const next = { ...at, path, expanding };
  conversion.provenance.set(at.pointer, path);
  return followRef({ ...(target as JsonSchema), ...siblings }, next, conversion);
}

/** The target of one local ref (`#`, `#/$defs/A`, `#/properties/x`), one hop only. */
function resolveLocal(ref: string, root: JsonSchema): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((here, key) => (here as Record<string, unknown> | undefined)?.[decodeSegment(key)], root);
}

/** The JSON types a schema allows (`null` apart), written or inferred from its other keywords. */
function typesOf(schema: JsonSchema): { types: string[]; nullable: boolean } {
  const type = schema.type;
  const written = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
  if (written.length) return { types: written.filter((t) => t !== 'null'), nullable: written.includes('null') };
  const values = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : undefined;
  if (values) {
    const kinds = [...new Set(values.filter((v) => v !== null).map((v) => kindOf(v)))];
    return { types: kinds, nullable: values.includes(null) };
  }
  if (schema.properties !== undefined) return { types: ['object'], nullable: false };
  if (schema.items !== undefined) return { types: ['array'], nullable: false };
  if (['minLength', 'maxLength', 'pattern', 'format'].some((k) => schema[k] !== undefined)) return { types: ['string'], nullable: false };
  if (['minimum', 'maximum'].some((k) => schema[k] !== undefined)) return { types: ['number'], nullable: false };
  return { types: [], nullable: false };
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}
