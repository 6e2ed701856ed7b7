import type { RecordStore, StorageSpec, StoredRecord } from '../../adapters/types.ts';
import type { Logger } from '../log.ts';
import { openOnce } from '../registry/open-once.ts';
import { newRecordId } from '../request/record-id.ts';

/** One audited event. Never a secret, never a body: who, what, where, and how it ended. */
export interface AuditEntry {
  /** The key's id, `anonymous` (no valid key), `engine` (reloads) or `cli`. */
  readonly actor: string;
  /** `create`, `update`, `replace`, `delete`, `key.create`, `key.revoke`, `manifest.loaded`, ... */
  readonly action: string;
  readonly automation?: string;
  readonly recordId?: string;
  readonly requestId?: string;
  /** `ok`, `denied` (401/403), `failed` (any other error answer) or `rejected` (a manifest). */
  readonly outcome: 'ok' | 'denied' | 'failed' | 'rejected';
  readonly status?: number;
  /** A short reason, e.g. the missing scope or the manifest file. */
  readonly detail?: string;
}

export type AuditRecord = StoredRecord & AuditEntry;

/** Append-only: the engine only ever creates entries in it. */
export const AUDIT_SPEC: StorageSpec = {
  automation: '_council-audit',
  collection: '_council_audit',
  fields: [
    { name: 'actor', kind: 'string' },
    { name: 'action', kind: 'string' },
    { name: 'automation', kind: 'string' },
    { name: 'recordId', kind: 'string' },
    { name: 'requestId', kind: 'string' },
    { name: 'outcome', kind: 'string' },
    { name: 'status', kind: 'integer' },
    { name: 'detail', kind: 'string' },
  ],
  filterable: ['automation', 'actor'],
  sortable: ['createdAt'],
};

/** Entries waiting while the system store cannot be reached, at most; past it the oldest go (and say so). */
export const AUDIT_BACKLOG = 10_000;

/**
 * Writes audit entries to the system store off the request path: `record` queues and
 * returns; one writer drains the queue in order. While the store cannot be reached the
 * entries wait (up to {@link AUDIT_BACKLOG}) and are written when it is back; `flush`
 * waits for the queue to empty (at shutdown, and in tests).
 */
export class AuditLog {
  readonly #open: () => Promise<RecordStore>;
  readonly #logger: Logger;
  readonly #enabled: boolean;
  readonly #queue: AuditRecord[] = [];
  #draining: Promise<void> | undefined;
  #dropped = 0;
  /** Since when entries wait because the store cannot be written (logged once, and once when it ends). */
  #waitingSince: number | undefined;

  constructor(open: () => Promise<RecordStore>, logger: Logger, enabled = true) {
    this.#open = openOnce(open);
    this.#logger = logger;
    this.#enabled = enabled;
  }

  record(entry: AuditEntry): void {
    if (!this.#enabled) return;
    const at = new Date().toISOString();
    const clean = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as AuditEntry;
    this.#queue.push({ id: newRecordId(), createdAt: at, updatedAt: at, ...clean });
    if (this.#queue.length > AUDIT_BACKLOG) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#draining ??= this.#drain();
  }

  /** Resolves once every entry recorded so far is written (or the store failed; they stay queued). */
  async flush(): Promise<void> {
    while (this.#draining) {
      await this.#draining;
      // The attempt failed and a retry is scheduled: waiting on it would wait for the whole outage.
      if (this.#waitingSince !== undefined) return;
    }
  }

  /** Entries, newest first, optionally since a time and for one automation. */
  async list(query: { since?: string; automation?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    await this.flush();
    const store = await this.#storeOnce();
    const page = await store.list({
      filters: [
        ...(query.automation ? [{ field: 'automation', op: 'eq' as const, value: query.automation }] : []),
        ...(query.since ? [{ field: 'createdAt', op: 'gte' as const, value: query.since }] : []),
      ],
      sort: { field: 'createdAt', direction: 'desc' },
      limit: query.limit ?? 100,
    });
    return page.records as AuditRecord[];
  }

  #storeOnce(): Promise<RecordStore> {
    return this.#open();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const entry = this.#queue[0] as AuditRecord;
        await (await this.#storeOnce()).create(entry);
        this.#queue.shift();
        if (this.#waitingSince !== undefined) {
          this.#logger.warn('audit entries are written again', {
            waitedSeconds: Math.round((Date.now() - this.#waitingSince) / 100) / 10,
            waiting: this.#queue.length + 1,
          });
          this.#waitingSince = undefined;
        }
      }
      if (this.#dropped) {
        this.#logger.error('audit entries were dropped while the system store could not be reached', { dropped: this.#dropped });
        this.#dropped = 0;
      }
    } catch (error) {
      // Once per outage, not once per attempt.
      if (this.#waitingSince === undefined) {
        this.#waitingSince = Date.now();
        this.#logger.warn('audit entries wait: the system store cannot be written', {
          waiting: this.#queue.length,
          error: (error as Error).message,
        });
      }
      // Try again later; new entries do not restart a failing writer at once.
      await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      this.#draining = this.#queue.length ? this.#drain() : undefined;
      return;
    }
    this.#draining = undefined;
  }
}
