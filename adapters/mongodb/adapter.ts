import type { Collection, Document } from 'mongodb';
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
import { byId, byIds, filterOf, type ListPhase, listPhases, searchPipeline, unchangedFilter } from './query.ts';

/** Runs one driver call, turning its failure into a {@link StorageError} (see connection.ts). */
export type Guard = <T>(operation: () => Promise<T>) => Promise<T>;

/** How often a write is retried when another writer changed the record in between. */
const MAX_ATTEMPTS = 100;

/**
 * One automation's records, one document each, with the record's id as `_id`. Writes of
 * an existing record are compare-and-set: read it, compute the change, then replace or
 * delete it only if the stored document is still exactly the one read. A writer that
 * lost the race matches nothing and retries from a fresh read, so no update is lost,
 * whatever the change touched (an `updatedAt` check alone would miss writes within one
 * millisecond, or changes that keep `updatedAt`).
 */
export class MongoRecordStore implements RecordStore {
  readonly #collection: Collection<Document>;
  readonly #spec: StorageSpec;
  readonly #guard: Guard;

  constructor(collection: Collection<Document>, spec: StorageSpec, guard: Guard) {
    this.#collection = collection;
    this.#spec = spec;
    this.#guard = guard;
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    const document = await this.#guard(() => this.#collection.findOne(byId(id)));
    return document ? toRecord(document) : undefined;
  }

  /** One `find` by `_id $in`, each document mapped as get maps it. */
  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    const wanted = distinctIds(ids);
    if (wanted.length === 0) return found;
    for (const document of await this.#guard(() => this.#collection.find(byIds(wanted)).toArray())) {
      const record = toRecord(document);
      found.set(record.id, record);
    }
    return found;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const phases = listPhases(query);
    const [documents, total] = await Promise.all([
      this.#read(phases, query.limit + 1),
      query.count ? this.#guard(() => this.#collection.countDocuments(filterOf(query.filters))) : undefined,
    ]);
    const records = documents.slice(0, query.limit).map(toRecord);
    return { records, hasMore: documents.length > query.limit, ...(total === undefined ? {} : { total }) };
  }

  /** Runs the phases in order until `want` documents are read (one more than a page shows, for hasMore). */
  async #read(phases: readonly ListPhase[], want: number): Promise<Document[]> {
    const documents: Document[] = [];
    for (const { filter, sort } of phases) {
      const limit = want - documents.length;
      if (limit <= 0) break;
      documents.push(...(await this.#guard(() => this.#collection.find(filter, { sort, limit }).toArray())));
    }
    return documents;
  }

  async search(query: SearchQuery): Promise<ListPage> {
    const fields = this.#spec.searchable ?? [];
    if (fields.length === 0) throw new StorageError('rejected', `"${this.#spec.collection}" has no searchable fields`);
    const words = searchWords(query.text);
    if (words.length === 0) return { records: [], hasMore: false };
    const pipeline = searchPipeline(fields, words, query.offset, query.limit);
    const documents = await this.#guard(() => this.#collection.aggregate(pipeline).toArray());
    return { records: documents.slice(0, query.limit).map(toRecord), hasMore: documents.length > query.limit };
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    await this.#guard(() => this.#collection.insertOne(toDocument(record)));
    return record;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#guard(() => this.#collection.findOne(byId(id)));
      if (!current) return undefined;
      // A clone: `change` may mutate what it gets, and `current` is the expected value below.
      const next = { ...change(structuredClone(toRecord(current))), id };
      const { matchedCount } = await this.#guard(() => this.#collection.replaceOne(unchangedFilter(id, current), toDocument(next)));
      if (matchedCount === 1) return next;
    }
    throw new StorageError('failed', `"${this.#spec.collection}" record ${id} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    if (!check) return (await this.#guard(() => this.#collection.deleteOne(byId(id)))).deletedCount === 1;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#guard(() => this.#collection.findOne(byId(id)));
      if (!current) return false;
      // The delete below applies only while the record is still this one, so the check holds.
      check(structuredClone(toRecord(current)));
      const { deletedCount } = await this.#guard(() => this.#collection.deleteOne(unchangedFilter(id, current)));
      if (deletedCount === 1) return true;
    }
    throw new StorageError('failed', `"${this.#spec.collection}" record ${id} kept changing under ${MAX_ATTEMPTS} attempts to delete it`);
  }
}

/** The stored document of a record: its id becomes `_id`, everything else stays as it is. */
export function toDocument(record: StoredRecord): Document {
  const { id, ...rest } = record;
  return { _id: id, ...rest };
}

/** The record of a stored document: `_id` back to `id`. */
export function toRecord(document: Document): StoredRecord {
  const { _id, ...rest } = document;
  return { id: String(_id), ...rest } as StoredRecord;
}
