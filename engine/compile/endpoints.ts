import type { ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { LRUCache } from 'lru-cache';
import type { EndpointDeclaration } from '../manifest/manifest.ts';
import { fieldKind, followLocalRef, propertiesOf } from '../schema/fields.ts';
import { filterDeclaration, offeredOperators } from '../schema/filter-operators.ts';
import type { AutomationPlan, EndpointPlan, FilterPlan, HttpMethod, JsonSchema, Operation } from './plan.ts';

const ROUTES: Record<Operation, { method: HttpMethod; item: boolean; verb: string; plural: boolean }> = {
  list: { method: 'GET', item: false, verb: 'list', plural: true },
  get: { method: 'GET', item: true, verb: 'get', plural: false },
  create: { method: 'POST', item: false, verb: 'create', plural: false },
  update: { method: 'PATCH', item: true, verb: 'update', plural: false },
  replace: { method: 'PUT', item: true, verb: 'replace', plural: false },
  delete: { method: 'DELETE', item: true, verb: 'delete', plural: false },
  search: { method: 'GET', item: false, verb: 'search', plural: true },
  batch: { method: 'POST', item: false, verb: 'batch', plural: true },
  upsert: { method: 'PUT', item: false, verb: 'upsert', plural: false },
};

const SUMMARIES: Record<Operation, (singular: string, plural: string) => string> = {
  list: (_, plural) => `List ${plural}`,
  get: (singular) => `Get one ${singular} by id`,
  create: (singular) => `Create ${article(singular)} ${singular}`,
  update: (singular) => `Update some fields of ${article(singular)} ${singular}`,
  replace: (singular) => `Replace ${article(singular)} ${singular}`,
  delete: (singular) => `Delete ${article(singular)} ${singular}`,
  search: (_, plural) => `Search ${plural} by words`,
  batch: (_, plural) => `Create, update and delete many ${plural} in one request`,
  upsert: (singular) => `Create or replace ${article(singular)} ${singular} by a unique field`,
};

type Names = AutomationPlan['names'];

/** Turns an endpoint declaration into its route, operation id and list options. */
export function compileEndpoint(
  declaration: EndpointDeclaration,
  basePath: string,
  names: Names,
  schema: JsonSchema,
  ajv: Ajv2020,
  backend: string,
  access: EndpointPlan['access'],
): Omit<EndpointPlan, 'consequential'> {
  const route = ROUTES[declaration.operation];
  const properties = propertiesOf(schema);
  const words = { singular: spaced(names.singular), plural: spaced(names.plural) };
  const filters: FilterPlan[] = (declaration.filters ?? []).map((entry) => {
    const { field, ...declared } = filterDeclaration(entry);
    const kind = fieldKind(properties[field], schema) as FilterPlan['kind'];
    return {
      field,
      kind,
      operators: offeredOperators({ field, ...declared }, kind, backend),
      schema: (followLocalRef(properties[field], schema) ?? {}) as JsonSchema,
      // The property's schema with the root's definitions beside it, so local $refs resolve.
      check: filterCheck(ajv, { ...withoutDefault(properties[field]), ...definitionsOf(schema) }),
    };
  });
  const named = declaration.operation === 'search' || declaration.operation === 'batch';
  const path = named ? `${basePath}/${declaration.operation}` : route.item ? `${basePath}/{id}` : basePath;
  return {
    operation: declaration.operation,
    method: route.method,
    path,
    operationId: `${route.verb}${route.plural ? names.plural : names.singular}`,
    summary: declaration.summary ?? SUMMARIES[declaration.operation](words.singular, words.plural),
    ...(declaration.description === undefined ? {} : { description: declaration.description }),
    filters,
    sort: declaration.sort ?? [],
    searchFields: declaration.fields ?? [],
    access,
  };
}

/** A property schema as a standalone root: ajv's strict mode refuses a `default` there. */
function withoutDefault(property: unknown): JsonSchema {
  const { default: _default, ...rest } = structuredClone(property as JsonSchema);
  return rest;
}

function definitionsOf(schema: JsonSchema): JsonSchema {
  const { $defs, definitions } = schema;
  return structuredClone({ ...($defs === undefined ? {} : { $defs }), ...(definitions === undefined ? {} : { definitions }) });
}

/**
 * Filter checkers by the schema they check. A filter's schema is a property's, most often
 * one of a few (`type: string`, a boolean, a short enum) across all automations, and a
 * compile costs about as much as a small record schema's: with 1,000 automations of one
 * filter each, compiling every one was 6% of the start. A checker is a pure function of
 * its schema (its `errors` are read at once, on the same turn), so one serves them all.
 */
const filterChecks = new LRUCache<string, ValidateFunction>({ max: 500 });

function filterCheck(ajv: Ajv2020, schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let check = filterChecks.get(key);
  if (!check) {
    check = ajv.compile(schema);
    filterChecks.set(key, check);
  }
  return check;
}

/** `an` before a vowel sound as spelled (`an invoice`, `a user`: close enough for generated summaries). */
function article(noun: string): 'a' | 'an' {
  return /^[aeio]|^u(?!s|t|ni(?!n))/.test(noun) ? 'an' : 'a';
}

/** `SupportTicket` -> `support ticket`, for generated prose. */
function spaced(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}
