import type { ParameterObject, RequestBodyObject, ResponseObject, SchemaObject } from 'openapi3-ts/oas31';
import { batchOperations } from '../compile/batch-operations.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { recordNouns, schemaNames, schemaRef } from './names.ts';

/**
 * The OpenAPI of `POST /NAME/batch` and `PUT /NAME?by=FIELD`: what a batch carries and
 * answers, and the unique field an upsert finds its record by.
 */

/** `{ operations: [{ op, id, data, ifMatch }] }`, each `data` typed as the single write's body. */
export function batchRequestBody(plan: AutomationPlan): RequestBodyObject {
  const names = schemaNames(plan);
  const ops = batchOperations(plan);
  const { many } = recordNouns(plan);
  const bodies = [
    ...(ops.includes('create') || ops.includes('replace') ? [schemaRef(names.input)] : []),
    ...(ops.includes('update') ? [schemaRef(names.patch)] : []),
  ];
  const item: SchemaObject = {
    type: 'object',
    required: ['op'],
    additionalProperties: false,
    properties: {
      op: { type: 'string', enum: [...ops], description: 'What this operation does.' },
      id: {
        type: 'string',
        format: 'uuid',
        description: 'The record to update, replace or delete (its `id`); left out for create, which makes one.',
      },
      ...(bodies.length
        ? {
            data: {
              ...(bodies.length === 1 ? bodies[0] : { anyOf: bodies }),
              description: `create and replace: the whole record, as ${names.input}; update: the fields to change, as ${names.patch}; delete: left out.`,
            },
          }
        : {}),
      ifMatch: { type: 'string', description: "The record's ETag, to write only if it has not changed since it was read (as If-Match)." },
    },
  };
  return {
    required: true,
    description: `Up to ${plan.pagination.maxBatch} writes to ${many}, run in order.`,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['operations'],
          additionalProperties: false,
          properties: { operations: { type: 'array', minItems: 1, maxItems: plan.pagination.maxBatch, items: item } },
        },
      },
    },
  };
}

/** The 200 of a batch: one result per operation, in order. */
export function batchResponse(plan: AutomationPlan): ResponseObject {
  const names = schemaNames(plan);
  return {
    description: 'One result per operation, in the order sent. With `meta.atomic` every write was made; otherwise check each `status`.',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['data', 'meta'],
          properties: {
            data: {
              type: 'array',
              items: {
                type: 'object',
                required: ['op', 'status'],
                properties: {
                  op: { type: 'string', enum: [...batchOperations(plan)] },
                  status: {
                    type: 'integer',
                    description:
                      'The status this write would have answered alone: 201 created, 200 changed, 204 deleted, 4xx or 503 not written.',
                  },
                  id: { type: 'string', format: 'uuid', description: 'The record written (created: its new id).' },
                  data: {
                    ...schemaRef(names.record),
                    description: 'The record as stored (not for deletes, nor past the response budget).',
                  },
                  problem: {
                    type: 'object',
                    description: 'Why this write was not made (only where writes run one by one).',
                    required: ['code', 'detail'],
                    properties: {
                      code: { type: 'string' },
                      detail: { type: 'string' },
                      errors: {
                        type: 'array',
                        items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } },
                      },
                    },
                  },
                },
              },
            },
            meta: {
              type: 'object',
              required: ['atomic', 'written', 'failed'],
              properties: {
                atomic: {
                  type: 'boolean',
                  description:
                    'True: all or nothing (a failure answers 4xx for the whole batch, nothing written). False: each write on its own.',
                },
                written: { type: 'integer', description: 'Writes made.' },
                failed: { type: 'integer', description: 'Writes not made.' },
                truncated: {
                  type: 'boolean',
                  description: 'Present when the records were left out to fit the response budget; GET them by id.',
                },
              },
            },
          },
        },
      },
    },
  };
}

/** `?by=`: the unique field an upsert finds the record by. */
export function upsertParameter(plan: AutomationPlan): ParameterObject {
  const unique = [...(plan.storage.spec.unique ?? [])];
  return {
    name: 'by',
    in: 'query',
    required: unique.length > 1,
    description: `The unique field to find the ${recordNouns(plan).one} by: the one holding the body's value of it is replaced, else one is created.${unique.length === 1 ? ` Left out: ${unique[0]}.` : ''}`,
    schema: { type: 'string', enum: unique },
  };
}
