import { StorageError } from '../types.ts';
import type { Executor } from './executor.ts';

/**
 * Holds a new version's statements until a change they need has been made (a column
 * retyped once the older version drained). Once open, a statement costs one check; if the
 * change fails, the statements held and every later one fail as `unavailable` (a 503 with
 * Retry-After: by then the older version serves again, so a retry succeeds).
 */
export class Gate {
  #waiting: Promise<void> | undefined;
  #failure: StorageError | undefined;
  #open!: () => void;
  #fail!: (error: StorageError) => void;

  constructor() {
    this.#waiting = new Promise<void>((resolve, reject) => {
      this.#open = resolve;
      this.#fail = reject;
    });
    // Nobody may be waiting when it fails; each statement that waits sees the failure itself.
    this.#waiting.catch(() => {});
  }

  open(): void {
    this.#waiting = undefined;
    this.#open();
  }

  fail(message: string, cause: unknown): void {
    this.#failure = new StorageError('unavailable', message, { cause });
    this.#waiting = undefined;
    this.#fail(this.#failure);
  }

  /** `db` with every statement waiting for the gate first. */
  wrap(db: Executor): Executor {
    const pass = (): Promise<void> | undefined => {
      if (this.#failure) return Promise.reject(this.#failure);
      return this.#waiting;
    };
    return {
      async query(text, params) {
        const wait = pass();
        if (wait) await wait;
        return db.query(text, params);
      },
      async transaction(fn) {
        const wait = pass();
        if (wait) await wait;
        return db.transaction(fn);
      },
    };
  }
}
