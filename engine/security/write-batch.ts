import type { Logger } from '../log.ts';

/** How a {@link WriteBatch} groups its writes. */
export interface WriteBatchOptions {
  /** What the items are, in log lines: `audit entries`. */
  readonly what: string;
  /** The longest an item waits for its batch while the store answers (default 50 ms). */
  readonly intervalMs?: number;
  /** A batch is written at once when this many wait (default 500), and is never larger. */
  readonly maxBatch?: number;
  /** Items waiting while the store cannot be written, at most; past it the oldest go, and a line says how many (default 10,000). */
  readonly capacity?: number;
  /** The wait before trying again after a failed write (default 1 s). */
  readonly retryMs?: number;
}

/**
 * Collects items off the request path and writes them in batches, one `write` call (one
 * statement, where the store has a batch write) per batch: `add` only queues, and a batch
 * goes every `intervalMs`, or as soon as `maxBatch` items wait. One batch is written at a
 * time, in the order the items came. While writes fail, items wait (at most `capacity`)
 * and are tried again every `retryMs`; one line says so when it starts and one when it
 * ends. `flush` writes what waits now (shutdown, and readers that must see everything).
 *
 * @example
 *   const batch = new WriteBatch((entries) => store.createMany(entries), logger, { what: 'audit entries' });
 *   batch.add(entry); // returns at once
 *   await batch.flush(); // at shutdown
 */
export class WriteBatch<T> {
  readonly #write: (items: T[]) => Promise<void>;
  readonly #logger: Logger;
  readonly #what: string;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #capacity: number;
  readonly #retryMs: number;
  #queue: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #dropped = 0;
  /** Since when items wait because the store cannot be written. */
  #failingSince: number | undefined;

  constructor(write: (items: T[]) => Promise<void>, logger: Logger, options: WriteBatchOptions) {
    this.#write = write;
    this.#logger = logger;
    this.#what = options.what;
    this.#intervalMs = options.intervalMs ?? 50;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#capacity = options.capacity ?? 10_000;
    this.#retryMs = options.retryMs ?? 1000;
  }

  /** Items not yet written. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Queues `item`; never waits, never throws. */
  add(item: T): void {
    const queue = this.#queue;
    queue.push(item);
    if (queue.length > this.#capacity) {
      queue.shift();
      this.#dropped++;
    }
    if (this.#writing) return;
    if (queue.length >= this.#maxBatch && this.#failingSince === undefined) this.#start();
    else this.#timer ??= this.#schedule(this.#intervalMs);
  }

  /** Writes everything waiting now; resolves once it is written, or once a write failed (the items wait on). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#queue.length === 0) return;
    this.#start();
    await this.#writing;
  }

  #schedule(ms: number): NodeJS.Timeout {
    // Never what keeps the process alive: shutdown flushes.
    return setTimeout(() => {
      this.#timer = undefined;
      if (!this.#writing) this.#start();
    }, ms).unref();
  }

  #start(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#drain().finally(() => {
      this.#writing = undefined;
      if (this.#queue.length === 0 || this.#timer) return;
      if (this.#failingSince !== undefined) this.#timer = this.#schedule(this.#retryMs);
      else if (this.#queue.length >= this.#maxBatch) this.#start();
      else this.#timer = this.#schedule(this.#intervalMs);
    });
  }

  /** Writes what waits, batch by batch; stops at the first failure, leaving that batch first in line. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        await this.#write(batch);
      } catch (error) {
        this.#queue = batch.concat(this.#queue);
        this.#trim();
        if (this.#failingSince === undefined) {
          this.#failingSince = Date.now();
          this.#logger.warn(`${this.#what} wait: the system store cannot be written`, {
            waiting: this.#queue.length,
            error: (error as Error).message,
          });
        }
        return;
      }
      if (this.#failingSince !== undefined) {
        this.#logger.warn(`${this.#what} are written again`, {
          waitedSeconds: Math.round((Date.now() - this.#failingSince) / 100) / 10,
          waiting: batch.length + this.#queue.length,
        });
        this.#failingSince = undefined;
      }
      if (this.#dropped) {
        this.#logger.error(`${this.#what} were dropped while the system store could not be written`, { dropped: this.#dropped });
        this.#dropped = 0;
      }
    }
  }

  #trim(): void {
    const over = this.#queue.length - this.#capacity;
    if (over <= 0) return;
    this.#queue.splice(0, over);
    this.#dropped += over;
  }
}
