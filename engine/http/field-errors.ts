import type { ErrorObject } from 'ajv';
import { ENGINE_FIELDS } from '../compile/plan.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { choices, type FieldError, HttpProblem } from '../errors/problem.ts';
import { pathToPointer } from '../source/source.ts';

/**
 * ajv errors as `{ pointer, message }` pairs a model can act on: the pointer names the
 * exact field (the missing or unexpected one, not its parent) and the message says
 * what would be accepted.
 */
export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors ?? []) {
    const fieldError = describe(error);
    const key = `${fieldError.pointer}\u0000${fieldError.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(fieldError);
    }
  }
  return out;
}

/** The engine's own fields a body sets (`id`, `createdAt`, `updatedAt`): each an error, since only the engine writes them. */
export function engineFieldErrors(body: Readonly<Record<string, unknown>>): FieldError[] {
  return ENGINE_FIELDS.filter((field) => field in body).map((field) => ({
    pointer: `/${field}`,
    message: 'is set by the engine and cannot be written; remove it',
  }));
}

/** The 422 of a body that does not match the schema, naming every field at fault. */
export function invalidBody(errors: readonly FieldError[]): HttpProblem {
  const detail = errors.map((e) => `${e.pointer || '(body)'} ${e.message}`).join('; ');
  return new HttpProblem('validation-failed', `the body does not match the schema; fix and retry: ${detail}`, { errors });
}

/** What a value of each common format looks like, so a model can produce one. */
export const FORMAT_SHAPES: Record<string, string> = {
  date: 'a date as YYYY-MM-DD, e.g. 2026-01-31',
  'date-time': 'an RFC 3339 date-time with a time zone, e.g. 2026-01-31T09:30:00Z',
  time: 'a time with a time zone as HH:MM:SS, e.g. 09:30:00Z',
  email: 'an email address, e.g. name@example.com',
  uri: 'an absolute URI, e.g. https://example.com/page',
  url: 'an absolute URL, e.g. https://example.com/page',
  uuid: 'a UUID, e.g. 123e4567-e89b-42d3-a456-426614174000',
  hostname: 'a host name, e.g. api.example.com',
  ipv4: 'an IPv4 address, e.g. 192.0.2.1',
  ipv6: 'an IPv6 address, e.g. 2001:db8::1',
  duration: 'an ISO 8601 duration, e.g. P3DT4H',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function typeName(type: string): string {
  return TYPE_NAMES[type] ?? type;
}

export const SAFE_INTEGER = `must be an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}: larger integers cannot be kept exactly`;

function describe(error: ErrorObject): FieldError {
  const at = error.instancePath;
  switch (error.keyword) {
    case 'required':
      return { pointer: `${at}${pathToPointer([error.params.missingProperty])}`, message: 'is required' };
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty);
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      return {
        pointer: `${at}${pathToPointer([name])}`,
        message: `is not an allowed property${didYouMean(name, allowed)}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
        ...choices(name, allowed),
      };
    }
    case 'enum':
      return {
        pointer: at,
        message: `must be one of: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        ...choices(String(error.data), error.params.allowedValues as unknown[]),
      };
    case 'format':
      return { pointer: at, message: `must be ${FORMAT_SHAPES[String(error.params.format)] ?? `in "${error.params.format}" format`}` };
    case 'maximum':
    case 'minimum':
      // The engine's own bound (see schema/safe-integers.ts), not the manifest's.
      if (Math.abs(Number(error.params.limit)) === Number.MAX_SAFE_INTEGER) return { pointer: at, message: SAFE_INTEGER };
      return { pointer: at, message: error.message ?? 'is out of range' };
    case 'type':
      return { pointer: at, message: `must be ${String(error.params.type).split(',').map(typeName).join(' or ')}` };
    case 'minLength':
    case 'maxLength': {
      const limit = Number(error.params.limit);
      const bound = error.keyword === 'minLength' ? 'at least' : 'at most';
      return { pointer: at, message: `must be ${bound} ${limit} character${limit === 1 ? '' : 's'} long` };
    }
    case 'minItems':
    case 'maxItems': {
      const limit = Number(error.params.limit);
      const bound = error.keyword === 'minItems' ? 'at least' : 'at most';
      return { pointer: at, message: `must have ${bound} ${limit} item${limit === 1 ? '' : 's'}` };
    }
    case 'uniqueItems':
      return { pointer: at, message: `must not repeat items (items ${error.params.j} and ${error.params.i} are equal)` };
    default:
      return { pointer: at, message: error.message ?? 'is invalid' };
  }
}
