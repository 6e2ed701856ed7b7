import type { AuditRecord, RecordedEntry } from './audit-log.ts';

/** What a reader of the audit log asks for: entries newest first, at most `limit`. */
export interface AuditQuery {
  readonly since?: string;
  readonly automation?: string;
  readonly limit: number;
}

/**
 * Where the audit log keeps its entries: a table of the system store
 * (`audit-table.ts`), or, when that store is embedded, files of JSON lines in the data
 * directory (`audit-file.ts`). Entries only ever arrive in the order they were recorded.
 */
export interface AuditStore {
  /** Stores a batch, oldest first; rejects (and may be called again with the same batch) when it cannot. */
  append(entries: readonly RecordedEntry[]): Promise<void>;
  read(query: AuditQuery): Promise<AuditRecord[]>;
  /** Lets go of what it holds open (a file); the next append opens it again. */
  close?(): Promise<void>;
}
