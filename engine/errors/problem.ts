import { type ProblemCode, problemCodes } from './codes.ts';
import { closestMatch } from './did-you-mean.ts';

/** One invalid field or parameter: where (JSON Pointer) and what to change. */
export interface FieldError {
  readonly pointer: string;
  readonly message: string;
  /** The values (or names) accepted there, where they are few enough to list. */
  readonly allowed?: readonly unknown[];
  /** The accepted value closest to what was sent, when it looks like a typo of it. */
  readonly suggestion?: string;
}

/** `allowed` and, when one is close to `given`, `suggestion`: the parts of a field error a model corrects itself from. */
export function choices(given: string, allowed: readonly unknown[]): Pick<FieldError, 'allowed' | 'suggestion'> {
  const suggestion = closestMatch(
    given,
    allowed.filter((a): a is string => typeof a === 'string'),
  );
  return { allowed, ...(suggestion === undefined ? {} : { suggestion }) };
}

const TITLES: Record<ProblemCode, string> = {
  'malformed-json': 'Malformed JSON',
  'malformed-request': 'Malformed request',
  'headers-too-large': 'Request headers too large',
  'request-timeout': 'Request timeout',
  'invalid-query': 'Invalid query parameters',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  'validation-failed': 'Validation failed',
  'value-too-long': 'Value too long to index',
  conflict: 'Conflict',
  'invalid-header': 'Invalid header',
  'idempotency-in-progress': 'Request in progress',
  'idempotency-key-reused': 'Idempotency key reused',
  'reference-missing': 'Referenced record not found',
  'still-referenced': 'Still referenced',
  'reference-unavailable': 'Referenced automation unavailable',
  'precondition-failed': 'Precondition failed',
  'precondition-required': 'Precondition required',
  'rate-limited': 'Too many requests',
  'version-sunset': 'Version retired',
  'sessions-full': 'Too many sessions',
  'server-stopping': 'Server stopping',
  'instance-behind': 'Instance behind its fleet',
  'storage-unavailable': 'Storage unavailable',
  'server-starting': 'Server starting',
  timeout: 'Timed out',
  'internal-error': 'Internal error',
};

const STATUS: Record<ProblemCode, number> = {
  'malformed-json': 400,
  'malformed-request': 400,
  'headers-too-large': 431,
  'request-timeout': 408,
  'invalid-query': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'validation-failed': 422,
  'value-too-long': 422,
  conflict: 409,
  'invalid-header': 400,
  'idempotency-in-progress': 409,
  'idempotency-key-reused': 422,
  'reference-missing': 422,
  'still-referenced': 409,
  'reference-unavailable': 503,
  'precondition-failed': 412,
  'precondition-required': 428,
  'rate-limited': 429,
  'version-sunset': 410,
  'sessions-full': 503,
  'server-stopping': 503,
  'instance-behind': 503,
  'storage-unavailable': 503,
  'server-starting': 503,
  timeout: 504,
  'internal-error': 500,
};

/**
 * An HTTP error that renders itself as RFC 9457 problem+json. Thrown anywhere in a
 * request; the one error handler turns it into the response.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.status = STATUS[code];
  }

  toResponse(): Response {
    const body = {
      type: `/problems/${this.code}`,
      title: TITLES[this.code],
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: { 'content-type': 'application/problem+json', ...this.options.headers },
    });
  }
}

/** What `GET /problems/{code}` serves: the documented meaning of each problem type. */
export function describeProblem(code: string): { code: ProblemCode; title: string; status: number; description: string } | undefined {
  if (!(code in problemCodes)) return undefined;
  const known = code as ProblemCode;
  return { code: known, title: TITLES[known], status: STATUS[known], description: problemCodes[known] };
}
