import type { StorageSpec, StoredRecord } from '../../adapters/types.ts';
import type { Logger } from '../log.ts';
import { openOnce } from '../registry/open-once.ts';
import { newRecordId } from '../request/record-id.ts';
import type { AuditStore } from './audit-store.ts';
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

/**
 * An entry as the log hands it to its store: every field present, in this order, those it
 * lacks `undefined` (left out when written). One shape for every entry, so JSON.stringify
 * takes V8's fast path; no `updatedAt` (an entry never changes: readers set it to `createdAt`).
 */
export interface RecordedEntry {
  readonly id: string;
  readonly createdAt: string;
  readonly actor: string;
  readonly action: string;
  readonly automation: string | undefined;
  readonly recordId: string | undefined;
  readonly requestId: string | undefined;
  readonly outcome: AuditEntry['outcome'];
  readonly status: number | undefined;
  readonly detail: string | undefined;
}

/**
 * The audit log's table, where the system store is a server (`audit-table.ts`):
 * append-only, each row a block of entries (`audit-blocks.ts`); rows written before
 * blocks are one entry each. An embedded system store keeps the log in files instead
 * (`audit-file.ts`).
 */
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
    // A block of entries (audit-blocks.ts): how many, and the entries as a JSON array.
    { name: 'count', kind: 'integer' },
    { name: 'entries', kind: 'string', bulk: true },
  ],
  filterable: ['automation', 'actor'],
  sortable: ['createdAt'],
};

/** `entry` as a store is given it, with its id and time. */
export function recorded(id: string, createdAt: string, entry: AuditEntry): RecordedEntry {
  return {
    id,
    createdAt,
    actor: entry.actor,
    action: entry.action,
    automation: entry.automation,
    recordId: entry.recordId,
    requestId: entry.requestId,
    outcome: entry.outcome,
    status: entry.status,
    detail: entry.detail,
  };
}

/** Entries waiting while the system store cannot be reached, at most; past it the oldest go (and say so). */
export const AUDIT_BACKLOG = 10_000;

/**
 * Writes audit entries off the request path: `record` queues and returns; entries are
 * written in batches (`write-batch.ts`) to an {@link AuditStore} (a table of the system
 * store, or files beside an embedded one), at most 50 ms after they were recorded (sooner when 500 wait).
 * While the store cannot be reached the entries wait (up to {@link AUDIT_BACKLOG}) and are
 * written when it is back; `flush` writes what waits (at shutdown, and before reading).
 */
export class AuditLog {
  readonly #open: () => Promise<AuditStore>;
  readonly #enabled: boolean;
  readonly #batch: WriteBatch<RecordedEntry>;
  /** The store once opened: what {@link close} lets go of. */
  #store: AuditStore | undefined;

  constructor(open: () => Promise<AuditStore>, logger: Logger, enabled = true) {
    this.#open = openOnce(async () => {
      this.#store = await open();
      return this.#store;
    });
    this.#enabled = enabled;
    this.#batch = new WriteBatch((entries) => this.#write(entries), logger, { what: 'audit entries', capacity: AUDIT_BACKLOG });
  }

  /** false when the config turns the log off: then nothing needs to build an entry. */
  /** Entries recorded and not yet written (the metrics' audit queue depth). */
  get waiting(): number {
    return this.#batch.waiting;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  record(entry: AuditEntry): void {
    if (!this.#enabled) return;
    this.#batch.add(recorded(newRecordId(), new Date().toISOString(), entry));
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
    return (await this.#open()).read({ ...query, limit: query.limit ?? 100 });
  }

  /** Writes what waits, then lets go of the store's open file (if it keeps one). */
  async close(): Promise<void> {
    await this.flush();
    await this.#store?.close?.();
  }

  async #write(entries: RecordedEntry[]): Promise<void> {
    await (await this.#open()).append(entries);
  }
}
