import type { AutomationPlan, JsonSchema } from '../compile/plan.ts';

/** What a generated example record looks like as sent (input) and as returned (record). */
export interface ExampleRecord {
  /** A body for create or replace: valid against the resource schema. */
  readonly input: Record<string, unknown>;
  /** The same record as the API returns it: defaults filled in, engine fields set. */
  readonly record: Record<string, unknown>;
  /** A merge patch changing one field of it (or `{}` when it has none to change). */
  readonly patch: Record<string, unknown>;
}

/** Fixed engine fields of every example record (a UUIDv7, as the engine makes). */
export const EXAMPLE_ENGINE_FIELDS = {
  id: '0193e3c1-5f2a-7b4c-8d6e-9f0a1b2c3d4e',
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
} as const;

/**
 * One example record of an automation, made from its schema alone: each property's own
 * `examples`, then `const`, `default`, the first `enum` value, a value of its `format`,
 * or a placeholder of its type within its bounds. Pure and deterministic. The example is
 * checked with the automation's own validator; when no valid one can be made (a required
 * property with a `pattern` and no `examples`, say), there is none, rather than a wrong one.
 *
 * @example exampleRecord(plan)?.input // { name: 'Example name', email: 'name@example.com', plan: 'free' }
 */
export function exampleRecord(plan: AutomationPlan): ExampleRecord | null {
  // Plans are frozen, so one example per plan; each caller gets its own copy to place.
  if (!made.has(plan)) made.set(plan, makeExample(plan));
  return structuredClone(made.get(plan) ?? null);
}

const made = new WeakMap<AutomationPlan, ExampleRecord | null>();

function makeExample(plan: AutomationPlan): ExampleRecord | null {
  const resolve = refResolver(plan.schema);
  const full = exampleOf(plan.schema, resolve, '', 0, false);
  const requiredOnly = exampleOf(plan.schema, resolve, '', 0, true);
  for (const candidate of [full, requiredOnly]) {
    if (!isObject(candidate)) continue;
    // The validator fills defaults into what it checks: that copy is the record as stored.
    const stored = structuredClone(candidate);
    if (!plan.validate(stored)) continue;
    const patch = patchExample(plan.schema, resolve, candidate);
    return { input: candidate, record: { ...EXAMPLE_ENGINE_FIELDS, ...stored }, patch };
  }
  return null;
}

/**
 * A patch changing one field: the first optional one (the first at all without), to
 * another of its `enum` values where it has some, so the example shows a change.
 */
function patchExample(schema: JsonSchema, resolve: Resolve, input: Record<string, unknown>): Record<string, unknown> {
  const required = requiredOf(schema);
  const field = Object.keys(input).find((name) => !required.includes(name)) ?? Object.keys(input)[0];
  if (field === undefined) return {};
  let property: unknown = isObject(schema.properties) ? schema.properties[field] : undefined;
  if (isObject(property) && typeof property.$ref === 'string') property = resolve(property.$ref);
  const other = isObject(property) && Array.isArray(property.enum) ? property.enum.find((v) => v !== input[field]) : undefined;
  return { [field]: structuredClone(other ?? input[field]) };
}

type Resolve = (ref: string) => JsonSchema | undefined;

/** Same-document refs (`#/$defs/Address`, `#/definitions/X`, `#`) of the resource schema. */
function refResolver(root: JsonSchema): Resolve {
  return (ref) => {
    if (ref === '#') return root;
    if (!ref.startsWith('#/')) return undefined;
    let at: unknown = root;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      at = isObject(at) ? at[key] : undefined;
    }
    return isObject(at) ? at : undefined;
  };
}

/** Deep enough for real schemas; a recursive one stops here. */
const MAX_DEPTH = 8;
const NONE = Symbol('no example');

function exampleOf(schema: unknown, resolve: Resolve, name: string, depth: number, requiredOnly: boolean): unknown {
  if (depth > MAX_DEPTH || !isObject(schema)) return schema === true ? 'example' : NONE;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return structuredClone(schema.examples[0]);
  if ('example' in schema) return structuredClone(schema.example);
  if ('const' in schema) return structuredClone(schema.const);
  if ('default' in schema) return structuredClone(schema.default);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return structuredClone(schema.enum[0]);
  if (typeof schema.$ref === 'string') return exampleOf(resolve(schema.$ref), resolve, name, depth + 1, requiredOnly);
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const branches = schema[keyword];
    if (!Array.isArray(branches)) continue;
    // allOf of objects: their properties together; otherwise the first branch that gives one.
    if (keyword === 'allOf' && branches.every((b) => isObject(b) && (b.type === 'object' || 'properties' in b))) {
      const parts = branches.map((b) => exampleOf(b, resolve, name, depth + 1, requiredOnly));
      if (parts.every(isObject)) return Object.assign({}, ...parts);
    }
    for (const branch of branches) {
      const value = exampleOf(branch, resolve, name, depth + 1, requiredOnly);
      if (value !== NONE) return value;
    }
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? ('properties' in schema ? 'object' : undefined)];
  const type = types.find((t) => t !== 'null') ?? types[0];
  switch (type) {
    case 'object':
      return objectExample(schema, resolve, depth, requiredOnly);
    case 'array':
      return arrayExample(schema, resolve, name, depth, requiredOnly);
    case 'string':
      return stringExample(schema, name);
    case 'integer':
    case 'number':
      return numberExample(schema, type === 'integer');
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return NONE;
  }
}

function objectExample(schema: JsonSchema, resolve: Resolve, depth: number, requiredOnly: boolean): unknown {
  const required = requiredOf(schema);
  const out: Record<string, unknown> = {};
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const [key, property] of Object.entries(properties)) {
    if (requiredOnly && !required.includes(key)) continue;
    const value = exampleOf(property, resolve, key, depth + 1, requiredOnly);
    if (value !== NONE) out[key] = value;
    else if (required.includes(key)) return NONE;
  }
  return out;
}

function arrayExample(schema: JsonSchema, resolve: Resolve, name: string, depth: number, requiredOnly: boolean): unknown {
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  if (schema.items === undefined || schema.items === false) return min === 0 ? [] : NONE;
  const item = exampleOf(schema.items, resolve, singularOf(name), depth + 1, requiredOnly);
  if (item === NONE) return min === 0 ? [] : NONE;
  // Equal items break uniqueItems past one.
  if (schema.uniqueItems === true && min > 1) return NONE;
  return Array.from({ length: Math.max(1, min) }, () => structuredClone(item));
}

/** Values of the formats ajv-formats checks that a reader recognises at a glance. */
const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  email: 'name@example.com',
  'idn-email': 'name@example.com',
  uuid: '0193e3c1-5f2a-7b4c-8d6e-9f0a1b2c3d4e',
  'date-time': '2026-01-15T09:30:00.000Z',
  date: '2026-01-15',
  time: '09:30:00Z',
  duration: 'P1D',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': '/example',
  iri: 'https://example.com/',
  'iri-reference': '/example',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  'json-pointer': '/example',
  regex: '^example$',
};

function stringExample(schema: JsonSchema, name: string): unknown {
  if (typeof schema.format === 'string') return FORMAT_EXAMPLES[schema.format] ?? NONE;
  // A pattern decides what is valid, and a placeholder would not match it.
  if (typeof schema.pattern === 'string') return NONE;
  let text = name ? `Example ${name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()}` : 'example';
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  if (text.length < min) text = text.padEnd(min, 'x');
  if (text.length > max) text = text.slice(0, max);
  return text;
}

function numberExample(schema: JsonSchema, integer: boolean): unknown {
  const step = integer ? 1 : 0.5;
  const num = (key: string) => (typeof schema[key] === 'number' ? (schema[key] as number) : undefined);
  const exclusiveMin = num('exclusiveMinimum');
  const exclusiveMax = num('exclusiveMaximum');
  const low = num('minimum') ?? (exclusiveMin === undefined ? undefined : exclusiveMin + step);
  const high = num('maximum') ?? (exclusiveMax === undefined ? undefined : exclusiveMax - step);
  let value = low ?? (high === undefined ? 1 : Math.min(high, 1));
  if (integer) value = Math.ceil(value);
  const multipleOf = num('multipleOf');
  if (multipleOf !== undefined && multipleOf > 0) value = Math.ceil(value / multipleOf) * multipleOf;
  return value;
}

function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
}

/** `tags` -> `tag`, for the placeholder of one item. */
function singularOf(name: string): string {
  return name.endsWith('s') && name.length > 1 ? name.slice(0, -1) : name;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
