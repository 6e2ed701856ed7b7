import type { SchemaObject } from 'openapi3-ts/oas31';
import type { AutomationPlan, EndpointPlan, JsonSchema } from '../compile/plan.ts';
import { recordNouns, schemaNames } from '../openapi/names.ts';
import { operationFor } from '../openapi/operations.ts';
import { mapSchemaRefs } from '../openapi/refs.ts';
import { automationSchemas } from '../openapi/schemas.ts';

const COMPONENTS = '#/components/schemas/';

/** What a tool's `structuredContent` holds: an object, as MCP requires of it. */
export type OutputSchema = JsonSchema & { type: 'object' };

/**
 * The `outputSchema` of an endpoint's tool: the JSON body its success answer has in the
 * OpenAPI document (`{data}` or `{data, meta}` around the record schema), with the
 * components it uses as `$defs`. A read may select `fields` and may return records
 * written under an older version of the schema, so there a record promises only its
 * `id` and may hold other properties; a write returns a record the current schema just
 * accepted. A delete (204, no body) answers `{deleted: true, id}`. Pure.
 */
export function toolOutput(plan: AutomationPlan, endpoint: EndpointPlan): OutputSchema {
  if (endpoint.operation === 'delete') return deletedOutput(plan);
  const responses = operationFor(plan, endpoint, true).responses ?? {};
  const success = (responses[200] ?? responses[201]) as { content?: Record<string, { schema?: SchemaObject }> } | undefined;
  const body = success?.content?.['application/json']?.schema;
  if (!body) throw new Error(`no JSON success response for ${endpoint.operationId}`);
  const components = new Map(automationSchemas(plan));
  const reads = endpoint.operation === 'list' || endpoint.operation === 'get' || endpoint.operation === 'search';
  const record = schemaNames(plan).record;
  if (reads) components.set(record, readRecord(components.get(record) as SchemaObject));
  const defs: Record<string, unknown> = {};
  const toDefs = (ref: string) => (ref.startsWith(COMPONENTS) ? `#/$defs/${ref.slice(COMPONENTS.length)}` : ref);
  const pending = [...refsIn(body)];
  while (pending.length) {
    const name = pending.pop() as string;
    if (name in defs) continue;
    const component = components.get(name);
    if (!component) continue;
    defs[name] = mapSchemaRefs(component, toDefs);
    pending.push(...refsIn(component));
  }
  return { ...(mapSchemaRefs(body, toDefs) as OutputSchema), $defs: defs };
}

/** A record as a read returns it: with `fields` only some properties, and `id` always. */
function readRecord(schema: SchemaObject): SchemaObject {
  const { required: _required, additionalProperties: _closed, description, ...rest } = schema;
  return {
    ...rest,
    description: `${description ?? ''} With \`fields\`, only those properties (and \`id\`).`.trim(),
    required: ['id'],
  };
}

function deletedOutput(plan: AutomationPlan): OutputSchema {
  const { one } = recordNouns(plan);
  return {
    type: 'object',
    description: `The ${one} was deleted.`,
    required: ['deleted', 'id'],
    properties: {
      deleted: { type: 'boolean', description: 'Always true: the record is gone.' },
      id: { type: 'string', description: `The id of the deleted ${one}.` },
    },
    additionalProperties: false,
  };
}

/** Component names a schema refers to. */
function refsIn(schema: unknown): string[] {
  const names: string[] = [];
  mapSchemaRefs(schema, (ref) => {
    if (ref.startsWith(COMPONENTS)) names.push(decodeURIComponent(ref.slice(COMPONENTS.length)));
    return ref;
  });
  return names;
}
