import { batchIds, distinctIds, planBatch } from '../batch.ts';
import { encodeSortValue, type SortKind } from '../sort-encoding.ts';
import type { BatchWrite, ListFilter, ListPage, ListQuery, RecordStore, SearchQuery, StorageSpec, StoredRecord } from '../types.ts';
import { StorageError } from '../types.ts';
import { type IndexOp, indexEntries, type RedisKeys, removing } from './keys.ts';

/** Runs one of the connection's Lua scripts (scripts.ts, list-script.ts) with string arguments. */
export type RunScript = (name: 'apply' | 'writeAll' | 'list' | 'count', args: readonly string[]) => Promise<unknown>;

/** What the store asks of the connection: its scripts, and plain reads by key. */
export interface RedisIo {
  readonly run: RunScript;
  readonly get: (key: string) => Promise<string | null>;
  /** Several keys in one round trip (MGET). */
  readonly getMany: (keys: readonly string[]) => Promise<(string | null)[]>;
}

/** How often a write is retried when another writer changed the record in between. */
const MAX_ATTEMPTS = 100;

/**
 * One automation's records in Redis. Writes are compare-and-set Lua scripts: a record and
 * all its index entries change together, and only if the record is still what the
 * writer read, so concurrent `modify` calls retry instead of losing an update. A batch
 * (`writeAll`) is the same for many records at once: read them, work the batch out in
 * memory, then one script writes it only if none of them changed meanwhile.
 */
export class RedisRecordStore implements RecordStore {
  readonly #keys: RedisKeys;
  readonly #spec: StorageSpec;
  readonly #kinds: ReadonlyMap<string, SortKind>;
  readonly #run: RunScript;
  readonly #get: (key: string) => Promise<string | null>;
  readonly #getMany: (keys: readonly string[]) => Promise<(string | null)[]>;
  readonly #ttl: string;
  /**
   * Index entries and candidates list pages have examined, in all: a test's measure of
   * what a page cost, free of the machine's speed (see list-script.ts).
   */
  examined = 0;

  constructor(keys: RedisKeys, spec: StorageSpec, kinds: ReadonlyMap<string, SortKind>, io: RedisIo) {
    this.#keys = keys;
    this.#spec = spec;
    this.#kinds = kinds;
    this.#run = io.run;
    this.#get = io.get;
    this.#getMany = io.getMany;
    this.#ttl = String(Math.round((spec.ttlSeconds ?? 0) * 1000));
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    const text = await this.#get(this.#keys.record + id);
    return text === null ? undefined : (JSON.parse(text) as StoredRecord);
  }

  /** One MGET; an expired record's key is gone (it was written with PX), as for get. */
  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    const wanted = distinctIds(ids);
    if (wanted.length === 0) return found;
    const texts = await this.#getMany(wanted.map((id) => this.#keys.record + id));
    for (const [i, id] of wanted.entries()) {
      const text = texts[i];
      if (text !== null && text !== undefined) found.set(id, JSON.parse(text) as StoredRecord);
    }
    return found;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const { field, direction } = query.sort;
    const kind = this.#kinds.get(field);
    if (!kind) throw new StorageError('rejected', `"${this.#spec.collection}" has no index to sort by "${field}"`);
    const filters = query.filters.map((f) => this.#filterKeys(f));
    const byId = kind === 'id';
    let phase = '';
    let cursor = '';
    if (query.after) {
      const encoded = query.after.value === null ? undefined : encodeSortValue(kind, query.after.value);
      phase = byId || encoded !== undefined ? 'values' : 'missing';
      cursor = byId ? query.after.id : encoded === undefined ? query.after.id : `${encoded}\0${query.after.id}`;
    }
    const args = [
      this.#keys.record,
      byId ? this.#keys.ids : this.#keys.sorted(field),
      byId ? '' : this.#keys.missing(field),
      direction,
      phase,
      cursor,
      String(query.limit + 1),
      byId ? 'id' : 'lex',
      this.#keys.base,
      field,
      kind,
      ...filters,
    ];
    const [reply, total] = await Promise.all([
      this.#run('list', args) as Promise<(string | number)[]>,
      query.count ? (this.#run('count', [this.#keys.record, this.#keys.ids, this.#keys.expiry, ...filters]) as Promise<number>) : undefined,
    ]);
    this.examined += Number(reply.pop() ?? 0);
    const records = (reply as string[]).map((t) => JSON.parse(t) as StoredRecord);
    return { records: records.slice(0, query.limit), hasMore: records.length > query.limit, ...(total === undefined ? {} : { total }) };
  }

  async search(_query: SearchQuery): Promise<ListPage> {
    throw new StorageError('rejected', `redis cannot search text ("${this.#spec.collection}")`);
  }

  /** The value sets a record must be in one of to match: eq and in, from the filter indexes. */
  #filterKeys(filter: ListFilter): string {
    if (!this.#spec.filterable.includes(filter.field) || (filter.op !== 'eq' && filter.op !== 'in')) {
      throw new StorageError('rejected', `"${this.#spec.collection}" cannot filter on "${filter.field}" with ${filter.op}`);
    }
    const values = filter.op === 'in' ? filter.value : [filter.value];
    // An empty group would match nothing; `in` always has a value (the query parser requires one).
    return values.map((v) => this.#keys.filter(filter.field, v)).join('\n');
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    const applied = await this.#apply(record.id, '', JSON.stringify(record), this.#entries(record));
    if (!applied)
      throw new StorageError('conflict', `"${this.#spec.collection}" already has a record with id ${record.id}`, { field: 'id' });
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const text = await this.#get(this.#keys.record + id);
      if (text === null) return undefined;
      const current = JSON.parse(text) as StoredRecord;
      const next = change(structuredClone(current));
      const ops = [...removing(this.#entries(current)), ...this.#entries(next)];
      if (await this.#apply(id, text, JSON.stringify(next), ops)) return next;
    }
    throw new StorageError('failed', `"${this.#spec.collection}" record ${id} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const text = await this.#get(this.#keys.record + id);
      if (text === null) return false;
      const current = JSON.parse(text) as StoredRecord;
      // The delete below applies only if the record is still this text, so the check holds.
      check?.(structuredClone(current));
      if (await this.#apply(id, text, '', removing(this.#entries(current)))) return true;
    }
    throw new StorageError('failed', `"${this.#spec.collection}" record ${id} kept changing under ${MAX_ATTEMPTS} attempts to delete it`);
  }

  /**
   * Reads every record the batch touches (one MGET), runs the batch over them in memory
   * (a failing write rejects here, before anything is written), then writes every record
   * it changed in one script, conditioned on each being still the text read; when one
   * changed meanwhile, reads again and retries, as modify does.
   */
  async writeAll(writes: readonly BatchWrite[]): Promise<readonly StoredRecord[]> {
    if (writes.length === 0) return [];
    const ids = batchIds(writes);
    // Creates alone expect their ids free, which the script checks as it writes: no read
    // first. If one is taken, the next attempt reads, and the plan names the conflict.
    const creates = writes.every((write) => write.op === 'create');
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const texts = creates && attempt === 0 ? [] : await this.#getMany(ids.map((id) => this.#keys.record + id));
      const read = new Map<string, string>();
      for (const [i, id] of ids.entries()) {
        const text = texts[i];
        if (text !== null && text !== undefined) read.set(id, text);
      }
      const plan = planBatch(writes, new Map([...read].map(([id, text]) => [id, JSON.parse(text) as StoredRecord])));
      const args = [this.#ttl, this.#keys.expiry];
      for (const [id, { before, after }] of plan.records) {
        const ops = [...(before ? removing(this.#entries(before)) : []), ...(after ? this.#entries(after) : [])];
        const next = after ? JSON.stringify(after) : '';
        args.push(this.#keys.record + id, this.#keys.entries(id), read.get(id) ?? '', next, String(ops.length), ...ops.flat());
      }
      if ((await this.#run('writeAll', args)) === 1) return plan.results;
    }
    throw new StorageError(
      'failed',
      `"${this.#spec.collection}" records kept changing under ${MAX_ATTEMPTS} attempts to write a batch of them`,
    );
  }

  #entries(record: StoredRecord): IndexOp[] {
    return indexEntries(this.#keys, this.#spec, this.#kinds, record);
  }

  async #apply(id: string, expected: string, next: string, ops: readonly IndexOp[]): Promise<boolean> {
    const ttl = next === '' ? '0' : this.#ttl;
    const args = [this.#keys.record + id, expected, next, ttl, this.#keys.expiry, this.#keys.entries(id), ...ops.flat()];
    return (await this.#run('apply', args)) === 1;
  }
}
