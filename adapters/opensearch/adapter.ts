import type { API, Client } from '@opensearch-project/opensearch';
import { searchWords } from '../text-match.ts';
import {
  type ListPage,
  type ListQuery,
  type RecordStore,
  type SearchQuery,
  StorageError,
  type StorageSpec,
  type StoredRecord,
} from '../types.ts';
import { type FieldKinds, fieldKinds, searchFields } from './mapping.ts';
import { countBody, listBody, type SearchBody, searchBody } from './query.ts';

/** Sends one request, turning client errors into StorageErrors (see connection.ts). */
export type Run = <T>(request: (client: Client) => Promise<T>) => Promise<T>;

/** How often a write is retried when another writer changed the record in between. */
const MAX_ATTEMPTS = 100;

interface Versioned {
  readonly record: StoredRecord;
  readonly seqNo: number;
  readonly primaryTerm: number;
}

/**
 * One automation's records in one index: `_id` is the record id and `_source` the record
 * exactly as given. Every write waits for the refresh that makes it visible to list and
 * search (`refresh: wait_for`); modify and delete compare-and-set on `_seq_no` and
 * `_primary_term`, retrying when another writer got in between, so no update is lost.
 */
export class OpenSearchRecordStore implements RecordStore {
  readonly #index: string;
  readonly #name: string;
  readonly #kinds: FieldKinds;
  readonly #searchable: readonly string[];
  readonly #run: Run;

  constructor(spec: StorageSpec, index: string, run: Run) {
    this.#index = index;
    this.#name = `"${spec.collection}"`;
    this.#kinds = fieldKinds(spec);
    this.#searchable = searchFields(spec);
    this.#run = run;
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    return (await this.#read(id))?.record;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const body = listBody(this.#kinds, query);
    const count = query.count ? countBody(this.#kinds, query.filters) : undefined;
    const [records, total] = await Promise.all([
      this.#search(body),
      count && this.#run((c) => c.count({ index: this.#index, body: count as API.Count_RequestBody })).then((r) => r.body.count),
    ]);
    return { ...page(records, query.limit), ...(total === undefined ? {} : { total }) };
  }

  async search(query: SearchQuery): Promise<ListPage> {
    if (this.#searchable.length === 0) throw new StorageError('rejected', `${this.#name} has no searchable fields`);
    const words = searchWords(query.text);
    if (words.length === 0) return { records: [], hasMore: false };
    return page(await this.#search(searchBody(this.#searchable, words, query.offset, query.limit)), query.limit);
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    if (!usableId(record.id))
      throw new StorageError('rejected', `${this.#name} cannot store a record id of ${Buffer.byteLength(record.id)} bytes`);
    const { statusCode } = await this.#run((c) =>
      c.index({ index: this.#index, id: record.id, body: record, op_type: 'create', refresh: 'wait_for' }, { ignore: [409] }),
    );
    if (statusCode === 409) throw new StorageError('conflict', `${this.#name} already has a record with id ${record.id}`, { field: 'id' });
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#read(id);
      if (!current) return undefined;
      const next = { ...change(current.record), id };
      const { statusCode } = await this.#run((c) =>
        c.index(
          { index: this.#index, id, body: next, if_seq_no: current.seqNo, if_primary_term: current.primaryTerm, refresh: 'wait_for' },
          { ignore: [409] },
        ),
      );
      // 409: another writer changed (or deleted) the record since it was read; read again.
      if (statusCode !== 409) return next;
    }
    throw new StorageError('failed', `${this.#name} record ${id} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    if (!usableId(id)) return false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let versioned = {};
      if (check) {
        const current = await this.#read(id);
        if (!current) return false;
        check(current.record);
        // The delete applies only if the record is still the one checked.
        versioned = { if_seq_no: current.seqNo, if_primary_term: current.primaryTerm };
      }
      const { statusCode, body } = await this.#run((c) =>
        c.delete({ index: this.#index, id, refresh: 'wait_for', ...versioned }, { ignore: [404, 409] }),
      );
      if (statusCode === 404) {
        this.#checkIndex(body);
        return false;
      }
      if (statusCode !== 409) return true;
    }
    throw new StorageError('failed', `${this.#name} record ${id} kept changing under ${MAX_ATTEMPTS} attempts to delete it`);
  }

  /** The record with the version a compare-and-set write needs; realtime, so never stale. */
  async #read(id: string): Promise<Versioned | undefined> {
    if (!usableId(id)) return undefined;
    const { statusCode, body } = await this.#run((c) => c.get({ index: this.#index, id }, { ignore: [404] }));
    if (statusCode === 404) {
      this.#checkIndex(body);
      return undefined;
    }
    if (body._seq_no === undefined || body._primary_term === undefined) {
      throw new StorageError('failed', `${this.#name} record ${id} came back without its version`);
    }
    return { record: body._source as StoredRecord, seqNo: body._seq_no, primaryTerm: body._primary_term };
  }

  async #search(body: SearchBody): Promise<StoredRecord[]> {
    const { body: found } = await this.#run((c) => c.search({ index: this.#index, body: body as API.Search_RequestBody }));
    return found.hits.hits.map((hit) => hit._source as StoredRecord);
  }

  /** A 404 means "no such record", unless the index itself is gone (someone deleted it). */
  #checkIndex(body: unknown): void {
    if ((body as { error?: { type?: string } })?.error?.type === 'index_not_found_exception') {
      throw new StorageError('failed', `index ${this.#index} of ${this.#name} is missing; reload the automation to create it again`);
    }
  }
}

function page(records: StoredRecord[], limit: number): ListPage {
  return { records: records.slice(0, limit), hasMore: records.length > limit };
}

/** OpenSearch refuses an empty `_id` or one over 512 bytes; no record can have one. */
function usableId(id: string): boolean {
  return id.length > 0 && Buffer.byteLength(id) <= 512;
}
