import { distinctIds } from '../batch.ts';
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
import { errorReason } from './errors.ts';
import { type FieldKinds, fieldKinds, searchFields } from './mapping.ts';
import { type CountBody, countBody, listBody, type SearchBody, searchBody } from './query.ts';

/** An HTTP answer whose status the store reads: a 404 or 409 the client was told to let through. */
export interface Answer {
  readonly statusCode: number | null;
  readonly body: unknown;
}

/** A document's version, which a compare-and-set write applies over. */
export interface Version {
  readonly seqNo: number;
  readonly primaryTerm: number;
}

/**
 * The requests a record store sends, one round trip each, written in one client's terms:
 * all that differs between the OpenSearch and Elasticsearch clients. Each lets the statuses
 * it names through as an {@link Answer}; any other failure rejects with a StorageError.
 */
export interface DocumentRequests {
  /** `GET /<index>/_doc/<id>`, realtime; 404 let through. */
  get(id: string): Promise<Answer>;
  /**
   * `PUT /<index>/_doc/<id>?refresh=wait_for`: with `create`, only where no record has
   * the id (`op_type=create`); with a version, only over it (`if_seq_no`,
   * `if_primary_term`). 409 let through.
   */
  put(id: string, record: StoredRecord, condition: 'create' | Version): Promise<Answer>;
  /** `DELETE /<index>/_doc/<id>?refresh=wait_for`, only over `version` when given; 404 and 409 let through. */
  delete(id: string, version: Version | undefined): Promise<Answer>;
  /** `POST /<index>/_mget` with `ids`, realtime; 404 let through. */
  mget(ids: readonly string[]): Promise<Answer>;
  /** `POST /<index>/_search`: the hits' `_source`, in order. */
  search(body: SearchBody): Promise<StoredRecord[]>;
  /** `POST /<index>/_count`. */
  count(body: CountBody): Promise<number>;
}

/** How often a write is retried when another writer changed the record in between. */
const MAX_ATTEMPTS = 100;

interface Versioned extends Version {
  readonly record: StoredRecord;
}

/** One entry of an `_mget` answer. */
interface MgetEntry {
  readonly _id?: string;
  readonly found?: boolean;
  readonly _source?: unknown;
  readonly error?: unknown;
}

/**
 * One automation's records in one index: `_id` is the record id and `_source` the record
 * exactly as given. Every write waits for the refresh that makes it visible to list and
 * search (`refresh: wait_for`); modify and delete compare-and-set on `_seq_no` and
 * `_primary_term`, retrying when another writer got in between, so no update is lost.
 */
export class SearchRecordStore implements RecordStore {
  readonly #index: string;
  readonly #name: string;
  readonly #kinds: FieldKinds;
  readonly #searchable: readonly string[];
  readonly #requests: DocumentRequests;

  constructor(spec: StorageSpec, index: string, requests: DocumentRequests) {
    this.#index = index;
    this.#name = `"${spec.collection}"`;
    this.#kinds = fieldKinds(spec);
    this.#searchable = searchFields(spec);
    this.#requests = requests;
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    return (await this.#read(id))?.record;
  }

  /** One `_mget`, realtime like get: ids not stored (or that no record can have) are absent. */
  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    const wanted = distinctIds(ids).filter(usableId);
    if (wanted.length === 0) return found;
    const { statusCode, body } = await this.#requests.mget(wanted);
    if (statusCode === 404) this.#checkIndex(body);
    for (const entry of (body as { docs?: MgetEntry[] })?.docs ?? []) {
      if (entry.error !== undefined) {
        this.#checkIndex({ error: entry.error });
        const reason = errorReason({ error: entry.error });
        throw new StorageError('failed', `${this.#name} could not read record ${entry._id}${reason ? ` (${reason})` : ''}`);
      }
      if (entry.found && entry._id !== undefined) found.set(entry._id, entry._source as StoredRecord);
    }
    return found;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const body = listBody(this.#kinds, query);
    const count = query.count ? countBody(this.#kinds, query.filters) : undefined;
    const [records, total] = await Promise.all([this.#requests.search(body), count && this.#requests.count(count)]);
    return { ...page(records, query.limit), ...(total === undefined ? {} : { total }) };
  }

  async search(query: SearchQuery): Promise<ListPage> {
    if (this.#searchable.length === 0) throw new StorageError('rejected', `${this.#name} has no searchable fields`);
    const words = searchWords(query.text);
    if (words.length === 0) return { records: [], hasMore: false };
    return page(await this.#requests.search(searchBody(this.#searchable, words, query.offset, query.limit)), query.limit);
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    if (!usableId(record.id))
      throw new StorageError('rejected', `${this.#name} cannot store a record id of ${Buffer.byteLength(record.id)} bytes`);
    const { statusCode } = await this.#requests.put(record.id, record, 'create');
    if (statusCode === 409) throw new StorageError('conflict', `${this.#name} already has a record with id ${record.id}`, { field: 'id' });
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#read(id);
      if (!current) return undefined;
      const next = { ...change(current.record), id };
      const { statusCode } = await this.#requests.put(id, next, current);
      // 409: another writer changed (or deleted) the record since it was read; read again.
      if (statusCode !== 409) return next;
    }
    throw new StorageError('failed', `${this.#name} record ${id} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    if (!usableId(id)) return false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let version: Version | undefined;
      if (check) {
        const current = await this.#read(id);
        if (!current) return false;
        check(current.record);
        // The delete applies only if the record is still the one checked.
        version = { seqNo: current.seqNo, primaryTerm: current.primaryTerm };
      }
      const { statusCode, body } = await this.#requests.delete(id, version);
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
    const { statusCode, body } = await this.#requests.get(id);
    if (statusCode === 404) {
      this.#checkIndex(body);
      return undefined;
    }
    const found = body as { _seq_no?: number; _primary_term?: number; _source?: unknown };
    if (found._seq_no === undefined || found._primary_term === undefined) {
      throw new StorageError('failed', `${this.#name} record ${id} came back without its version`);
    }
    return { record: found._source as StoredRecord, seqNo: found._seq_no, primaryTerm: found._primary_term };
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

/** Both stores refuse an empty `_id` or one over 512 bytes; no record can have one. */
function usableId(id: string): boolean {
  return id.length > 0 && Buffer.byteLength(id) <= 512;
}
