import { hostname } from 'node:os';
import { type RecordStore, StorageError } from '../../adapters/types.ts';
import type { Logger } from '../log.ts';
import { newSketch } from '../observe/latency-sketch.ts';
import type { Usage, UsageCell } from '../observe/usage.ts';
import { settleWithin } from '../request/deadline.ts';
import { newRecordId } from '../request/record-id.ts';
import { rollUp } from './rollup.ts';
import { encodeRow, stepStart, type UsageCounts } from './usage-rows.ts';

/** How often the recorder rolls old rows up and deletes expired ones. */
const ROLLUP_EVERY_MS = 10 * 60_000;
/** The longest one write may take before the flush gives up (and tries again next time). */
const WRITE_TIMEOUT_MS = 10_000;

export interface RecorderOptions {
  readonly flushSeconds: number;
  readonly retentionDays: number;
  readonly logger: Logger;
  /** This process among the instances that share the system store. */
  readonly instance?: string;
  readonly now?: () => number;
}

/**
 * Writes what {@link Usage} counted since its last flush to the system store, every
 * `flushSeconds` (on wall-clock multiples of it, so a flush never spans two minutes when
 * it divides 60), off the request path: one row per flush with the cells that changed. A
 * failed write is not lost: the baseline moves only when a row is stored, so the next
 * flush carries it. A process killed outright loses what it counted since its last flush;
 * `close()` flushes.
 */
export class UsageRecorder {
  readonly #usage: Usage;
  readonly #open: () => Promise<RecordStore>;
  readonly #options: RecorderOptions;
  readonly #instance: string;
  readonly #now: () => number;
  /** What of each cell is stored already. */
  readonly #written = new Map<UsageCell, { count: number; seconds: number; bytes: number; latency: Uint32Array }>();
  #since: number;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  /** A row written but not known to be stored. */
  #pending: PendingRow | undefined;
  #rolledAt = 0;
  #failing = false;
  #closed = false;

  constructor(usage: Usage, open: () => Promise<RecordStore>, options: RecorderOptions) {
    this.#usage = usage;
    this.#open = open;
    this.#options = options;
    this.#instance = options.instance ?? `${hostname()}:${process.pid}`;
    this.#now = options.now ?? Date.now;
    this.#since = this.#now();
  }

  start(): void {
    if (this.#closed) return;
    const every = this.#options.flushSeconds * 1000;
    const now = this.#now();
    this.#timer = setTimeout(
      () => {
        this.flush().finally(() => this.start());
      },
      every - (now % every),
    );
    // Never what keeps the process alive.
    this.#timer.unref();
  }

  /** Writes what changed since the last stored flush; one flush at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.flush();
  }

  async #flush(): Promise<void> {
    try {
      const store = await this.#open();
      // A row whose write failed goes again as it was, under the same id: if the first
      // attempt was stored after all (its answer lost), the id conflicts and nothing counts twice.
      if (this.#pending) await this.#write(store, this.#pending);
      const now = this.#now();
      const changed = this.#changed();
      if (changed.length > 0) {
        this.#pending = {
          id: newRecordId(now),
          at: stepStart(this.#since, 'minute'),
          instance: this.#instance,
          changed,
        };
        await this.#write(store, this.#pending);
      }
      this.#since = now;
      if (this.#failing) this.#options.logger.info('usage analytics are written again');
      this.#failing = false;
      if (now - this.#rolledAt >= ROLLUP_EVERY_MS) {
        this.#rolledAt = now;
        await rollUp(store, now, this.#options.retentionDays);
      }
    } catch (error) {
      // Once per outage: the counts wait in memory and go with the next flush that succeeds.
      if (!this.#failing) {
        this.#options.logger.warn('usage analytics cannot be written; the counts are kept and written once the system store answers', {
          error: (error as Error).message,
        });
      }
      this.#failing = true;
    }
  }

  /** Each cell's counts since what is stored (or pending) of it. */
  #changed(): [UsageCell, UsageCounts][] {
    const changed: [UsageCell, UsageCounts][] = [];
    for (const cell of this.#usage.cells()) {
      const before = this.#written.get(cell);
      if (before?.count === cell.count) continue;
      const latency = newSketch();
      for (let i = 0; i < latency.length; i++) latency[i] = (cell.latency[i] as number) - (before?.latency[i] ?? 0);
      changed.push([
        cell,
        {
          automation: cell.automation,
          operation: cell.operation,
          key: cell.key,
          statusClass: cell.statusClass,
          count: cell.count - (before?.count ?? 0),
          seconds: cell.seconds - (before?.seconds ?? 0),
          bytes: cell.bytes - (before?.bytes ?? 0),
          latency,
        },
      ]);
    }
    return changed;
  }

  /** Stores `row` (done already if its id conflicts), then counts it as written. */
  async #write(store: RecordStore, row: PendingRow): Promise<void> {
    const record = encodeRow({ id: row.id, at: row.at, step: 'minute', instance: row.instance, cells: row.changed.map(([, c]) => c) });
    try {
      await settleWithin(
        store.create(record),
        WRITE_TIMEOUT_MS,
        () => new Error(`the write took longer than ${WRITE_TIMEOUT_MS / 1000} s`),
      );
    } catch (error) {
      if (!(error instanceof StorageError && error.kind === 'conflict' && error.field === 'id')) throw error;
    }
    for (const [cell, counts] of row.changed) {
      const before = this.#written.get(cell);
      const latency = before?.latency ?? newSketch();
      for (let i = 0; i < latency.length; i++) latency[i] = (latency[i] as number) + (counts.latency[i] as number);
      this.#written.set(cell, {
        count: (before?.count ?? 0) + counts.count,
        seconds: (before?.seconds ?? 0) + counts.seconds,
        bytes: (before?.bytes ?? 0) + counts.bytes,
        latency,
      });
    }
    this.#pending = undefined;
  }
}

interface PendingRow {
  readonly id: string;
  readonly at: string;
  readonly instance: string;
  readonly changed: readonly [UsageCell, UsageCounts][];
}
