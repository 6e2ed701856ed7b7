import { compareRecords, isAfter } from '../keyset.ts';
import type { ListPage, ListQuery, RecordStore, StoredRecord } from '../types.ts';

/**
 * Records in a Map. Reads return copies so callers never share state with the store;
 * `modify` is atomic because it never awaits between read and write.
 */
export class MemoryRecordStore implements RecordStore {
  readonly #records = new Map<string, StoredRecord>();

  async get(id: string): Promise<StoredRecord | undefined> {
    const record = this.#records.get(id);
    return record && structuredClone(record);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const matches: StoredRecord[] = [];
    for (const record of this.#records.values()) {
      if (!query.filters.every((f) => record[f.field] === f.value)) continue;
      if (query.after && !isAfter(record, query.sort, query.after)) continue;
      matches.push(record);
    }
    matches.sort(compareRecords(query.sort));
    return {
      records: matches.slice(0, query.limit).map((r) => structuredClone(r)),
      hasMore: matches.length > query.limit,
    };
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    this.#records.set(record.id, structuredClone(record));
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    const current = this.#records.get(id);
    if (!current) return undefined;
    const next = change(structuredClone(current));
    this.#records.set(id, structuredClone(next));
    return next;
  }

  async delete(id: string): Promise<boolean> {
    return this.#records.delete(id);
  }
}
