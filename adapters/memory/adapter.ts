import { matchesFilters } from '../filter-match.ts';
import { compareRecords, isAfter } from '../keyset.ts';
import { searchWords, textScore } from '../text-match.ts';
import { type ListPage, type ListQuery, type RecordStore, type SearchQuery, StorageError, type StoredRecord } from '../types.ts';

const PROTO_KEY = '__proto__';

/**
 * Records in a Map. Reads return copies so callers never share state with the store;
 * `modify` is atomic because it never awaits between read and write. With a TTL, a
 * record lives `ttlMs` after its last write; expired ones are dropped as they are met.
 */
export class MemoryRecordStore implements RecordStore {
  readonly #records = new Map<string, StoredRecord>();
  readonly #expires = new Map<string, number>();
  /** 0: records never expire. Set again when the automation is reopened with another TTL. */
  ttlMs = 0;
  /** Fields no two records may share a value of; set when the automation is (re)opened. */
  unique: readonly string[] = [];
  /** Fields `search` looks in; set when the automation is (re)opened. */
  searchable: readonly string[] = [];

  async get(id: string): Promise<StoredRecord | undefined> {
    const record = this.#live(id);
    return record && structuredClone(record);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const matches: StoredRecord[] = [];
    let total = 0;
    for (const id of [...this.#records.keys()]) {
      const record = this.#live(id);
      if (!record || !matchesFilters(record, query.filters)) continue;
      total++;
      if (query.after && !isAfter(record, query.sort, query.after)) continue;
      matches.push(record);
    }
    matches.sort(compareRecords(query.sort));
    return {
      records: matches.slice(0, query.limit).map((r) => structuredClone(r)),
      hasMore: matches.length > query.limit,
      ...(query.count ? { total } : {}),
    };
  }

  async search(query: SearchQuery): Promise<ListPage> {
    const words = searchWords(query.text);
    const scored: { record: StoredRecord; score: number }[] = [];
    for (const id of [...this.#records.keys()]) {
      const record = this.#live(id);
      const score = record && words.length ? textScore(record, this.searchable, words) : 0;
      if (record && score > 0) scored.push({ record, score });
    }
    scored.sort((a, b) => b.score - a.score || (a.record.id < b.record.id ? -1 : 1));
    const page = scored.slice(query.offset, query.offset + query.limit);
    return { records: page.map((s) => structuredClone(s.record)), hasMore: scored.length > query.offset + query.limit };
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    if (this.#live(record.id)) throw new StorageError('conflict', `a record with id ${record.id} already exists`, { field: 'id' });
    this.#write(record);
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    const current = this.#live(id);
    if (!current) return undefined;
    const next = change(structuredClone(current));
    this.#write(next);
    return next;
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    const current = this.#live(id);
    if (current && check) check(structuredClone(current));
    const existed = current !== undefined;
    this.#records.delete(id);
    this.#expires.delete(id);
    return existed;
  }

  #write(record: StoredRecord): void {
    for (const field of this.unique) {
      const value = record[field];
      if (value === undefined || value === null) continue;
      for (const id of [...this.#records.keys()]) {
        if (id !== record.id && this.#live(id)?.[field] === value) {
          throw new StorageError('conflict', `another record already has ${field} ${JSON.stringify(value)}`, { field });
        }
      }
    }
    const copy = structuredClone(record);
    // A key no record may have (the engine refuses it in bodies): never kept, so never served.
    Reflect.deleteProperty(copy, PROTO_KEY);
    this.#records.set(record.id, copy);
    if (this.ttlMs > 0) this.#expires.set(record.id, Date.now() + this.ttlMs);
    else this.#expires.delete(record.id);
  }

  /** The record, unless it has expired (then it is dropped). */
  #live(id: string): StoredRecord | undefined {
    const expires = this.#expires.get(id);
    if (expires !== undefined && expires <= Date.now()) {
      this.#records.delete(id);
      this.#expires.delete(id);
      return undefined;
    }
    return this.#records.get(id);
  }
}
