import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonSchema } from '../compile/plan.ts';
import type { FieldError } from '../errors/problem.ts';
import { toFieldErrors } from '../http/field-errors.ts';

/** Checks a tool call's arguments; every problem at once, pointers in argument terms (`/filter/plan/eq`). */
export type ArgumentCheck = (args: unknown) => FieldError[];

/**
 * Compiles the check of one tool's arguments against its input schema, leniently where
 * the schema's strictness is only for OpenAI's strict mode: an argument that may be
 * null may also be left out. Several tools share one ajv (one per automation version),
 * so a replaced automation's compiled code goes with it.
 */
export function argumentCheck(ajv: Ajv, schema: JsonSchema): ArgumentCheck {
  // Compiled on the first call: `council validate` and a start-up list every tool, and
  // most tools of a server are never called (ajv's compiler is most of a start's CPU).
  let validate: ValidateFunction | undefined;
  return (args) => {
    validate ??= ajv.compile(lenient(schema) as JsonSchema);
    return validate(args) ? [] : toFieldErrors(validate.errors);
  };
}

/** An ajv for the argument checks of one automation's tools. */
export function argumentAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, messages: true, verbose: true, validateSchema: false });
  // `date-time` is the one format tool inputs keep (see portable-schema.ts); the others are checked by the endpoint.
  addFormats.default(ajv, ['date-time']);
  return ajv;
}

/**
 * The same schema with `anyOf [T, null]` written as T allowing null (one error message
 * instead of one per branch), and `required` keeping only the arguments that may not be null.
 */
function lenient(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(lenient);
  if (typeof node !== 'object' || node === null) return node;
  const schema = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === 'properties' ? mapValues(value) : lenient(value)]),
  );
  const choices = schema.anyOf as JsonSchema[] | undefined;
  if (Array.isArray(choices) && choices.some(isNull)) {
    const rest = choices.filter((c) => !isNull(c));
    const { anyOf: _anyOf, ...outer } = schema;
    const only = rest.length === 1 ? (rest[0] as JsonSchema) : undefined;
    if (only && typeof only.type === 'string' && only.anyOf === undefined) {
      const enumValues = Array.isArray(only.enum) ? { enum: [...only.enum, null] } : {};
      return { ...outer, ...only, type: [only.type, 'null'], ...enumValues };
    }
    return { ...outer, anyOf: [...rest, { type: 'null' }] };
  }
  if (schema.type === 'object' && Array.isArray(schema.required)) {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    schema.required = (schema.required as string[]).filter((name) => !mayBeNull(properties[name]));
  }
  return schema;
}

function mapValues(properties: unknown): unknown {
  if (typeof properties !== 'object' || properties === null) return properties;
  return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, lenient(value)]));
}

function isNull(schema: unknown): boolean {
  return (schema as JsonSchema | null)?.type === 'null';
}

function mayBeNull(schema: JsonSchema | undefined): boolean {
  const type = schema?.type;
  return (Array.isArray(type) && type.includes('null')) || (Array.isArray(schema?.anyOf) && (schema.anyOf as unknown[]).some(isNull));
}
