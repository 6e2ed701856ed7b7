import type { OperationObject, ParameterObject } from 'openapi3-ts/oas31';
import type { AutomationPlan, EndpointPlan, Reference } from '../compile/plan.ts';
import { reverseListOperationId } from '../schema/reverse-lists.ts';
import { GPT_LIMITS } from './gpt-profile.ts';
import { recordNouns, responseRef } from './names.ts';
import { operationFor } from './operations.ts';
import type { RelatedPlans } from './related.ts';
import { PROBLEM_RESPONSES } from './responses.ts';

/** The list of the records of one automation that refer to one record of another: `GET /accounts/{id}/tickets`. */
export interface ReverseList {
  readonly reference: Reference;
  /**
   * The referring automation's list endpoint at the reverse path, under its own operation
   * id (`listAccountTickets`), summary and description: the same filters, sort, paging,
   * fields, expand and scopes, since HTTP answers it with that list narrowed to one record.
   */
  readonly endpoint: EndpointPlan;
}

const built = new WeakMap<AutomationPlan, readonly ReverseList[]>();

/**
 * The reverse lists `plan`'s references publish, in manifest order: one per reference,
 * when `plan` declares a list (HTTP answers them with it). Built once per plan, from the
 * plan alone.
 */
export function reverseLists(plan: AutomationPlan): readonly ReverseList[] {
  let lists = built.get(plan);
  if (!lists) {
    const list = plan.endpoints.find((e) => e.operation === 'list');
    lists = list ? plan.references.map((reference) => ({ reference, endpoint: reverseEndpoint(plan, list, reference) })) : [];
    built.set(plan, lists);
  }
  return lists;
}

function reverseEndpoint(plan: AutomationPlan, list: EndpointPlan, reference: Reference): EndpointPlan {
  const { many } = recordNouns(plan);
  const owner = words(reference.name);
  const how = `one page at a time, with the filters, sort and paging of ${list.operationId}: to read further, call again with \`cursor\` set to \`meta.next\` until it is null.`;
  const full = `Lists the ${many} whose \`${reference.field}\` is the given ${reference.automation} record's id, ${how} 404 when no ${reference.automation} record has that id.`;
  const short = `Lists the ${many} whose \`${reference.field}\` is the given ${reference.automation} record's id, one page at a time (\`cursor\` = \`meta.next\`).`;
  return {
    ...list,
    path: `/${reference.automation}/{id}/${reference.inverse}`,
    operationId: reverseListOperationId(reference.name, plan.names.plural),
    summary: `List the ${many} of one ${owner}`.slice(0, GPT_LIMITS.operationText),
    description: (full.length <= GPT_LIMITS.operationText ? full : short).slice(0, GPT_LIMITS.operationText),
  };
}

/**
 * The OpenAPI operation of a reverse list: the referring automation's list operation (its
 * tag, parameters, page of records, scopes) with the referred record's `id` first and a
 * 404 for a record that does not exist.
 */
export function reverseListOperation(
  plan: AutomationPlan,
  reverse: ReverseList,
  omitOptionalHeaders: boolean,
  related: RelatedPlans,
): OperationObject {
  const operation = operationFor(plan, reverse.endpoint, omitOptionalHeaders, related);
  operation.parameters = [reverseIdParameter(plan, reverse.reference), ...(operation.parameters ?? [])];
  // Integer keys enumerate in ascending order: 404 takes its place among the others.
  operation.responses = { ...operation.responses, 404: responseRef(PROBLEM_RESPONSES[404]) };
  return operation;
}

/** `{id}` in `/accounts/{id}/tickets`: the referred record's. */
export function reverseIdParameter(plan: AutomationPlan, reference: Reference): ParameterObject {
  return {
    name: 'id',
    in: 'path',
    required: true,
    description: `The \`id\` of the ${reference.automation} record whose ${recordNouns(plan).many} to list (what their \`${reference.field}\` holds).`,
    schema: { type: 'string', format: 'uuid' },
  };
}

/** `billingAccount` -> `billing account`, for generated prose. */
function words(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}
