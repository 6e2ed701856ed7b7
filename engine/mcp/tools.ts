import type { AutomationPlan, EndpointPlan, Operation } from '../compile/plan.ts';
import { recordNouns } from '../openapi/names.ts';
import { operationFor } from '../openapi/operations.ts';
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
}

const READS: ReadonlySet<Operation> = new Set(['list', 'get', 'search']);
/**
 * Calls that may remove or overwrite data: a delete removes a record, a replace drops
 * what it is not sent, an update overwrites the fields it sets and removes those it clears.
 */
const DESTRUCTIVE: ReadonlySet<Operation> = new Set(['delete', 'replace', 'update']);

const built = new WeakMap<AutomationPlan, readonly Tool[]>();

/**
 * The tools of one automation, one per endpoint, built once per compiled plan (plans
 * are immutable; a reload brings a new plan and so new tools).
 */
export function toolsOf(plan: AutomationPlan): readonly Tool[] {
  let tools = built.get(plan);
  if (!tools) {
    const ajv = argumentAjv();
    tools = plan.endpoints.map((endpoint) => {
      const input = toolInput(plan, endpoint);
      const definition = toolFor(plan, endpoint, input);
      return { definition, plan, endpoint, input, check: argumentCheck(ajv, definition.inputSchema) };
    });
    built.set(plan, tools);
  }
  return tools;
}

/**
 * An update tool says how its arguments work (the HTTP document's words are about a
 * merge patch, where null removes), then the endpoint's own description, or the automation's.
 */
function updateDescription(plan: AutomationPlan, endpoint: EndpointPlan): string {
  const { one } = recordNouns(plan);
  const how = `Changes some fields of one ${one}: \`set\` holds the fields to change (null or left out: unchanged), \`clear\` names optional fields to remove.`;
  return `${how} ${endpoint.description ?? plan.description}`;
}

/**
 * The tool of one endpoint, from the same plan and the same OpenAPI pieces as the HTTP
 * document: the input from its parameters or record schema in the subset every model
 * client accepts (see client-rules.ts), the output from its success response. Pure.
 */
export function toolFor(plan: AutomationPlan, endpoint: EndpointPlan, input = toolInput(plan, endpoint)): ToolDefinition {
  const { operation } = endpoint;
  const openapi = operationFor(plan, endpoint, true);
  return {
    name: endpoint.operationId,
    title: endpoint.summary,
    description: operation === 'update' ? updateDescription(plan, endpoint) : (openapi.description ?? endpoint.summary),
    inputSchema: input.schema,
    outputSchema: toolOutput(plan, endpoint),
    annotations: {
      readOnlyHint: READS.has(operation),
      destructiveHint: DESTRUCTIVE.has(operation),
      // Calling again with the same arguments changes nothing more; only a create adds another record.
      idempotentHint: operation !== 'create',
      openWorldHint: false,
    },
  };
}
