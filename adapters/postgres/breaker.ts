import { StorageError } from '../types.ts';
import type { Executor } from './executor.ts';

/** How often a server found down is asked again, and how long one probe may take. */
export const PROBE = { intervalMs: 250, timeoutMs: 2000 };

/**
 * Fails fast while the server is down. The first statement that finds it unreachable
 * (an `unavailable` error) opens the breaker: from then on every statement fails at once
 * as `unavailable` (a 503 with Retry-After), instead of queueing behind the driver's
 * reconnect attempts, while a probe (`select 1`) asks the server: at once, then every
 * {@link PROBE}.intervalMs. The first probe that answers renews the pool and closes the
 * breaker, so requests are served again within one interval of the server coming back.
 *
 * Renewing matters after a restart: the pool's idle connections were ended by the old
 * server, and each would fail its next statement (57P01) and open the breaker again,
 * seconds after recovery. Probing at once matters for the same error without an outage
 * (a restart no request noticed): the breaker is then open only for one round trip.
 */
export class Breaker {
  readonly #probe: () => Promise<unknown>;
  readonly #renew: () => void;
  readonly #label: string;
  #since = 0;
  #closed = false;
  /**
   * Why the server is taken to be down, while it is; undefined when closed. A plain object
   * read by every statement, so the statement's function holds no reference to the breaker.
   */
  readonly #state: { down: StorageError | undefined } = { down: undefined };
  #timer: NodeJS.Timeout | undefined;

  constructor(probe: () => Promise<unknown>, label: string, renew: () => void = () => {}) {
    this.#probe = probe;
    this.#renew = renew;
    this.#label = label;
  }

  /** `db` with every statement going through the breaker. */
  wrap(db: Executor): Executor {
    // No closure per statement: the check, then the statement with one shared error handler.
    const refused = () => Promise.reject(this.#refusal());
    const seen = this.#seen;
    const state = this.#state;
    return {
      query: (text, params) => (state.down ? refused() : db.query(text, params).catch(seen)),
      transaction: (fn) => (state.down ? refused() : db.transaction(fn).catch(seen)),
    };
  }

  /** Stops probing (the connection is closing). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #refusal(): StorageError {
    const seconds = Math.round((performance.now() - this.#since) / 1000);
    return new StorageError('unavailable', `${this.#label} is unavailable (unreachable for ${seconds} s; retrying in the background)`, {
      cause: this.#state.down,
    });
  }

  /** A statement's failure: one that finds the server unreachable opens the breaker. */
  readonly #seen = (error: unknown): never => {
    if (error instanceof StorageError && error.kind === 'unavailable') this.#open(error);
    throw error;
  };

  #open(error: StorageError): void {
    if (this.#state.down || this.#closed) return;
    this.#state.down = error;
    this.#since = performance.now();
    this.#schedule(0);
  }

  #schedule(delayMs = PROBE.intervalMs): void {
    // Unref'd: a server that never comes back must not keep the process alive.
    this.#timer = setTimeout(() => void this.#ask(), delayMs);
    this.#timer.unref();
  }

  async #ask(): Promise<void> {
    if (this.#closed) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('probe timed out')), PROBE.timeoutMs);
    });
    try {
      await Promise.race([this.#probe(), late]);
      if (this.#closed) return;
      this.#renew();
      this.#state.down = undefined;
    } catch {
      this.#schedule();
    } finally {
      clearTimeout(timer);
    }
  }
}
