import { HttpProblem } from '../errors/problem.ts';

/**
 * The handler's answer, or a 504 `timeout` once `ms` have passed, so a store that stops
 * answering (a lock held elsewhere, a paused server) never leaves a caller waiting past
 * its own timeout. The handler cannot be stopped and runs on: `onLate` hears how it
 * ended, so what it did is still recorded.
 *
 * Every request waits in one queue per timeout length with one timer between them (see
 * {@link DeadlineQueue}), not a timer and three promises of its own: this runs on every request.
 */
export function withinDeadline(
  work: Promise<Response>,
  ms: number,
  write: boolean,
  onLate?: (outcome: { response?: Response; error?: unknown }) => void,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const entry = queueFor(ms).add(() => {
      reject(timeoutProblem(ms, write));
      work.then(
        (response) => onLate?.({ response }),
        (error: unknown) => onLate?.({ error }),
      );
    });
    work.then(
      (response) => {
        if (!entry.fire) return;
        entry.fire = undefined;
        resolve(response);
      },
      (error: unknown) => {
        if (!entry.fire) return;
        entry.fire = undefined;
        reject(error);
      },
    );
  });
}

interface Waiting {
  readonly at: number;
  /** What runs at the deadline; cleared when the work settles first (or once it ran). */
  fire: (() => void) | undefined;
}

/**
 * Deadlines of one length, in the order they were set, which is the order they fall due:
 * one timer, armed for the first still waiting. Entries whose work settled are dropped from
 * the front as new ones come, so the queue holds about the requests in flight.
 */
class DeadlineQueue {
  readonly #ms: number;
  #entries: Waiting[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  add(fire: () => void): Waiting {
    this.#skipSettled();
    const entry: Waiting = { at: Date.now() + this.#ms, fire };
    this.#entries.push(entry);
    this.#timer ??= this.#arm(this.#ms);
    return entry;
  }

  /**
   * Unreferenced: the timer outlives the requests it was armed for (settled entries are only
   * dropped when it fires), and must not keep a closed server's process alive that long.
   * A request in flight keeps the process up through its socket.
   */
  #arm(ms: number): NodeJS.Timeout {
    return setTimeout(this.#due, ms).unref();
  }

  readonly #due = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    for (;;) {
      this.#skipSettled();
      const first = this.#entries[this.#head];
      if (!first) return;
      if (first.at > now) {
        this.#timer = this.#arm(first.at - now);
        return;
      }
      this.#head++;
      const fire = first.fire;
      first.fire = undefined;
      fire?.();
    }
  };

  #skipSettled(): void {
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]?.fire === undefined) this.#head++;
    if (this.#head === entries.length) {
      entries.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

const queues = new Map<number, DeadlineQueue>();

function queueFor(ms: number): DeadlineQueue {
  let queue = queues.get(ms);
  if (!queue) {
    queue = new DeadlineQueue(ms);
    queues.set(ms, queue);
  }
  return queue;
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
