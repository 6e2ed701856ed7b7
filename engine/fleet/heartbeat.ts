import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { RecordStore, StorageSpec, StoredRecord } from '../../adapters/types.ts';
import type { Logger } from '../log.ts';
import { settleWithin } from '../request/deadline.ts';
import { newRecordId } from '../request/record-id.ts';

/** The instances sharing a system store, one row each, written by each every beat. */
export const INSTANCES_SPEC: StorageSpec = {
  automation: '_council-instances',
  collection: '_council_instances',
  fields: [
    { name: 'host', kind: 'string' },
    { name: 'pid', kind: 'integer' },
    { name: 'version', kind: 'string' },
    { name: 'state', kind: 'string' },
    { name: 'fingerprint', kind: 'string' },
    // JSON arrays: `name@manifest-version` served, names failing.
    { name: 'serving', kind: 'string' },
    { name: 'failing', kind: 'string' },
    { name: 'startedAt', kind: 'string' },
    { name: 'beatAt', kind: 'string' },
  ],
  filterable: [],
  sortable: [],
};

/** What one instance serves now, as its heartbeat says it. */
export interface InstanceState {
  readonly state: 'ready' | 'stopping';
  /** `name@version` of each automation it serves (the version: a hash of its manifest's text). */
  readonly serving: readonly string[];
  /** Names of automations whose manifest failed here. */
  readonly failing: readonly string[];
}

/** One live instance, as the fleet sees it. */
export interface FleetInstance extends InstanceState {
  readonly instance: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  /** Hash of `serving`: equal fingerprints, the same manifests served. */
  readonly fingerprint: string;
  readonly startedAt: string;
  readonly beatAt: string;
  /** This process. */
  readonly self: boolean;
}

export interface FleetView {
  /** Live instances (a beat within three periods), this one first. */
  readonly instances: readonly FleetInstance[];
  /** Every live instance that is not stopping serves the same manifests. */
  readonly agree: boolean;
  /**
   * Automations the other instances serve that this one does not, because their manifests
   * failed here: this instance cannot serve what the fleet serves (it is not ready).
   */
  readonly missing: readonly string[];
  /** When the view was read. */
  readonly at: string;
}

export function fingerprintOf(serving: readonly string[]): string {
  return createHash('sha256')
    .update([...serving].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
}

/** The longest one write or read of the heartbeat may take. */
const CALL_TIMEOUT_MS = 5000;

/**
 * Writes this instance's row to the system store every `everyMs`, and reads every row
 * after it: the fleet as of the last beat, kept for /health and /readyz (which then do
 * no I/O). A row whose last beat is older than three periods is an instance gone (killed,
 * cut off); one that stops cleanly deletes its row.
 */
export class Heartbeat {
  readonly instance = newRecordId();
  readonly #open: () => Promise<RecordStore>;
  readonly #state: () => InstanceState;
  readonly #everyMs: number;
  readonly #logger: Logger;
  readonly #version: string;
  readonly #startedAt = new Date().toISOString();
  #written = false;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #view: FleetView;
  #failing = false;
  #closed = false;

  constructor(open: () => Promise<RecordStore>, state: () => InstanceState, options: { everyMs: number; logger: Logger; version: string }) {
    this.#open = open;
    this.#state = state;
    this.#everyMs = options.everyMs;
    this.#logger = options.logger;
    this.#version = options.version;
    this.#view = { instances: [], agree: true, missing: [], at: this.#startedAt };
  }

  start(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.beat().finally(() => this.start());
    }, this.#everyMs);
    this.#timer.unref();
  }

  /** The fleet as of the last beat (this instance alone before the first). */
  view(): FleetView {
    return this.#view;
  }

  /** Writes this instance's row and reads the fleet; one beat at a time, never throws. */
  beat(): Promise<void> {
    // After close, the store's connection may be closed too: nothing more is written.
    if (this.#closed) return Promise.resolve();
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  async #beat(): Promise<void> {
    try {
      const store = await this.#open();
      const now = new Date().toISOString();
      const row = this.#row(now);
      await settleWithin(
        this.#written ? store.modify(this.instance, (current) => ({ ...row, createdAt: current.createdAt })) : store.create(row),
        CALL_TIMEOUT_MS,
        () => new Error('heartbeat write: no answer in 5 s'),
      );
      this.#written = true;
      const rows = await settleWithin(
        store.list({ filters: [], sort: { field: 'id', direction: 'asc' }, limit: 1000 }),
        CALL_TIMEOUT_MS,
        () => new Error('fleet read: no answer in 5 s'),
      );
      this.#view = viewOf(rows.records, this.instance, Date.parse(now) - 3 * this.#everyMs, now);
      if (this.#failing) this.#logger.info('fleet heartbeat written again');
      this.#failing = false;
    } catch (error) {
      // The system store is away: /health says its connection is down; the view ages.
      if (!this.#failing) this.#logger.warn('fleet heartbeat failed; retrying every beat', { error: (error as Error).message });
      this.#failing = true;
    }
  }

  #row(now: string): StoredRecord {
    const state = this.#state();
    return {
      id: this.instance,
      createdAt: this.#startedAt,
      updatedAt: now,
      host: hostname(),
      pid: process.pid,
      version: this.#version,
      state: state.state,
      fingerprint: fingerprintOf(state.serving),
      serving: JSON.stringify([...state.serving].sort()),
      failing: JSON.stringify([...state.failing].sort()),
      startedAt: this.#startedAt,
      beatAt: now,
    };
  }

  /** Stops beating and removes this instance's row: it has left the fleet. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#beating;
    // A store that failed the last beat is not waited on at exit: the row ages out in three periods.
    if (!this.#written || this.#failing) return;
    try {
      const store = await this.#open();
      await settleWithin(store.delete(this.instance), CALL_TIMEOUT_MS, () => new Error('heartbeat delete: no answer in 5 s'));
    } catch {
      // Its row ages out in three periods.
    }
  }
}

/** The live instances among `rows`, and whether they agree. */
export function viewOf(rows: readonly StoredRecord[], self: string, liveSince: number, at: string): FleetView {
  const instances = rows
    .filter((r) => r.id === self || Date.parse(String(r.beatAt)) >= liveSince)
    .map(
      (r): FleetInstance => ({
        instance: r.id,
        host: String(r.host),
        pid: Number(r.pid),
        version: String(r.version),
        state: r.state === 'stopping' ? 'stopping' : 'ready',
        fingerprint: String(r.fingerprint),
        serving: JSON.parse(String(r.serving ?? '[]')) as string[],
        failing: JSON.parse(String(r.failing ?? '[]')) as string[],
        startedAt: String(r.startedAt),
        beatAt: String(r.beatAt),
        self: r.id === self,
      }),
    )
    .sort((a, b) => Number(b.self) - Number(a.self) || (a.startedAt < b.startedAt ? -1 : 1));
  const active = instances.filter((i) => i.state !== 'stopping');
  const me = instances.find((i) => i.self);
  const others = active.filter((i) => !i.self);
  const servedElsewhere = new Set(others.flatMap((i) => i.serving));
  const mine = new Set(me?.serving ?? []);
  // What others serve and this one does not, for an automation whose manifest failed here.
  const missing = [...servedElsewhere].filter((s) => !mine.has(s) && (me?.failing ?? []).includes(s.slice(0, s.lastIndexOf('@'))));
  return { instances, agree: new Set(active.map((i) => i.fingerprint)).size <= 1, missing: [...new Set(missing)].sort(), at };
}
