import { type RecordStore, StorageError, type StorageSpec, type StoredRecord } from '../../adapters/types.ts';
import type { Logger } from '../log.ts';
import { openOnce } from '../registry/open-once.ts';
import { newRecordId } from '../request/record-id.ts';
import { packBlocks, readEntries, rest } from './audit-blocks.ts';
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
 * Append-only: the engine only ever creates rows in it, each a block of entries
 * (`audit-blocks.ts`); rows written before blocks are one entry each.
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

  /** false when the config turns the log off: then nothing needs to build an entry. */
  get enabled(): boolean {
    return this.#enabled;
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
    return readEntries(await this.#storeOnce(), { ...query, limit: query.limit ?? 100 });
  }

  #storeOnce(): Promise<RecordStore> {
    return this.#open();
  }

  async #write(entries: AuditRecord[]): Promise<void> {
    const store = await this.#storeOnce();
    const blocks = packBlocks(entries);
    if (store.createMany) {
      try {
        return await store.createMany(blocks);
      } catch (error) {
        // Only if an earlier attempt was stored after all (its answer lost): one by one below.
        if (!(error instanceof StorageError && error.kind === 'conflict')) throw error;
      }
    }
    for (const block of blocks) await createBlock(store, block);
  }
}

/** Creates `block`, or what of it an earlier attempt that was stored after all did not hold. */
async function createBlock(store: RecordStore, block: StoredRecord): Promise<void> {
  try {
    await store.create(block);
  } catch (error) {
    if (!(error instanceof StorageError && error.kind === 'conflict' && error.field === 'id')) throw error;
    const stored = await store.get(block.id);
    const left = stored && rest(block, stored);
    if (left) await createBlock(store, left);
  }
}
