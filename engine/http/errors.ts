import { StorageError } from '../../adapters/types.ts';
import { HttpProblem } from '../errors/problem.ts';
import { type Logger, STORAGE_UNAVAILABLE } from '../log.ts';

/**
 * The request an error answers, for its log line: `requestId`, the X-Request-Id its answer
 * carries (the caller adds the header), and where it went (`automation`, `method`, `path`).
 */
export interface FailedRequest {
  readonly requestId: string;
  readonly [field: string]: string | number | undefined;
}

/**
 * The one place errors become responses: problems render themselves; a store that
 * cannot be reached is a 503 with Retry-After; anything else is logged with its cause
 * and becomes a 500 that reveals nothing but the request id, which the caller can quote.
 */
export function renderError(error: unknown, logger: Logger, request?: FailedRequest): Response {
  if (error instanceof HttpProblem) return error.toResponse();
  if (error instanceof StorageError && error.kind === 'conflict' && error.field !== undefined) {
    const message = `is already used by another record; choose another ${error.field}`;
    return new HttpProblem('conflict', `${error.field} must be unique: ${message}`, {
      errors: [{ pointer: `/${error.field}`, message }],
    }).toResponse();
  }
  if (error instanceof StorageError && error.kind === 'too-large' && error.field !== undefined) {
    // One value the store cannot index (a string past PostgreSQL's btree entry): the caller fixes that field.
    return new HttpProblem('value-too-long', `${error.message}; nothing was written`, {
      errors: [{ pointer: `/${error.field}`, message: error.message.replace(`${error.field} `, '') }],
    }).toResponse();
  }
  if (error instanceof StorageError && error.kind === 'too-large') {
    return new HttpProblem(
      'payload-too-large',
      `${error.message}; store less in one record (split it, or keep large content elsewhere and link to it)`,
    ).toResponse();
  }
  if (error instanceof StorageError && error.kind === 'unavailable') {
    logger.warn(STORAGE_UNAVAILABLE, { ...request, error: error.message });
    return new HttpProblem(
      'storage-unavailable',
      'the store behind this automation cannot be reached right now; retry after the delay in Retry-After',
      {
        headers: { 'retry-after': '5' },
      },
    ).toResponse();
  }
  if (error instanceof StorageError && error.kind === 'timeout') {
    logger.warn('statement cancelled by the store', { ...request, error: error.message });
    return new HttpProblem(
      'timeout',
      'the store cancelled the operation because it ran too long; nothing was changed. Retry after the delay in Retry-After, with a narrower query if this was a read (fewer contains filters, no count=true)',
      { headers: { 'retry-after': '5' } },
    ).toResponse();
  }
  logger.error('request failed', { ...request, status: 500, error: describe(error) });
  const logged = request ? `it has been logged under request id ${request.requestId} (X-Request-Id)` : 'it has been logged';
  return new HttpProblem('internal-error', `an unexpected error happened; ${logged}. Retrying may not help.`).toResponse();
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}
