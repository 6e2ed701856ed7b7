import { type RecordStore, StorageError, type StorageSpec, type StoredRecord } from '../../adapters/types.ts';
import type { Logger } from '../log.ts';
import { openOnce } from '../registry/open-once.ts';
import { newRecordId } from '../request/record-id.ts';
import { WriteBatch } from './write-batch.ts';

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
 * returns; entries are written in batches (`write-batch.ts`), one statement each where the
 * store has `createMany`, at most 50 ms after they were recorded (sooner when 500 wait).
 * While the store cannot be reached the entries wait (up to {@link AUDIT_BACKLOG}) and are
 * written when it is back; `flush` writes what waits (at shutdown, and before reading).
 */
export class AuditLog {
  readonly #open: () => Promise<RecordStore>;
  readonly #enabled: boolean;
  readonly #batch: WriteBatch<AuditRecord>;

  constructor(open: () => Promise<RecordStore>, logger: Logger, enabled = true) {
    this.#open = openOnce(open);
    this.#enabled = enabled;
    this.#batch = new WriteBatch((entries) => this.#write(entries), logger, { what: 'audit entries', capacity: AUDIT_BACKLOG });
  }

  record(entry: AuditEntry): void {
    if (!this.#enabled) return;
    const at = new Date().toISOString();
    // A loop, not Object.entries/fromEntries: this runs for every write request.
    const record: Record<string, unknown> = { id: newRecordId(), createdAt: at, updatedAt: at };
    for (const key in entry) {
      const value = entry[key as keyof AuditEntry];
      if (value !== undefined) record[key] = value;
    }
    this.#batch.add(record as AuditRecord);
  }

  /** Starts opening the store (its table prepared) now, so the first entries find it open; failures are left to the writer. */
  prepare(): void {
    if (this.#enabled) this.#open().catch(() => {});
  }

  /** Resolves once every entry recorded so far is written (or the store failed; they stay queued). */
  flush(): Promise<void> {
    return this.#batch.flush();
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

  async #write(entries: AuditRecord[]): Promise<void> {
    const store = await this.#storeOnce();
    if (store.createMany) {
      try {
        return await store.createMany(entries);
      } catch (error) {
        // Only if an earlier attempt was stored after all (its answer lost): one by one below.
        if (!(error instanceof StorageError && error.kind === 'conflict')) throw error;
      }
    }
    for (const entry of entries) await store.create(entry).catch(alreadyStored);
  }
}

/** A retried entry that an earlier attempt stored after all counts as written. */
function alreadyStored(error: unknown): void {
  if (!(error instanceof StorageError && error.kind === 'conflict' && error.field === 'id')) throw error;
}
