import type { ErrorObject } from 'ajv';
import { didYouMean } from '../errors/did-you-mean.ts';
import { pathToPointer } from '../manifest/source.ts';
import type { FieldError } from './problem.ts';

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
      };
    }
    case 'enum':
      return {
        pointer: at,
        message: `must be one of: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { pointer: at, message: error.message ?? 'is invalid' };
  }
}
