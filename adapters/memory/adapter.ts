import { batchFailure, distinctIds, idConflict } from '../batch.ts';
import { matchesFilters } from '../filter-match.ts';
import { compareRecords, isAfter } from '../keyset.ts';
import { searchWords, textScore } from '../text-match.ts';
import {
  BatchAborted,
  type BatchWrite,
  type ListPage,
  type ListQuery,
  type RecordStore,
  type SearchQuery,
  StorageError,
  type StoredRecord,
} from '../types.ts';
import { ListIndexes, type ListSource, walkSource } from './list-indexes.ts';

const PROTO_KEY = '__proto__';

/** A record as a batch found it, to put back if a later write of the batch fails. */
interface Undo {
  readonly id: string;
  readonly record: StoredRecord | undefined;
  readonly expires: number | undefined;
}

/**
 * Records in a Map, each a deep-frozen copy of what was written. Reads return the stored
 * record itself, which no caller can change (a write to it throws), so a read costs no
 * copy: on a GET by id the copy was the store's largest cost. `modify` hands its change a
 * mutable copy, and is atomic because it never awaits between read and write. With a TTL, a
 * record lives `ttlMs` after its last write; expired ones are dropped as they are met,
 * and before each list.
 *
 * Lists walk {@link ListIndexes}: a sorted index per sortable field and, per filterable
 * field, the records of each value sorted the same ways, so a page costs O(page) plus
 * the records other filters (any operator) skip. A sort field without an index (not
 * declared) is scanned and sorted, as before indexes.
 *
 * `writeAll` and `upsert` are atomic the same way: they never await. A batch writes as it
 * goes and, when a write fails, puts back what the writes before it replaced.
 */
export class MemoryRecordStore implements RecordStore {
  readonly #records = new Map<string, StoredRecord>();
  /** Expiry per id, in write order, which is expiry order while the TTL stays the same. */
  readonly #expires = new Map<string, number>();
  #indexes = new ListIndexes([], [], () => this.#records.values());
  /** 0: records never expire. Set again when the automation is reopened with another TTL. */
  ttlMs = 0;
  #unique: readonly string[] = [];
  /**
   * Per unique field, the ids holding each value: a write checks its own value's holders,
   * not every record (a scan per write was O(n): 40k records, 40k lookups a create).
   * A set, since records written before the field became unique may share a value.
   */
  #holders = new Map<string, Map<unknown, Set<string>>>();
  /** Fields `search` looks in; set when the automation is (re)opened. */
  searchable: readonly string[] = [];
  /**
   * Index entries list calls have looked at, in all: a test's measure of what a page
   * cost (O(page) with an index, O(n) without), free of the machine's speed.
   */
  examined = 0;

  /** Fields no two records may share a value of; set when the automation is (re)opened. */
  get unique(): readonly string[] {
    return this.#unique;
  }

  set unique(fields: readonly string[]) {
    if (fields.length === this.#unique.length && fields.every((f, i) => f === this.#unique[i])) return;
    this.#unique = fields;
    this.#holders = new Map(fields.map((field) => [field, new Map<unknown, Set<string>>()]));
    for (const record of this.#records.values()) this.#hold(record);
  }

  /** Keeps list indexes for these fields, rebuilding them when they differ from the last. */
  index(sortable: readonly string[], filterable: readonly string[]): void {
    if (!this.#indexes.covers(sortable, filterable)) this.#indexes = new ListIndexes(sortable, filterable, () => this.#records.values());
  }

  get(id: string): StoredRecord | undefined {
    return this.#live(id);
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    for (const id of distinctIds(ids)) {
      const record = this.#live(id);
      if (record) found.set(id, record);
    }
    return found;
  }

  async list(query: ListQuery): Promise<ListPage> {
    this.#sweep();
    const source = this.#indexes.source(query.filters, query.sort);
    if (!source) return this.#scan(query);
    const page: StoredRecord[] = [];
    const expired: string[] = [];
    const now = this.#expires.size ? Date.now() : 0;
    for (const record of walkSource(source, query.sort, query.after, this.#stored)) {
      this.examined++;
      if (now && (this.#expires.get(record.id) ?? Number.POSITIVE_INFINITY) <= now) expired.push(record.id);
      else if (matchesFilters(record, query.filters) && page.push(record) > query.limit) break;
    }
    for (const id of expired) this.#drop(id);
    return {
      records: page.slice(0, query.limit),
      hasMore: page.length > query.limit,
      ...(query.count ? { total: this.#count(query, source) } : {}),
    };
  }

  /** How many records match: the size of an exact source, else its records filtered. */
  #count(query: ListQuery, source: ListSource): number {
    if (source.exact && this.#expires.size === 0) return source.indexes.reduce((sum, index) => sum + index.size, 0);
    let total = 0;
    const now = Date.now();
    for (const index of source.indexes) {
      for (const id of index.walk('asc')) {
        const record = this.#stored(id);
        this.examined++;
        if ((this.#expires.get(record.id) ?? Number.POSITIVE_INFINITY) > now && matchesFilters(record, query.filters)) total++;
      }
    }
    return total;
  }

  /** A list by a field without an index: every record filtered, then sorted. */
  #scan(query: ListQuery): ListPage {
    const matches: StoredRecord[] = [];
    let total = 0;
    for (const id of [...this.#records.keys()]) {
      this.examined++;
      const record = this.#live(id);
      if (!record || !matchesFilters(record, query.filters)) continue;
      total++;
      if (query.after && !isAfter(record, query.sort, query.after)) continue;
      matches.push(record);
    }
    matches.sort(compareRecords(query.sort));
    return {
      records: matches.slice(0, query.limit),
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
    return { records: page.map((s) => s.record), hasMore: scored.length > query.offset + query.limit };
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    if (this.#live(record.id)) throw new StorageError('conflict', `a record with id ${record.id} already exists`, { field: 'id' });
    this.#write(record, undefined);
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    const current = this.#live(id);
    if (!current) return undefined;
    const next = change(structuredClone(current));
    this.#write(next, current);
    return next;
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    const current = this.#live(id);
    if (current && check) check(current);
    if (!current) return false;
    this.#drop(id);
    return true;
  }

  async upsert(
    field: string,
    record: StoredRecord,
    change: (current: StoredRecord) => StoredRecord,
  ): Promise<{ readonly record: StoredRecord; readonly created: boolean }> {
    if (!this.#unique.includes(field))
      throw new StorageError('rejected', `upsert needs a unique field, and "${field}" is not one`, { field });
    const current = this.#holder(field, record[field]);
    if (!current) return { record: await this.create(record), created: true };
    const changed = change(structuredClone(current));
    const next = changed.id === current.id ? changed : { ...changed, id: current.id };
    this.#write(next, current);
    return { record: next, created: false };
  }

  async writeAll(writes: readonly BatchWrite[]): Promise<readonly StoredRecord[]> {
    const undo: Undo[] = [];
    try {
      return writes.map((write, index) => this.#batchWrite(write, index, undo));
    } catch (error) {
      for (const step of undo.reverse()) this.#restore(step);
      throw error;
    }
  }

  /** One write of a batch, noting in `undo` what it replaced. */
  #batchWrite(write: BatchWrite, index: number, undo: Undo[]): StoredRecord {
    const id = write.op === 'create' ? write.record.id : write.id;
    const current = this.#live(id);
    const before: Undo = { id, record: current, expires: this.#expires.get(id) };
    try {
      if (write.op === 'create') {
        if (current) throw idConflict(id);
        this.#write(write.record, undefined);
        undo.push(before);
        return write.record;
      }
      if (!current) throw new BatchAborted(index, 'missing');
      if (write.op === 'delete') {
        write.check?.(current);
        this.#drop(id);
        undo.push(before);
        return current;
      }
      const changed = write.change(structuredClone(current));
      const next = changed.id === id ? changed : { ...changed, id };
      this.#write(next, current);
      undo.push(before);
      return next;
    } catch (error) {
      throw batchFailure(index, error);
    }
  }

  /** Puts back a record as a batch found it (or drops the one it created), with its expiry. */
  #restore({ id, record, expires }: Undo): void {
    const now = this.#records.get(id);
    if (!record) {
      this.#drop(id);
      return;
    }
    this.#records.set(id, record);
    if (now) this.#release(now);
    this.#hold(record);
    if (now) this.#indexes.replace(now, record);
    else this.#indexes.add(record);
    this.#expires.delete(id);
    if (expires !== undefined) this.#expires.set(id, expires);
  }

  /** The live record holding `value` of the unique `field`, if any. */
  #holder(field: string, value: unknown): StoredRecord | undefined {
    if (value === undefined || value === null) return undefined;
    for (const id of [...(this.#holders.get(field)?.get(value) ?? [])]) {
      const record = this.#live(id);
      if (record?.[field] === value) return record;
    }
    return undefined;
  }

  /** Stores `record` in place of `previous` (the stored record with its id, which the caller has just read). */
  #write(record: StoredRecord, previous: StoredRecord | undefined): void {
    for (const field of this.#unique) {
      const value = record[field];
      if (value === undefined || value === null) continue;
      // A copy: an expired holder is dropped as it is met.
      for (const id of [...(this.#holders.get(field)?.get(value) ?? [])]) {
        if (id !== record.id && this.#live(id)?.[field] === value) {
          throw new StorageError('conflict', `another record already has ${field} ${JSON.stringify(value)}`, { field });
        }
      }
    }
    const copy = structuredClone(record);
    // A key no record may have (the engine refuses it in bodies): never kept, so never served.
    Reflect.deleteProperty(copy, PROTO_KEY);
    deepFreeze(copy);
    this.#records.set(record.id, copy);
    if (previous) this.#release(previous);
    this.#hold(copy);
    if (previous) this.#indexes.replace(previous, copy);
    else this.#indexes.add(copy);
    // Deleted first so the Map keeps ids in write order, which #sweep relies on.
    if (this.#expires.size !== 0) this.#expires.delete(record.id);
    if (this.ttlMs > 0) this.#expires.set(record.id, Date.now() + this.ttlMs);
  }

  /** A record the indexes name: each of them is in the Map (they change together). */
  readonly #stored = (id: string): StoredRecord => this.#records.get(id) as StoredRecord;

  /** Drops the records that have expired, oldest write first, until one has not. */
  #sweep(): void {
    if (this.#expires.size === 0) return;
    const now = Date.now();
    for (const [id, expires] of this.#expires) {
      if (expires > now) return;
      this.#drop(id);
    }
  }

  #drop(id: string): void {
    const record = this.#records.get(id);
    if (record) {
      this.#indexes.remove(record);
      this.#release(record);
    }
    this.#records.delete(id);
    this.#expires.delete(id);
  }

  /** Notes the record as a holder of its unique values. */
  #hold(record: StoredRecord): void {
    for (const [field, byValue] of this.#holders) {
      const value = record[field];
      if (value === undefined || value === null) continue;
      const ids = byValue.get(value);
      if (ids) ids.add(record.id);
      else byValue.set(value, new Set([record.id]));
    }
  }

  /** The record no longer holds its unique values (replaced or dropped). */
  #release(record: StoredRecord): void {
    for (const [field, byValue] of this.#holders) {
      const ids = byValue.get(record[field]);
      if (!ids) continue;
      ids.delete(record.id);
      if (ids.size === 0) byValue.delete(record[field]);
    }
  }

  /** The record, unless it has expired (then it is dropped). */
  #live(id: string): StoredRecord | undefined {
    // Most collections expire nothing: one lookup, not two.
    const expires = this.#expires.size === 0 ? undefined : this.#expires.get(id);
    if (expires !== undefined && expires <= Date.now()) {
      this.#drop(id);
      return undefined;
    }
    return this.#records.get(id);
  }
}

/** Freezes a JSON value and everything in it. */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
