import type { SchemaObject } from 'openapi3-ts/oas31';
import { problemCodes } from '../errors/codes.ts';

export const PROBLEM_SCHEMA = 'Problem';

/** The RFC 9457 problem details every error response carries, as `application/problem+json`. */
export function problemSchema(): SchemaObject {
  const codes = Object.entries(problemCodes).map(([code, meaning]) => `\`${code}\`: ${meaning}`);
  return {
    type: 'object',
    description: 'What went wrong (RFC 9457 problem details). Act on `code` and `errors`; `title` and `detail` are for people.',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', format: 'uri-reference', description: 'URI identifying the kind of problem.' },
      title: { type: 'string', description: 'Short summary of the kind of problem; the same for every occurrence.' },
      status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status code, repeated.' },
      detail: { type: 'string', description: 'What went wrong with this request, in words.' },
      code: {
        type: 'string',
        enum: Object.keys(problemCodes),
        description: `Stable machine-readable code; branch on this rather than on \`title\`. ${codes.join(' ')}`,
      },
      errors: {
        type: 'array',
        description: 'Every invalid field found, not just the first (for `validation-failed`, `value-too-long` and `invalid-query`).',
        items: {
          type: 'object',
          required: ['pointer', 'message'],
          properties: {
            pointer: {
              type: 'string',
              description:
                'JSON Pointer (RFC 6901) to the invalid value: into the request body (for example `/email`) or `/query/<param>` for a query parameter.',
            },
            message: { type: 'string', description: 'What is wrong with the value and what is expected.' },
            allowed: {
              type: 'array',
              description:
                'The values or names accepted at `pointer` (enum values, properties, query parameters, sort keys), when they can be listed.',
              // Enum values may be of any JSON type; names are strings.
              items: { description: 'One accepted value or name, exactly as it would be sent.' },
            },
            suggestion: {
              type: 'string',
              description: 'The accepted value closest to what was sent, when it looks like a typo: retry with it.',
            },
          },
        },
      },
    },
  };
}
