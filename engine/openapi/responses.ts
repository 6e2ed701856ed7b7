import type { ResponseObject } from 'openapi3-ts/oas31';
import { schemaRef } from './names.ts';
import { PROBLEM_SCHEMA } from './problem.ts';

/** Error statuses an operation may document, each served by one shared response component. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 428 | 429 | 503 | 504;

/** Component name of the shared response for each documented error status. */
export const PROBLEM_RESPONSES: Readonly<Record<ProblemStatus, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'ValidationFailed',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** What a caller should do on each error, written for a model acting without a human. */
const ADVICE: Readonly<Record<ProblemStatus, string>> = {
  400: 'The request could not be read: the body is not valid JSON (`code: malformed-json`), or a query parameter is unknown, repeated or invalid (`code: invalid-query`, with `errors[].pointer` = `/query/<param>`), or a header is invalid (`code: invalid-header`). Fix the request as `detail` and `errors` say, then retry.',
  401: 'No valid API key was sent (`code: unauthorized`): it is missing, malformed, unknown, revoked or expired. Send the key as `Authorization: Bearer <key>`. Do not retry without a different key; ask the user for a valid one.',
  403: 'The API key is valid but lacks the scope this operation needs (`code: forbidden`; `detail` names the scope). Nothing was done. Do not retry with the same key; tell the user which scope is missing.',
  404: 'No record has this id (`code: not-found`): it never existed or was deleted. Do not retry with the same id; list the records to find the right one.',
  409: 'A field that must be unique already has this value in another record (`code: conflict`, with `errors[].pointer` naming the field): choose another value for that field, or find and change the record that has it. Or the first request with the same `Idempotency-Key` is still running (`code: idempotency-in-progress`): retry after `Retry-After` seconds to get its answer. Or, on a delete, other records still refer to this one (`code: still-referenced`, `errors` counting them by automation and field): nothing was deleted; delete those records or change their reference first, then retry.',
  412: "The record changed since it was read (`code: precondition-failed`): the `If-Match` sent is not its current version. GET the record again, reapply the change to what it holds now, and retry with the new `ETag` as `If-Match`. The current `ETag` is in this response's headers. (On a get with `piece`: the record changed since the piece's link was made; read the record again from the start.)",
  413: 'The request body is larger than the server accepts (`code: payload-too-large`). Send a smaller body, for example with shorter text fields, then retry.',
  415: 'The body was not sent as JSON (`code: unsupported-media-type`). Retry with the header `Content-Type: application/json`.',
  422: 'The body does not match the schema (`code: validation-failed`). `errors` lists every invalid field, each with a JSON Pointer and a message. Fix the fields listed in `errors` and retry. (`code: idempotency-key-reused`: the `Idempotency-Key` was used for another body; send a new key. `code: value-too-long`: a string in a sorted, filtered or unique field is too long for the store to index; shorten it. `code: reference-missing`: a field that refers to a record of another automation names no such record, each listed in `errors`; list that automation to find the right id, or leave the field out.)',
  428: 'This automation requires `If-Match` on writes (`code: precondition-required`). GET the record, then retry the write with its `ETag` header value as `If-Match`.',
  429: 'Too many requests from this client to this automation (`code: rate-limited`). Nothing was done. Wait the number of seconds in `Retry-After`, then retry the same request; `RateLimit-Remaining` says how many requests are left.',
  503: 'The store behind this automation cannot be reached right now (`code: storage-unavailable`), or an automation its records refer to is not serving (`code: reference-unavailable`). Wait the number of seconds in `Retry-After`, then retry the same request.',
  504: 'The store did not answer in time (`code: timeout`). A read can be retried after `Retry-After` seconds, narrower if it can be (fewer `contains` filters, no `count=true`). After a write, `detail` says whether it was cancelled; if it may have been applied, read the record (or list) before retrying, so it is not applied twice.',
};

/** The shared error responses, keyed by component name, in status order. */
export function problemResponses(): [string, ResponseObject][] {
  return (Object.keys(PROBLEM_RESPONSES) as `${ProblemStatus}`[]).map((key) => {
    const status = Number(key) as ProblemStatus;
    const response: ResponseObject = {
      description: ADVICE[status],
      content: { 'application/problem+json': { schema: schemaRef(PROBLEM_SCHEMA) } },
    };
    if (status === 503 || status === 504 || status === 429 || status === 409) {
      response.headers = {
        'Retry-After': {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer', minimum: 0 },
        },
      };
    }
    return [PROBLEM_RESPONSES[status], response];
  });
}
