import { HttpProblem } from '../errors/problem.ts';

/**
 * The handler's answer, or a 504 `timeout` once `ms` have passed, so a store that stops
 * answering (a lock held elsewhere, a paused server) never leaves a caller waiting past
 * its own timeout. The handler cannot be stopped and runs on: `onLate` hears how it
 * ended, so what it did is still recorded.
 */
export async function withinDeadline(
  work: Promise<Response>,
  ms: number,
  write: boolean,
  onLate?: (outcome: { response?: Response; error?: unknown }) => void,
): Promise<Response> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(timeoutProblem(ms, write));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (timedOut) {
      work.then(
        (response) => onLate?.({ response }),
        (error: unknown) => onLate?.({ error }),
      );
    }
  }
}

function timeoutProblem(ms: number, write: boolean): HttpProblem {
  const seconds = `${Math.round(ms / 100) / 10} s`;
  const detail = write
    ? `the store did not answer within ${seconds}; the write may still be applied: read the record (or the list) before retrying, so it is not applied twice`
    : `the store did not answer within ${seconds}; retry after the delay in Retry-After, with a narrower query if you can (fewer contains filters, no count=true)`;
  return new HttpProblem('timeout', detail, { headers: { 'retry-after': '5' } });
}

/**
 * How long one call to a shared store on the request path that is not the automation's own
 * (the key store, the idempotency store) may take: 2 s, or a quarter of the request's
 * timeout when that is shorter, so a frozen store answers the caller with a clear 503 long
 * before the request's own 504.
 */
export function dependencyDeadlineMs(requestTimeoutSeconds: number): number {
  return Math.min(2000, requestTimeoutSeconds * 250);
}

/**
 * `work`'s outcome, or `onLate()`'s error once `ms` have passed: the deadline of one call to a
 * shared dependency (the rate limiter's Redis, the key store, the idempotency store), far
 * below the request's own. The check waits for the I/O already received: a reply that
 * arrived while the event loop was busy past the deadline still counts (timers run before
 * I/O callbacks in a loop turn; the check runs after them), so a loaded process does not
 * mistake its own lag for a slow dependency.
 */
export function settleWithin<T>(work: Promise<T>, ms: number, onLate: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(onLate());
      });
    }, ms);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
