import type { AutomationPlan, EndpointPlan, Operation, Reference } from '../compile/plan.ts';
import { versionNote } from '../compile/versions.ts';
import { recordNouns } from '../openapi/names.ts';
import { operationFor } from '../openapi/operations.ts';
import { NO_RELATED, type RelatedPlans } from '../openapi/related.ts';
import { reverseLists } from '../openapi/reverse-lists.ts';
import { expandNote, reverseListInput, withExpand } from './reference-tools.ts';
import { type ArgumentCheck, argumentAjv, argumentCheck } from './tool-arguments.ts';
import { type ToolInput, toolInput } from './tool-input.ts';
import { type OutputSchema, toolOutput } from './tool-output.ts';

/** One MCP tool as tools/list publishes it: an endpoint, under its operationId. */
export interface ToolDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: ToolInput['schema'];
  readonly outputSchema: OutputSchema;
  readonly annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
}

/** A tool with what calling it needs: its endpoint, how arguments map to HTTP, and their check. */
export interface Tool {
  readonly definition: ToolDefinition;
  readonly plan: AutomationPlan;
  readonly endpoint: EndpointPlan;
  readonly input: ToolInput;
  readonly check: ArgumentCheck;
  /** A reverse list's tool (`listAccountTickets`): the reference it lists by; `endpoint` is then the list at its path. */
  readonly reference?: Reference;
}

const READS: ReadonlySet<Operation> = new Set(['list', 'get', 'search']);
/**
 * Calls that may remove or overwrite data: a delete removes a record, a replace drops
 * what it is not sent, an update overwrites the fields it sets and removes those it clears.
 */
const DESTRUCTIVE: ReadonlySet<Operation> = new Set(['delete', 'replace', 'update', 'batch', 'upsert']);

const built = new WeakMap<AutomationPlan, { readonly related: readonly unknown[]; readonly tools: readonly Tool[] }>();

/**
 * The tools of one automation, one per endpoint, then one per reverse list its references
 * publish (`listAccountTickets`), built once per compiled plan (plans are immutable; a
 * reload brings a new plan and so new tools) and per version of the automations its
 * references reach, whose scopes and relations the tools name (`related`).
 */
export function toolsOf(plan: AutomationPlan, related: RelatedPlans = NO_RELATED): readonly Tool[] {
  const reached = [...plan.references.map((r) => related.plan(r.automation)), ...related.referrers(plan.name).map((r) => r.plan)];
  const cached = built.get(plan);
  if (cached && cached.related.length === reached.length && cached.related.every((p, i) => p === reached[i])) return cached.tools;
  const ajv = argumentAjv();
  const tool = (endpoint: EndpointPlan, input: ToolInput, reference?: Reference): Tool => {
    const definition = toolFor(plan, endpoint, input, related);
    return { definition, plan, endpoint, input, check: argumentCheck(ajv, definition.inputSchema), ...(reference ? { reference } : {}) };
  };
  const tools = plan.endpoints.map((endpoint) => tool(endpoint, endpointInput(plan, endpoint, related)));
  for (const reverse of reverseLists(plan)) {
    tools.push(tool(reverse.endpoint, reverseListInput(plan, reverse, endpointInput(plan, reverse.endpoint, related)), reverse.reference));
  }
  built.set(plan, { related: reached, tools });
  return tools;
}

/** An endpoint's tool input; a list or get of an automation with references also takes `expand`. */
function endpointInput(plan: AutomationPlan, endpoint: EndpointPlan, related: RelatedPlans): ToolInput {
  const input = toolInput(plan, endpoint);
  return endpoint.operation === 'list' || endpoint.operation === 'get' ? withExpand(input, plan, related) : input;
}

/**
 * An update tool says how its arguments work (the HTTP document's words are about a
 * merge patch, where null removes), then the endpoint's own description, or the automation's.
 */
function updateDescription(plan: AutomationPlan, endpoint: EndpointPlan): string {
  const { one } = recordNouns(plan);
  const how = `Changes some fields of one ${one}: \`set\` holds the fields to change (null or left out: unchanged), \`clear\` names optional fields to remove.`;
  return [versionNote(plan), how, endpoint.description ?? plan.description].filter(Boolean).join(' ');
}

/**
 * The tool of one endpoint, from the same plan and the same OpenAPI pieces as the HTTP
 * document: the input from its parameters or record schema in the subset every model
 * client accepts (see client-rules.ts), the output from its success response. Pure.
 */
export function toolFor(
  plan: AutomationPlan,
  endpoint: EndpointPlan,
  input = toolInput(plan, endpoint),
  related: RelatedPlans = NO_RELATED,
): ToolDefinition {
  const { operation } = endpoint;
  const openapi = operationFor(plan, endpoint, true, related);
  const own = operation === 'update' ? updateDescription(plan, endpoint) : (openapi.description ?? endpoint.summary);
  const expands = input.schema.properties.expand ? expandNote(plan, related) : '';
  return {
    name: endpoint.operationId,
    title: endpoint.summary,
    description: [own, expands].filter(Boolean).join(' '),
    inputSchema: input.schema,
    outputSchema: toolOutput(plan, endpoint),
    annotations: {
      readOnlyHint: READS.has(operation),
      destructiveHint: DESTRUCTIVE.has(operation),
      // Calling again with the same arguments changes nothing more; only a create adds another record.
      idempotentHint: operation !== 'create' && operation !== 'batch',
      openWorldHint: false,
    },
  };
}
