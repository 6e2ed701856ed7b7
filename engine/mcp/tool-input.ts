import type { ParameterObject } from 'openapi3-ts/oas31';
import type { FilterOperator } from '../../adapters/types.ts';
import { batchOperations } from '../compile/batch-operations.ts';
import type { AutomationPlan, EndpointPlan, FilterPlan, JsonSchema } from '../compile/plan.ts';
import { selectableFields } from '../http/fields-param.ts';
import { filterParameter, MAX_IN_VALUES } from '../http/filter-params.ts';
import { FILTER_MEANING, filterParameters } from '../openapi/filter-parameters.ts';
import { recordNouns } from '../openapi/names.ts';
import { getParameters, idParameter, listParameters, searchParameters } from '../openapi/parameters.ts';
import { followLocalRef } from '../schema/fields.ts';
import type { PathSegment } from '../source/source.ts';
import { type Adaptation, type ArgumentShape, type Conversion, object, orNull, portable } from './portable-schema.ts';

/**
 * A tool's input: its schema (what tools/list publishes) and what the tool needs to turn
 * arguments back into the endpoint's HTTP request and its errors back into arguments.
 */
export interface ToolInput {
  /** Closed objects, every property required (the optional ones also take null): valid for Claude, Gemini and OpenAI strict mode. */
  readonly schema: JsonSchema & { type: 'object'; properties: Record<string, JsonSchema> };
  /** HTTP query parameter -> the argument's JSON Pointer (`plan[gte]` -> `/filter/plan/gte`). */
  readonly queryArguments: ReadonlyMap<string, string>;
  /** The record's fields as arguments: at the top (create, replace) or under `set` (update). */
  readonly body?: { readonly at: '' | '/set'; readonly shape: ArgumentShape };
  /** A batch's operations: `record` and `set` of each item shaped as the create and update tools' arguments. */
  readonly batch?: { readonly record?: ArgumentShape; readonly set?: ArgumentShape };
  /** Fields `clear` may name (update). */
  readonly clearable: readonly string[];
  /** The argument sent as `If-Match` (update, replace, delete): the record's `updatedAt` as last read. */
  readonly version?: typeof VERSION_ARGUMENT;
  /** Where the record schema could not be carried as written (see {@link Adaptation}). */
  readonly adaptations: readonly Adaptation[];
  /** Tool-schema pointer -> where it came from in the manifest. */
  readonly sources: ReadonlyMap<string, ToolSource>;
}

/** The manifest part a piece of a tool schema comes from: the record schema, or a list's filter. */
export type ToolSource = { readonly schema: readonly PathSegment[] } | { readonly filter: string };

const NO_BODY = { clearable: [], adaptations: [], sources: new Map() } as const;

/** The input of one endpoint's tool, from the same plan and OpenAPI parameters as the HTTP document. Pure. */
export function toolInput(plan: AutomationPlan, endpoint: EndpointPlan): ToolInput {
  switch (endpoint.operation) {
    case 'list':
      return listInput(plan, endpoint);
    case 'search':
      return searchInput(plan, endpoint);
    case 'get':
      return getInput(plan);
    case 'delete':
      return {
        ...NO_BODY,
        ...closed({ id: idArgument(plan), [VERSION_ARGUMENT]: versionArgument(plan) }),
        queryArguments: new Map(),
        version: VERSION_ARGUMENT,
      };
    case 'create':
    case 'replace':
      return recordInput(plan, endpoint.operation === 'replace');
    case 'update':
      return updateInput(plan);
    case 'upsert':
      return upsertInput(plan);
    case 'batch':
      return batchInput(plan);
  }
}

/** The argument naming the unique field of an upsert (HTTP's `?by=`); not a likely record field. */
export const UPSERT_BY_ARGUMENT = 'match_by';

/** Upsert: the record's fields, and `match_by`, the unique field that finds the record to replace. */
function upsertInput(plan: AutomationPlan): ToolInput {
  const record = recordInput(plan, false);
  const unique = [...(plan.storage.spec.unique ?? [])];
  const what = `The unique field to find the ${recordNouns(plan).one} by: the one holding the value given here is replaced (keeping its id), else one is created.`;
  const by: JsonSchema =
    unique.length === 1
      ? orNull({ type: 'string', enum: unique, description: what }, `Null or left out: ${unique[0]}.`)
      : { type: 'string', enum: unique, description: what };
  return {
    ...record,
    ...closed({ [UPSERT_BY_ARGUMENT]: by, ...record.schema.properties }),
    queryArguments: new Map([['by', `/${UPSERT_BY_ARGUMENT}`]]),
  };
}

/**
 * Batch: `operations`, each `{ op, id, record, set, if_updated_at }` with `record` shaped as
 * the create tool's fields and `set` as the update tool's, so every client checks them.
 */
function batchInput(plan: AutomationPlan): ToolInput {
  const ops = batchOperations(plan);
  const { one, many } = recordNouns(plan);
  const conversion = newConversion(plan);
  const base = '/properties/operations/items/properties';
  const item: Record<string, JsonSchema> = {
    op: { type: 'string', enum: [...ops], description: 'What this operation does.' },
    id: orNull(
      { type: 'string', minLength: 1, description: `The id of the ${one} to ${ops.filter((o) => o !== 'create').join(', ')}.` },
      'Null for create.',
    ),
  };
  const shapes: { record?: ArgumentShape; set?: ArgumentShape } = {};
  if (ops.includes('create') || ops.includes('replace')) {
    const record = object(plan.schema, { path: [], pointer: `${base}/record/anyOf/0`, mode: 'absent' }, conversion, true);
    item.record = orNull({ ...record.schema, description: `create and replace: the whole ${one}.` }, 'Null for update and delete.');
    shapes.record = record.shape;
  }
  if (ops.includes('update')) {
    const changes = object(plan.schema, { path: [], pointer: `${base}/set/anyOf/0`, mode: 'unchanged', names: [] }, conversion, true);
    item.set = orNull({ ...changes.schema, description: `update: the fields to change, with their new values.` }, 'Null for the others.');
    shapes.set = changes.shape;
  }
  if (ops.some((o) => o !== 'create')) item[VERSION_ARGUMENT] = versionArgument(plan);
  const operations: JsonSchema = {
    type: 'array',
    description: `Up to ${plan.pagination.maxBatch} writes to ${many}, run in order.`,
    items: { type: 'object', properties: item, required: Object.keys(item), additionalProperties: false },
    minItems: 1,
    maxItems: plan.pagination.maxBatch,
  };
  return {
    ...closed({ operations }),
    queryArguments: new Map(),
    batch: shapes,
    clearable: [],
    adaptations: conversion.adaptations,
    sources: schemaSources(conversion),
  };
}

/** A record, or one piece of a value an answer cut short (`piece`, `offset`, `version` as the cut's `next` gives them). */
function getInput(plan: AutomationPlan): ToolInput {
  const byName = new Map(getParameters(plan).map((p) => [p.name, p]));
  const notes: Record<string, string> = {
    piece: 'Null or left out: the record itself.',
    offset: 'Null or left out: 0.',
    version: 'Null or left out: no check.',
  };
  const properties: Record<string, JsonSchema> = { id: idArgument(plan), fields: fieldsArgument(plan) };
  for (const [name, note] of Object.entries(notes)) {
    const parameter = byName.get(name);
    if (parameter) properties[name] = orNull(scalarOf(parameter), note);
  }
  return { ...NO_BODY, ...closed(properties), queryArguments: query(Object.keys(properties).filter((name) => name !== 'id')) };
}

function listInput(plan: AutomationPlan, endpoint: EndpointPlan): ToolInput {
  const byName = new Map(listParameters(plan, endpoint).map((p) => [p.name, p]));
  const properties: Record<string, JsonSchema> = {};
  const queryArguments = new Map<string, string>();
  const notes: Record<string, string> = {
    limit: `Null or left out: ${plan.pagination.defaultLimit}.`,
    cursor: 'Null or left out: the first page.',
    sort: 'Null or left out: oldest first (`createdAt`).',
    count: 'Null or left out: false.',
  };
  for (const name of ['limit', 'cursor', 'sort', 'count']) {
    const parameter = byName.get(name);
    if (!parameter) continue;
    properties[name] = orNull(scalarOf(parameter), notes[name] as string);
    queryArguments.set(name, `/${name}`);
  }
  properties.fields = fieldsArgument(plan);
  queryArguments.set('fields', '/fields');
  const sources = new Map<string, ToolSource>();
  if (endpoint.filters.length) {
    const filters: Record<string, JsonSchema> = {};
    for (const filter of endpoint.filters) {
      filters[filter.field] = filterArgument(plan, filter, queryArguments);
      sources.set(`/properties/filter/anyOf/0/properties/${filter.field}`, { filter: filter.field });
    }
    properties.filter = orNull(
      {
        type: 'object',
        description: `Only ${recordNouns(plan).many} that meet every condition given here; each field takes its own conditions.`,
        properties: filters,
        required: Object.keys(filters),
        additionalProperties: false,
      },
      'Null or left out: no condition.',
    );
  }
  return { ...NO_BODY, ...closed(properties), queryArguments, sources };
}

/** The conditions on one field: one nullable argument per operator the list offers on it. */
function filterArgument(plan: AutomationPlan, filter: FilterPlan, queryArguments: Map<string, string>): JsonSchema {
  const parameters = filterParameters(plan, filter);
  const { many } = recordNouns(plan);
  const property = followLocalRef(filter.schema, plan.schema) as JsonSchema | undefined;
  const about = typeof property?.description === 'string' ? ` (${property.description.trim()})` : '';
  const properties: Record<string, JsonSchema> = {};
  filter.operators.forEach((op, index) => {
    const { schema } = parameters[index] as ParameterObject;
    const ordering =
      RANGES.has(op) && filter.kind === 'string' ? ' Text compares character by character (ISO dates compare as dates).' : '';
    const value =
      op === 'in'
        ? inArgument(plan, filter)
        : scalarOf({
            name: op,
            in: 'query',
            schema: schema ?? {},
            description: `Only ${many} whose \`${filter.field}\` ${FILTER_MEANING[op]}.${ordering}`,
          });
    properties[op] = orNull(value, 'Null or left out: no such condition.');
    queryArguments.set(filterParameter(filter.field, op), `/filter/${filter.field}/${op}`);
  });
  return orNull(
    {
      type: 'object',
      description: `Conditions on \`${filter.field}\`${about}, by operator; all those given must hold.`,
      properties,
      required: [...filter.operators],
      additionalProperties: false,
    },
    `Null or left out: no condition on \`${filter.field}\`.`,
  );
}

const RANGES: ReadonlySet<FilterOperator> = new Set(['gt', 'gte', 'lt', 'lte']);

/** `in` takes the values as an array (HTTP joins them with commas). */
function inArgument(plan: AutomationPlan, filter: FilterPlan): JsonSchema {
  const property = followLocalRef(filter.schema, plan.schema) as JsonSchema;
  const choices = Array.isArray(property?.enum) ? property.enum.filter((v) => v !== null) : undefined;
  const item = scalarOf({ name: 'in', in: 'query', schema: { type: filter.kind, ...(choices ? { enum: choices } : {}) } });
  return {
    type: 'array',
    description: `Only ${recordNouns(plan).many} whose \`${filter.field}\` is one of these values (at most ${MAX_IN_VALUES}; text values without commas).`,
    items: item,
    minItems: 1,
    maxItems: MAX_IN_VALUES,
  };
}

function searchInput(plan: AutomationPlan, endpoint: EndpointPlan): ToolInput {
  const byName = new Map(searchParameters(plan, endpoint).map((p) => [p.name, p]));
  const q = byName.get('q') as ParameterObject;
  const limit = byName.get('limit') as ParameterObject;
  const cursor = byName.get('cursor') as ParameterObject;
  return {
    ...NO_BODY,
    ...closed({
      q: orNull(scalarOf(q), 'Null: only with `cursor`, which carries the words of its search.'),
      limit: orNull(scalarOf(limit), `Null or left out: ${plan.pagination.defaultLimit}.`),
      cursor: orNull(scalarOf(cursor), 'Null or left out: the first page.'),
      fields: fieldsArgument(plan),
    }),
    queryArguments: query(['q', 'limit', 'cursor', 'fields']),
  };
}

/**
 * Create: the record's fields; replace: `id`, the record's fields and the version
 * argument, unless a field has its name (then the tool goes without it, and says so).
 */
function recordInput(plan: AutomationPlan, replace: boolean): ToolInput {
  const conversion = newConversion(plan);
  const record = object(plan.schema, { path: [], pointer: '', mode: 'absent' }, conversion, true);
  const fields = record.schema.properties as Record<string, JsonSchema>;
  const taken = Object.hasOwn(fields, VERSION_ARGUMENT);
  if (replace && taken) {
    conversion.adaptations.push({
      code: 'mcp-property-name',
      path: ['properties', VERSION_ARGUMENT],
      message: `has the name of the argument that carries If-Match, so the replace tool goes without it${plan.requireIfMatch ? ' and cannot write (this automation requires If-Match)' : ''}`,
      advice: 'rename it',
    });
  }
  const version: Record<string, JsonSchema> = replace && !taken ? { [VERSION_ARGUMENT]: versionArgument(plan) } : {};
  const input = replace ? closed({ id: idArgument(plan), ...fields, ...version }) : closed(fields);
  return {
    ...input,
    queryArguments: new Map(),
    body: { at: '', shape: record.shape },
    clearable: [],
    adaptations: conversion.adaptations,
    sources: schemaSources(conversion),
    ...(replace && !taken ? { version: VERSION_ARGUMENT } : {}),
  };
}

/** The argument a write sends as `If-Match`: not a record field name in update and delete, checked in replace. */
export const VERSION_ARGUMENT = 'if_updated_at';

/**
 * The record's `updatedAt` as last read (its ETag is that value in quotes): the write
 * applies only if the record still has it. Required where the automation says `requireIfMatch`.
 */
function versionArgument(plan: AutomationPlan): JsonSchema {
  const { one } = recordNouns(plan);
  const get = plan.endpoints.find((e) => e.operation === 'get')?.operationId;
  const read = get ? `call ${get}` : 'read it';
  const what = `The \`updatedAt\` of the ${one} as you last read it: the change applies only if the ${one} has not changed since; otherwise nothing is written and the call fails.`;
  if (plan.requireIfMatch) return { type: 'string', minLength: 1, description: `${what} Required by this automation: ${read} first.` };
  return orNull(
    { type: 'string', minLength: 1, description: what },
    `Null or left out: the change applies to whatever the ${one} holds now.`,
  );
}

/**
 * Update: `set` holds the fields to change, every one nullable with null meaning
 * "unchanged", so a client that must send every argument (OpenAI strict mode) changes
 * nothing it did not mean to; `clear` names the optional fields to remove.
 */
function updateInput(plan: AutomationPlan): ToolInput {
  const conversion = newConversion(plan);
  const changes = object(plan.schema, { path: [], pointer: '/properties/set/anyOf/0', mode: 'unchanged', names: [] }, conversion, true);
  const { one } = recordNouns(plan);
  const properties: Record<string, JsonSchema> = {
    id: idArgument(plan),
    set: orNull(
      {
        ...changes.schema,
        description: `The fields of the ${one} to change, with their new values; a field that holds an object is merged into (only its fields given here change).`,
      },
      'Null or left out: no field changes.',
    ),
  };
  if (conversion.clearable.length) {
    properties.clear = orNull(
      {
        type: 'array',
        description: `Optional fields to remove from the ${one} (a nested field as \`parent.child\`); a field with a default takes its default again. Required fields cannot be removed.`,
        items: { type: 'string', enum: [...conversion.clearable] },
        minItems: 1,
      },
      'Null or left out: nothing is removed.',
    );
  }
  properties[VERSION_ARGUMENT] = versionArgument(plan);
  return {
    ...closed(properties),
    version: VERSION_ARGUMENT,
    queryArguments: new Map(),
    body: { at: '/set', shape: changes.shape },
    clearable: [...conversion.clearable],
    adaptations: conversion.adaptations,
    sources: schemaSources(conversion),
  };
}

function newConversion(plan: AutomationPlan): Conversion {
  return { root: plan.schema, adaptations: [], provenance: new Map(), clearable: [] };
}

function schemaSources(conversion: Conversion): Map<string, ToolSource> {
  return new Map([...conversion.provenance].map(([pointer, path]) => [pointer, { schema: path }]));
}

/** The tool's root: every argument listed in `required`, nothing else accepted. */
function closed(properties: Record<string, JsonSchema>): Pick<ToolInput, 'schema'> {
  return { schema: { type: 'object', properties, required: Object.keys(properties), additionalProperties: false } };
}

function query(names: readonly string[]): Map<string, string> {
  return new Map(names.map((name) => [name, `/${name}`]));
}

function idArgument(plan: AutomationPlan): JsonSchema {
  return { type: 'string', description: `${idParameter(plan).description ?? ''} A UUID.`.trim(), minLength: 1 };
}

/** `fields` as a list of names (HTTP joins them with commas). */
function fieldsArgument(plan: AutomationPlan): JsonSchema {
  return orNull(
    {
      type: 'array',
      description: 'Return only these properties of each record, to keep the answer small (`id` is always included).',
      items: { type: 'string', enum: selectableFields(plan) },
      minItems: 1,
    },
    'Null or left out: every property.',
  );
}

/** A query parameter's value schema in the portable subset, with the parameter's description. */
function scalarOf(parameter: ParameterObject): JsonSchema {
  const schema = { ...(parameter.schema as JsonSchema), ...(parameter.description ? { description: parameter.description } : {}) };
  const conversion: Conversion = { root: {}, adaptations: [], provenance: new Map(), clearable: [] };
  return portable(schema, { path: [], pointer: '', mode: 'absent' }, conversion).schema;
}
