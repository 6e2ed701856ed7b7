import type { SchemaObject } from 'openapi3-ts/oas31';
import { type AutomationPlan, ENGINE_FIELDS, type JsonSchema } from '../compile/plan.ts';
import { embedResourceSchema } from './embed.ts';
import { exampleRecord } from './example.ts';
import { recordNouns, type SchemaNames, schemaNames } from './names.ts';
import { relationProperty } from './relations.ts';

/**
 * The component schemas of one automation, in document order: the record (`Account`),
 * the create/replace body (`AccountInput`), the merge-patch body (`AccountPatch`), part of
 * a record (`AccountPartial`: `?fields=`, or long values cut), then the resource schema's
 * hoisted definitions (`Account_Address`, ...). Each of the first four carries one example,
 * made from the schema (see {@link exampleRecord}) when a valid one can be made. The
 * record has a property per relation (`?expand=`): the referred automation's record when
 * `referred` names its schemas (it is in the same document), else an object with its id.
 */
export function automationSchemas(
  plan: AutomationPlan,
  referred: (automation: string) => SchemaNames | undefined = () => undefined,
): [string, SchemaObject][] {
  const names = schemaNames(plan);
  const { root, defs } = embedResourceSchema(plan.schema, plan.names.singular, names.input);
  const example = exampleRecord(plan);
  const record = recordSchema(plan, structuredClone(root));
  for (const reference of plan.references) {
    (record.properties as Record<string, SchemaObject>)[reference.name] = relationProperty(reference, referred(reference.automation));
  }
  const input = inputSchema(plan, structuredClone(root));
  const patch = patchSchema(plan, structuredClone(root), new Map(defs));
  const partial = partialSchema(plan, record);
  // The resource schema's own root `examples` are bodies: they stay on the input only.
  delete record.examples;
  if (example) {
    record.examples = [example.record];
    input.examples ??= [example.input];
    patch.examples = [example.patch];
    partial.examples = [partialExample(example.record)];
  }
  return [
    [names.record, record],
    [names.input, input],
    [names.patch, patch],
    [names.partial, partial],
    ...defs.map(([name, def]): [string, SchemaObject] => [name, def as SchemaObject]),
  ];
}

/**
 * Part of a record, as `?fields=` returns it (`id` and the fields asked for) or as a
 * response too long for the budget carries it (see `meta.cut`): the record's properties,
 * of which only `id` is sure to be there.
 */
function partialSchema(plan: AutomationPlan, record: SchemaObject): SchemaObject {
  const { one } = recordNouns(plan);
  // Only what says which properties exist and what each holds: the rules between properties
  // (`allOf`, `if`, `dependentRequired`, ...) are about whole records.
  const kept = ['properties', 'patternProperties', 'additionalProperties', 'propertyNames'] as const;
  const copy = structuredClone(record) as JsonSchema;
  return {
    type: 'object',
    description: `Some fields of one ${one}: those \`?fields=\` asked for, with \`id\` always; or the whole ${one} with the values named in \`meta.cut\` shortened to fit the response. Each field present is as in \`${schemaNames(plan).record}\`.`,
    required: ['id'],
    ...Object.fromEntries(kept.filter((k) => copy[k] !== undefined).map((k) => [k, copy[k]])),
  };
}

/** `?fields=<first property>` on the example record. */
function partialExample(record: Record<string, unknown>): Record<string, unknown> {
  const field = Object.keys(record).find((key) => !(ENGINE_FIELDS as readonly string[]).includes(key));
  return { id: record.id, ...(field === undefined ? {} : { [field]: record[field] }) };
}

function recordSchema(plan: AutomationPlan, root: JsonSchema): SchemaObject {
  const { title: _title, description, type: _type, required, properties, ...rest } = root;
  const lead = typeof description === 'string' ? description : `One ${recordNouns(plan).one}.`;
  const ownRequired = Array.isArray(required) ? (required as string[]) : [];
  return {
    type: 'object',
    description: `${lead} As stored and returned by the API, with the fields the server manages: \`id\`, \`createdAt\` and \`updatedAt\`.`,
    required: [...new Set([...ENGINE_FIELDS, ...ownRequired])],
    properties: { ...engineProperties(plan), ...(properties as SchemaObject['properties']) },
    ...rest,
  };
}

function engineProperties(plan: AutomationPlan): Record<(typeof ENGINE_FIELDS)[number], SchemaObject> {
  return {
    id: {
      type: 'string',
      format: 'uuid',
      readOnly: true,
      description: `Unique id of the ${recordNouns(plan).one}, set by the server. Use it in \`${plan.basePath}/{id}\`.`,
    },
    createdAt: { type: 'string', format: 'date-time', readOnly: true, description: 'When the record was created, set by the server.' },
    updatedAt: { type: 'string', format: 'date-time', readOnly: true, description: 'When the record was last changed, set by the server.' },
  };
}

function inputSchema(plan: AutomationPlan, root: JsonSchema): SchemaObject {
  if (typeof root.description === 'string') return root as SchemaObject;
  const description = `The fields of one ${recordNouns(plan).one}, as sent to create or replace it. Leave out \`id\`, \`createdAt\` and \`updatedAt\`: the server sets them.`;
  return { description, ...root } as SchemaObject;
}

/**
 * Only the keywords about which properties exist carry over: the constraints between
 * properties (`required`, `allOf`, `if`, ...) apply to the merged record, which the server
 * validates against the input schema after applying the patch.
 */
function patchSchema(plan: AutomationPlan, root: JsonSchema, defs: ReadonlyMap<string, unknown>): SchemaObject {
  const names = schemaNames(plan);
  return {
    ...objectPatch(root, defs, new Set()),
    description: `Changes to one ${recordNouns(plan).one}, as a JSON merge patch (RFC 7396): send only the fields to change; \`null\` removes an optional field; nested objects are merged the same way. The merged record must still be a valid \`${names.input}\`.`,
  } as SchemaObject;
}

/** The patch form of an object schema; nested objects merge too, so they get the same treatment. */
function objectPatch(schema: JsonSchema, defs: ReadonlyMap<string, unknown>, expanding: ReadonlySet<string>): JsonSchema {
  const patch: JsonSchema = {
    type: 'object',
    properties: mapValues(schema.properties, (p) => nullable(nestedPatch(p, defs, expanding))),
  };
  if (schema.patternProperties !== undefined) patch.patternProperties = mapValues(schema.patternProperties, nullable);
  if (schema.additionalProperties !== undefined) patch.additionalProperties = nullable(schema.additionalProperties);
  if (schema.unevaluatedProperties !== undefined) patch.unevaluatedProperties = nullable(schema.unevaluatedProperties);
  if (schema.propertyNames !== undefined) patch.propertyNames = schema.propertyNames;
  return patch;
}

const COMPONENT_REF = '#/components/schemas/';

/**
 * A property that holds an object with declared properties (inline, or a hoisted
 * definition it refers to) as a patch of that object; anything else is replaced whole.
 * A definition already being expanded keeps its $ref, so recursive schemas end.
 */
function nestedPatch(property: unknown, defs: ReadonlyMap<string, unknown>, expanding: ReadonlySet<string>): unknown {
  if (typeof property !== 'object' || property === null) return property;
  let schema = property as JsonSchema;
  let seen = expanding;
  const { $ref, description } = schema;
  if (typeof $ref === 'string' && $ref.startsWith(COMPONENT_REF)) {
    const name = decodeURIComponent($ref.slice(COMPONENT_REF.length));
    const target = defs.get(name);
    if (expanding.has(name) || typeof target !== 'object' || target === null) return property;
    schema = { ...(target as JsonSchema), ...(typeof description === 'string' ? { description } : {}) };
    seen = new Set([...expanding, name]);
  } else if (schema.$ref !== undefined) {
    return property;
  }
  const mergeable = schema.type === 'object' && typeof schema.properties === 'object';
  if (!mergeable || ['allOf', 'anyOf', 'oneOf', 'not', 'if', '$ref'].some((k) => k in schema)) return property;
  const about = schema.description;
  return { ...(typeof about === 'string' ? { description: about } : {}), ...objectPatch(schema, defs, seen) };
}

/**
 * `schema` or `null`. The description moves up so readers see it first; a `default` is
 * dropped because leaving a field out of a patch keeps its value rather than resetting it.
 * Boolean schemas stay as they are: `additionalProperties: false` must still refuse unknown fields.
 */
function nullable(schema: unknown): SchemaObject {
  // OpenAPI 3.1 schemas may be booleans; openapi3-ts's types do not say so.
  if (typeof schema === 'boolean') return schema as unknown as SchemaObject;
  const { description, default: _default, ...rest } = (schema ?? {}) as JsonSchema;
  const removes: SchemaObject = { type: 'null', description: 'Removes the field (allowed only if the field is optional).' };
  return {
    ...(typeof description === 'string' ? { description } : {}),
    anyOf: [rest as SchemaObject, removes],
  };
}

function mapValues<T>(map: unknown, f: (value: unknown) => T): Record<string, T> {
  const entries = typeof map === 'object' && map !== null ? Object.entries(map) : [];
  return Object.fromEntries(entries.map(([key, value]) => [key, f(value)]));
}
