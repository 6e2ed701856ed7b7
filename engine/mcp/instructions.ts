import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import { reverseLists } from '../openapi/reverse-lists.ts';

/** Automations named one by one in the instructions; past this, the tool list says the rest. */
const LISTED = 40;

/**
 * The `instructions` a session starts with: what this server is, which automations
 * the caller's key reaches, and the conventions every tool shares (null arguments,
 * paging, ids, updates, errors), so a model needs to read them once rather than per tool.
 */
export function instructionsFor(
  plans: readonly AutomationPlan[],
  visible: (endpoint: EndpointPlan) => boolean,
  options: { anonymous: boolean },
): string {
  const reachable = plans
    .map((plan) => ({
      plan,
      tools: [...plan.endpoints, ...reverseLists(plan).map((r) => r.endpoint)].filter(visible).map((e) => e.operationId),
    }))
    .filter(({ tools }) => tools.length > 0);
  const lines = reachable
    .slice(0, LISTED)
    .map(({ plan, tools }) => `- ${plan.name}: ${plan.description.trim()} Tools: ${tools.join(', ')}.`);
  if (reachable.length > LISTED) lines.push(`- and ${reachable.length - LISTED} more: see the tool list.`);
  return [
    'theCouncil keeps records for automations. Each automation has one tool per operation: listX and searchX find records, getX reads one by id, createX adds one, updateX changes some fields, replaceX rewrites one whole, deleteX removes one.',
    reachable.length ? `Automations you can use:\n${lines.join('\n')}` : 'No automation is available to this caller right now.',
    ...(options.anonymous
      ? ['This session has no API key, so it lists only the public tools; connect with `Authorization: Bearer <key>` for the others.']
      : []),
    'Every argument is listed in each tool; send null (or leave out) those you do not need: each says what null means.',
    'Lists and searches answer {data, meta} one page at a time: while meta.next is not null, call the same tool again with cursor set to meta.next (the cursor keeps the filters, sort and limit) to read the next page. meta.truncated: the page was cut short to keep the answer small; meta.next continues it.',
    'Records have an id set by the server: find ids with the list or search tool, then pass them to get, update, replace and delete. In an update, set holds the fields to change (null: unchanged) and clear names optional fields to remove.',
    ...(reachable.some(({ plan }) => plan.references.length)
      ? [
          'Some records refer to records of another automation by id (a field like accountId). Their list and get tools take expand, the relations to embed in each record (the key needs the read scope of the automation expanded), and a tool like listAccountTickets lists the records that refer to one record, with the filters and paging of the list tool.',
        ]
      : []),
    'A failed call is a tool error holding a problem: code, detail (what to do next), errors (each with the pointer of the argument, a message, the allowed values and a suggestion where there is one), and retryAfterSeconds when waiting helps.',
    'When automations change, the server sends notifications/tools/list_changed: list the tools again.',
  ].join('\n\n');
}
