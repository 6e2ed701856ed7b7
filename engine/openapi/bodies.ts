import type { SchemaObject } from 'openapi3-ts/oas31';
import { type SchemaNames, schemaRef } from './names.ts';

/**
 * The JSON bodies of successful answers: one record (`{data}`), a page (`{data: [...],
 * meta}`), and what a response too long for the budget carries (`meta.cut`, and the pieces
 * get returns). Fresh objects on every call: the document never shares an object.
 */

/** A record as returned: whole, or part of it (`?fields=`, or values cut to fit: see `meta.cut`). */
function recordOrPart(names: SchemaNames): SchemaObject {
  return { anyOf: [schemaRef(names.record), schemaRef(names.partial)] };
}

/** `meta.cut`: the values a response shortened, and where the rest is. */
function cutList(): SchemaObject {
  return {
    type: 'array',
    description:
      'Present only when the record is longer than one response may be: the values cut short in this response. Read the rest of each with a GET of its `next`.',
    items: {
      type: 'object',
      required: ['pointer', 'length', 'returned'],
      properties: {
        pointer: {
          type: 'string',
          description: 'JSON Pointer to the cut value inside the record (`/body`, `/items/3/text`; an empty string for the record itself).',
        },
        length: {
          type: 'integer',
          minimum: 0,
          description: 'Its whole length: characters of a string, items of an array, members of an object.',
        },
        returned: { type: 'integer', minimum: 0, description: 'How much of it this response holds, from the start.' },
        next: {
          type: 'string',
          format: 'uri-reference',
          description:
            'Path of the get request for the rest (`?piece=<pointer>&offset=<returned>&version=<updatedAt>`), one piece at a time. Absent when the automation has no get endpoint.',
        },
      },
    },
  };
}

function cutDetail(): SchemaObject {
  return { type: 'string', description: 'With `cut`: what was cut and how to read the rest, in words.' };
}

/** `{data}` of get, create, update and replace; `meta` only when the record was cut (or on a piece, for get). */
export function recordBody(names: SchemaNames, pieces: boolean): SchemaObject {
  return {
    type: 'object',
    required: ['data'],
    properties: {
      data: recordOrPart(names),
      ...(pieces ? { piece: piece() } : {}),
      meta: {
        type: 'object',
        description: pieces
          ? 'Present when the record was cut to fit the response (`cut`, `detail`), and with `piece` (`next`, and `cut` for items cut in turn).'
          : 'Present only when the record was cut to fit the response.',
        properties: {
          cut: cutList(),
          detail: cutDetail(),
          ...(pieces
            ? {
                next: {
                  type: ['string', 'null'],
                  description: 'On a piece: the path of the next piece; null after the last.',
                },
              }
            : {}),
        },
      },
    },
  };
}

/** `piece` of `GET /<name>/{id}?piece=/body&offset=40000` (whose `data` is then the record's id alone). */
function piece(): SchemaObject {
  return {
    type: 'object',
    description: "Only when the request has `piece`: one piece of a value cut short (`data` then holds only the record's `id`).",
    required: ['pointer', 'offset', 'length', 'returned', 'value'],
    properties: {
      pointer: { type: 'string', description: 'The value the piece is of, as `piece` named it.' },
      offset: { type: 'integer', minimum: 0, description: 'Where the piece starts in the value.' },
      length: { type: 'integer', minimum: 0, description: 'The whole length of the value.' },
      returned: { type: 'integer', minimum: 0, description: 'How much of the value this piece holds.' },
      value: {
        description:
          'The piece: characters of a string, items of an array or members of an object, from `offset`. An item too long for one piece is cut in turn (see `meta.cut`).',
        anyOf: [{ type: 'string' }, { type: 'array', items: {} }, { type: 'object' }],
      },
    },
  };
}

/** A list or search page. */
export function pageBody(names: SchemaNames, counts: boolean): SchemaObject {
  const count: Record<string, SchemaObject> = counts
    ? { count: { type: 'integer', description: 'How many records match the filters in all; only when the request sets `count=true`.' } }
    : {};
  return {
    type: 'object',
    required: ['data', 'meta'],
    properties: {
      data: { type: 'array', items: recordOrPart(names), description: 'The records of this page, in the requested order.' },
      meta: {
        type: 'object',
        required: ['next', 'limit'],
        properties: {
          next: {
            type: ['string', 'null'],
            description: 'Cursor of the next page: pass it as `cursor` to continue. null when this is the last page.',
          },
          limit: { type: 'integer', description: 'The page size that was applied.' },
          truncated: {
            type: 'boolean',
            description:
              'Present (true) when the page holds fewer records than `limit` because the response would otherwise be too long; `next` continues after the last record here.',
          },
          ...count,
          cut: cutList(),
          detail: cutDetail(),
        },
      },
    },
  };
}
