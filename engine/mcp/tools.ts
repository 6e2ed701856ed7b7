import type { ParameterObject, SchemaObject } from 'openapi3-ts/oas31';
import { propertiesOf } from '../compile/fields.ts';
import type { AutomationPlan, EndpointPlan, JsonSchema } from '../compile/plan.ts';
import { operationFor } from '../openapi/operations.ts';
import { fieldsParameter, idParameter, listParameters, searchParameters } from '../openapi/parameters.ts';

/** One MCP tool: an endpoint, under its operationId. */
export interface ToolDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[]; [key: string]: unknown };
  readonly annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
}

const READS = new Set(['list', 'get', 'search']);

/**
 * The tool of one endpoint, from the same plan and the same OpenAPI pieces as the HTTP
 * document: its parameters become the input's properties, and the record schema (with
 * its own `$defs`) the body's. Pure.
 */
export function toolFor(plan: AutomationPlan, endpoint: EndpointPlan): ToolDefinition {
  const { operation } = endpoint;
  const openapi = operationFor(plan, endpoint, true);
  return {
    name: endpoint.operationId,
    title: endpoint.summary,
    description: openapi.description ?? endpoint.summary,
    inputSchema: inputSchema(plan, endpoint),
    annotations: {
      readOnlyHint: READS.has(operation),
      // A replace drops whatever it is not sent; a delete drops everything.
      destructiveHint: operation === 'delete' || operation === 'replace',
      idempotentHint: operation !== 'create',
      openWorldHint: false,
    },
  };
}

function inputSchema(plan: AutomationPlan, endpoint: EndpointPlan): ToolDefinition['inputSchema'] {
  switch (endpoint.operation) {
    case 'list':
      return fromParameters(listParameters(plan, endpoint));
    case 'search':
      return fromParameters(searchParameters(plan, endpoint));
    case 'get':
      return fromParameters([idParameter(plan), fieldsParameter(plan)]);
    case 'delete':
      return fromParameters([idParameter(plan)]);
    case 'create':
      return recordInput(plan.schema, { id: false, partial: false });
    case 'replace':
      return recordInput(plan.schema, { id: true, partial: false });
    case 'update':
      return recordInput(plan.schema, { id: true, partial: true });
  }
}

/** Query and path parameters as properties; their schemas never point at OpenAPI components. */
function fromParameters(parameters: readonly ParameterObject[]): ToolDefinition['inputSchema'] {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of parameters) {
    properties[p.name] = { ...withoutComponentRefs(p.schema as SchemaObject), ...(p.description ? { description: p.description } : {}) };
    if (p.required) required.push(p.name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

/** The record's own schema as the input, `id` first where the record is named; an update sends only what changes. */
function recordInput(schema: JsonSchema, options: { id: boolean; partial: boolean }): ToolDefinition['inputSchema'] {
  const { properties: _p, required: declared, type: _t, ...rest } = structuredClone(schema);
  const properties = { ...(options.id ? { id: { type: 'string', description: 'The id of the record.' } } : {}), ...propertiesOf(schema) };
  const required = [...(options.id ? ['id'] : []), ...(options.partial ? [] : ((declared as string[] | undefined) ?? []))];
  return { ...rest, type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** `#/components/...` means nothing outside the OpenAPI document: such a schema accepts anything, described in words. */
function withoutComponentRefs(schema: SchemaObject | undefined): SchemaObject {
  if (schema === undefined) return {};
  return JSON.parse(JSON.stringify(schema), (_key, value) =>
    value && typeof value === 'object' && typeof value.$ref === 'string' && value.$ref.startsWith('#/components/') ? {} : value,
  ) as SchemaObject;
}

/** The HTTP request a tool call stands for: the same route, so the same checks, answers and audit. */
export function requestFor(endpoint: EndpointPlan, args: Record<string, unknown>, origin: string): Request {
  const { id, ...rest } = args;
  const path = endpoint.path.replace('{id}', encodeURIComponent(String(id ?? '')));
  const url = new URL(path, origin);
  if (endpoint.method === 'GET' || endpoint.method === 'DELETE') {
    for (const [name, value] of Object.entries(rest)) {
      if (value !== undefined && value !== null) url.searchParams.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    return new Request(url, { method: endpoint.method });
  }
  const body = endpoint.operation === 'create' ? args : rest;
  return new Request(url, { method: endpoint.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
