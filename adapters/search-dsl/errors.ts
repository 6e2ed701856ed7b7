import { StorageError } from '../types.ts';

/** The error part of a REST error body, as both stores write it. */
interface ErrorBody {
  readonly error?: { type?: string; reason?: string; root_cause?: { type?: string; reason?: string }[] };
}

/** `type: reason` of the root cause the store reports, e.g. `mapper_parsing_exception: ...`; empty when none. */
export function errorReason(body: unknown): string {
  const error = (body as ErrorBody | undefined)?.error;
  const cause = error?.root_cause?.[0] ?? error;
  return cause?.type ? `${cause.type}: ${cause.reason ?? ''}` : '';
}

/** The store's error type behind a StorageError (its cause's body), if any. */
export function errorType(error: unknown): string | undefined {
  const cause = (error as { cause?: { body?: ErrorBody } })?.cause;
  return cause?.body?.error?.type;
}

/**
 * A status the store answered as a StorageError: overloaded, restarting or refusing our
 * credentials is `unavailable`; a request it refused (400) `rejected`; anything else
 * `failed`. The message names the status and the store's reason, never the url.
 */
export function answeredError(status: number, body: unknown, label: string, cause: unknown): StorageError {
  const reason = errorReason(body);
  const detail = `HTTP ${status}${reason ? `: ${reason}` : ''}`;
  if ([401, 429, 502, 503, 504].includes(status)) return new StorageError('unavailable', `${label} is unavailable (${detail})`, { cause });
  return new StorageError(status === 400 ? 'rejected' : 'failed', `${label} failed (${detail})`, { cause });
}

/** The code of a socket error (`ECONNREFUSED`), whose message would name the host; else the error's name. */
export function socketCode(error: Error): string {
  return /\bE[A-Z0-9_]{2,}\b/.exec(error.message)?.[0] ?? error.name;
}
