import type { OperationObject, ParameterObject, RequestBodyObject, ResponsesObject } from 'openapi3-ts/oas31';
import { capabilities } from '../../adapters/capabilities.ts';
import type { AutomationPlan, EndpointPlan, Operation } from '../compile/plan.ts';
import { versionNote } from '../compile/versions.ts';
import { batchRequestBody, batchResponse, upsertParameter } from './batch.ts';
import { pageBody, recordBody } from './bodies.ts';
import { exampleRecord } from './example.ts';
import { GPT_LIMITS } from './gpt-profile.ts';
import { recordNouns, responseRef, schemaNames, schemaRef } from './names.ts';
import { getParameters, idParameter, listParameters, searchParameters } from './parameters.ts';
import { NO_RELATED, type RelatedPlans } from './related.ts';
import { deleteEffects, expandNeedsKey, expandParameter } from './relations.ts';
import { PROBLEM_RESPONSES, type ProblemStatus } from './responses.ts';

/** Error statuses each operation documents; 429, 503 and 504 are added to all of them, 500 to none. */
const ERRORS: Readonly<Record<Operation, readonly ProblemStatus[]>> = {
  list: [400],
  get: [400, 404, 412],
  create: [400, 409, 413, 415, 422],
  update: [400, 404, 409, 412, 413, 415, 422],
  replace: [400, 404, 412, 413, 415, 422],
  delete: [400, 404, 412],
  search: [400],
  batch: [400, 404, 409, 412, 413, 415, 422],
  upsert: [400, 409, 413, 415, 422],
};

/**
 * One OpenAPI operation for one endpoint of an automation. `related` (the other automations
 * known) makes what references reach precise: the scopes `expand` needs, what a delete
 * also deletes or changes.
 */
export function operationFor(
  plan: AutomationPlan,
  endpoint: EndpointPlan,
  omitOptionalHeaders = false,
  related: RelatedPlans = NO_RELATED,
): OperationObject {
  const effects = endpoint.operation === 'delete' ? deleteEffects(plan, related) : '';
  const operation: OperationObject = {
    operationId: endpoint.operationId,
    tags: [plan.name],
    summary: endpoint.summary,
    description: [
      versionNote(plan),
      endpoint.description === undefined ? defaultDescription(plan, endpoint.operation, effects) : endpoint.description,
      endpoint.description === undefined ? '' : effects,
    ]
      .filter(Boolean)
      .join(' '),
  };
  if (plan.version.deprecation) operation.deprecated = true;
  if (endpoint.operation === 'list') operation.parameters = listParameters(plan, endpoint);
  else if (endpoint.operation === 'search') operation.parameters = searchParameters(plan, endpoint);
  else if (endpoint.operation === 'get') operation.parameters = getParameters(plan);
  else if (endpoint.operation === 'upsert') operation.parameters = [upsertParameter(plan)];
  else if (endpoint.operation !== 'create' && endpoint.operation !== 'batch') {
    operation.parameters = omitOptionalHeaders && !plan.requireIfMatch ? [idParameter(plan)] : [idParameter(plan), ifMatchParameter(plan)];
  }
  if ((endpoint.operation === 'list' || endpoint.operation === 'get') && plan.references.length) {
    operation.parameters?.push(expandParameter(plan, related));
  }
  if (!omitOptionalHeaders && ['create', 'update', 'batch', 'upsert'].includes(endpoint.operation)) {
    operation.parameters = [...(operation.parameters ?? []), idempotencyKeyParameter()];
  }
  const body = requestBody(plan, endpoint.operation);
  if (body) operation.requestBody = body;
  operation.responses = { ...successResponse(plan, endpoint.operation), ...errorResponses(plan, endpoint, related) };
  // The document's default is the API key; a public operation opts out.
  if (endpoint.access.public) operation.security = [];
  // GPT Actions ask the user before calling a consequential operation.
  operation['x-openai-isConsequential'] = endpoint.consequential;
  return operation;
}

function defaultDescription(plan: AutomationPlan, operation: Operation, effects: string): string {
  const { one, many } = recordNouns(plan);
  const what: Record<Operation, string> = {
    list: `Lists ${many}, one page at a time: to read further, call again with \`cursor\` set to \`meta.next\` until it is null.`,
    get: `Returns one ${one} by its id.`,
    create: `Creates one ${one} and returns it with its new \`id\`.`,
    update: `Changes some fields of one ${one}: send only the fields to change; \`null\` removes an optional field.`,
    replace: `Replaces one ${one} as a whole: fields left out are removed or reset to their defaults.`,
    delete: `Deletes one ${one} for good.`,
    search: `Finds ${many} by words, best matches first: to read further, call again with \`cursor\` set to \`meta.next\` until it is null.`,
    batch: `Runs up to ${plan.pagination.maxBatch} creates, updates, replaces and deletes of ${many} in one request, in order. Everything is checked before anything is written. ${
      capabilities[plan.storage.backend]?.transactions
        ? 'All or nothing: if one write fails, none is made and the answer names it.'
        : 'Each write is made on its own; check the `status` of each result.'
    }`,
    upsert: `Creates one ${one}, or replaces the one with the same value of the unique field \`by\` names (keeping its id): 201 when created, 200 when replaced.`,
  };
  // The automation's description follows when the whole stays within what GPT Actions
  // accept; it is always in the tag and in the per-automation document's info.
  const own = [what[operation], effects].filter(Boolean).join(' ');
  const full = `${own} ${plan.description}`;
  return full.length <= GPT_LIMITS.operationText ? full : own;
}

function requestBody(plan: AutomationPlan, operation: Operation): RequestBodyObject | undefined {
  const names = schemaNames(plan);
  const { one } = recordNouns(plan);
  const example = exampleRecord(plan);
  if (operation === 'create' || operation === 'replace') {
    return {
      required: true,
      description:
        operation === 'create' ? `The new ${one}.` : `The ${one} as it should be; every field not sent is removed or reset to its default.`,
      content: { 'application/json': { schema: schemaRef(names.input), ...(example ? { example: example.input } : {}) } },
    };
  }
  if (operation === 'batch') return batchRequestBody(plan);
  if (operation === 'upsert') {
    return {
      required: true,
      description: `The ${one} as it should be, holding the value of the field \`by\` names.`,
      content: { 'application/json': { schema: schemaRef(names.input), ...(example ? { example: example.input } : {}) } },
    };
  }
  if (operation === 'update') {
    const media = () => ({ schema: schemaRef(names.patch), ...(example ? { example: structuredClone(example.patch) } : {}) });
    // application/json first: it is what most clients (and GPT actions) send.
    return {
      required: true,
      description: `The fields to change (JSON merge patch); \`null\` removes an optional field.`,
      content: { 'application/json': media(), 'application/merge-patch+json': media() },
    };
  }
  return undefined;
}

function successResponse(plan: AutomationPlan, operation: Operation): ResponsesObject {
  const names = schemaNames(plan);
  const { one, many } = recordNouns(plan);
  const example = exampleRecord(plan)?.record;
  const single = (description: string) => ({
    description,
    content: { 'application/json': { schema: recordBody(names, operation === 'get'), ...(example ? { example: { data: example } } : {}) } },
  });
  const page = (description: string, counts: boolean) => ({
    description,
    content: {
      'application/json': {
        schema: pageBody(names, counts),
        ...(example ? { example: { data: [example], meta: { next: null, limit: plan.pagination.defaultLimit } } } : {}),
      },
    },
  });
  switch (operation) {
    case 'list':
      return { 200: page(`One page of ${many}.`, true) };
    case 'search':
      return { 200: page(`One page of matching ${many}, best first.`, false) };
    case 'get':
      return { 200: { ...single(`The ${one}.`), headers: etagHeader() } };
    case 'create':
      return {
        201: {
          ...single(`The ${one} as stored, with its new \`id\`.`),
          headers: {
            Location: { description: `URL of the new ${one}.`, schema: { type: 'string', format: 'uri-reference' } },
            ...etagHeader(),
          },
        },
      };
    case 'update':
    case 'replace':
      return { 200: { ...single(`The ${one} as stored after the change.`), headers: etagHeader() } };
    case 'delete':
      return { 204: { description: `The ${one} was deleted. No body.` } };
    case 'batch':
      return { 200: batchResponse(plan) };
    case 'upsert': {
      const location = { description: `URL of the new ${one}.`, schema: { type: 'string', format: 'uri-reference' } };
      return {
        200: { ...single(`The ${one} as stored after replacing the one found.`), headers: etagHeader() },
        201: { ...single(`The ${one} as stored, created: no ${one} held that value.`), headers: { Location: location, ...etagHeader() } },
      };
    }
  }
}

function errorResponses(plan: AutomationPlan, endpoint: EndpointPlan, related: RelatedPlans): ResponsesObject {
  const { operation } = endpoint;
  // A public read may still expand a relation whose automation needs a key.
  const reads = operation === 'list' || operation === 'get';
  const keyed = !endpoint.access.public || (reads && plan.references.length > 0 && expandNeedsKey(plan, related));
  const statuses: ProblemStatus[] = [...ERRORS[operation], ...(keyed ? ([401, 403] as const) : [])];
  if (plan.requireIfMatch && ERRORS[operation].includes(412)) statuses.push(428);
  // Writes can repeat a unique value.
  if ((plan.storage.spec.unique ?? []).length && operation === 'replace') statuses.push(409);
  // Other records still refer to it (restrict), or more than a delete may change would cascade.
  if (operation === 'delete' && related.referrers(plan.name).length) statuses.push(409);
  statuses.sort((a, b) => a - b);
  return Object.fromEntries(
    [...statuses, 429 as const, 503 as const, 504 as const].map((status) => [status, responseRef(PROBLEM_RESPONSES[status])]),
  );
}

/** A fresh object each time: the document never shares an object between two places. */
const idempotencyKeyParameter = (): ParameterObject => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A unique value (a UUID) for this write. Retrying with the same key and body within the remembered window (24 hours by default) returns the first answer (with `Idempotent-Replayed: true`) and writes nothing again; the same key with another body is a 422, and while the first request runs, a 409.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
});

/** `If-Match` on writes: optional, or required when the manifest says `requireIfMatch`. */
function ifMatchParameter(plan: AutomationPlan): ParameterObject {
  const when = plan.requireIfMatch
    ? 'Required: a write without it gets 428.'
    : 'Optional: without it the write applies to whatever the record holds.';
  return {
    name: 'If-Match',
    in: 'header',
    required: plan.requireIfMatch,
    description: `The \`ETag\` from the response that gave you the record. The write applies only if the record has not changed since; otherwise 412 and nothing is written. ${when}`,
    schema: { type: 'string' },
  };
}

/** A fresh object each time: the document never shares an object between two places. */
function etagHeader() {
  return {
    ETag: { description: 'Version of the record; send it as `If-Match` to write only if it has not changed.', schema: { type: 'string' } },
  };
}
