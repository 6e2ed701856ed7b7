import { randomUUID } from 'node:crypto';
import { BatchGetCommand, DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { distinctIds } from '../batch.ts';
import { matchesFilters } from '../filter-match.ts';
import type { SortKind } from '../sort-encoding.ts';
import type { ListFilter, ListPage, ListQuery, RecordStore, SearchQuery, StorageSpec, StoredRecord } from '../types.ts';
import { StorageError } from '../types.ts';
import { type IndexEntry, IndexWalk, type Key, type QueryPartition } from './index-walk.ts';
import { indexKeys, indexOf, type ListPattern, partitionKey, sortKey } from './layout.ts';

/** Runs one request, turning driver errors into StorageErrors (connection.ts). */
export type Send = <T>(request: () => Promise<T>) => Promise<T>;

/** How often a write is retried when another writer changed the record in between. */
const MAX_ATTEMPTS = 100;

/** What the store runs its requests with. */
export interface DynamoIo {
  readonly db: DynamoDBDocumentClient;
  readonly send: Send;
  /**
   * How long retrying the reads DynamoDB left unprocessed may go on: the time one request
   * may take (the connection's statement timeout), so a throttled table answers a 503
   * rather than outliving the request.
   */
  readonly retryForMs: number;
}

/** The index a list reads, and its partitions: `*`, or one per filter value. */
interface Scope {
  readonly index: ReturnType<typeof indexOf>;
  readonly partitions: readonly string[];
}

/** One item as stored (layout.ts). */
interface Item {
  readonly id: string;
  readonly doc?: string;
  readonly v?: number;
  readonly exp?: number;
  readonly [attribute: string]: unknown;
}

/**
 * One automation's records in one DynamoDB table. Every write is conditional on the
 * version it read, so concurrent writers retry instead of losing an update; lists read
 * index keys, then the items themselves with a consistent read, and keep only those still
 * live, still matching, and still at the index position they were found at (a global
 * secondary index is eventually consistent).
 */
export class DynamoRecordStore implements RecordStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #send: Send;
  readonly #table: string;
  readonly #spec: StorageSpec;
  readonly #patterns: readonly ListPattern[];
  readonly #kinds: ReadonlyMap<string, SortKind>;
  readonly #ttlMs: number;
  readonly #retryForMs: number;

  constructor(io: DynamoIo, table: string, spec: StorageSpec, patterns: readonly ListPattern[], kinds: ReadonlyMap<string, SortKind>) {
    this.#db = io.db;
    this.#send = io.send;
    this.#retryForMs = io.retryForMs;
    this.#table = table;
    this.#spec = spec;
    this.#patterns = patterns;
    this.#kinds = kinds;
    this.#ttlMs = Math.round((spec.ttlSeconds ?? 0) * 1000);
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    const item = await this.#read(id);
    return item && live(item) ? record(item) : undefined;
  }

  /** One BatchGetItem (consistent reads), hiding expired records as get does. */
  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    const wanted = distinctIds(ids).filter(isKey);
    if (wanted.length === 0) return found;
    for (const [id, item] of await this.#readMany(wanted)) if (live(item)) found.set(id, record(item));
    return found;
  }

  async create(next: StoredRecord): Promise<StoredRecord> {
    const token = randomUUID();
    try {
      // An item whose TTL has passed is gone for the API, even before DynamoDB sweeps it.
      await this.#write(next, 1, token, {
        ConditionExpression: 'attribute_not_exists(id) OR attribute_not_exists(#doc) OR #exp <= :now',
        ExpressionAttributeNames: { '#doc': 'doc', '#exp': 'exp' },
        ExpressionAttributeValues: { ':now': Date.now() },
      });
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      if (await this.#landed(next.id, token)) return next;
      throw new StorageError('conflict', `a record with id ${next.id} already exists`, { cause: error, field: 'id' });
    }
    return next;
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const item = await this.#read(id);
      if (!item || !live(item)) return undefined;
      const next = change(record(item));
      const token = randomUUID();
      try {
        await this.#write(next, (item.v ?? 0) + 1, token, sameVersion(item));
        return next;
      } catch (error) {
        if (!conditionFailed(error)) throw error;
        if (await this.#landed(id, token)) return next;
      }
    }
    throw contention(id);
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const item = await this.#read(id);
      if (!item || !live(item)) return false;
      check?.(record(item));
      try {
        await this.#send(() => this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { id }, ...sameVersion(item) })));
        return true;
      } catch (error) {
        if (!conditionFailed(error)) throw error;
        // Gone since the read: deleted by this request's own retried attempt, or by another.
        const now = await this.#read(id);
        if (!now || !live(now)) return true;
      }
    }
    throw contention(id);
  }

  /**
   * Whether a write whose condition failed had in fact landed: the SDK retries a request
   * whose answer was lost (a reset connection), and the retry then finds its own write,
   * known by the token that write carried.
   */
  async #landed(id: string, token: string): Promise<boolean> {
    return (await this.#read(id))?.w === token;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const scope = this.#scope(query);
    const kind = this.#kinds.get(query.sort.field) as SortKind;
    const after = query.after && { sortKey: sortKey(kind, query.after.value, query.after.id), id: query.after.id };
    const walk = this.#walk(scope, query.sort.direction === 'asc', after);
    const want = query.limit + 1;
    const out: StoredRecord[] = [];
    // The index holds exactly the matches of the filter it serves; other filters are
    // checked on the records, so read ahead when there are any.
    const ahead = query.filters.length > 1;
    for (;;) {
      const entries = await walk.next(ahead ? 100 : Math.min(100, want - out.length));
      out.push(...(await this.#matching(entries, scope.index, query.filters)));
      if (entries.length === 0 || out.length >= want) break;
    }
    const records = out.slice(0, query.limit);
    const total = query.count ? await this.#count(scope, query.filters) : undefined;
    return { records, hasMore: out.length > query.limit, ...(total === undefined ? {} : { total }) };
  }

  search(_query: SearchQuery): Promise<ListPage> {
    return Promise.reject(new StorageError('rejected', 'dynamodb cannot search text'));
  }

  /**
   * The index and partitions serving a list: the sort's own index, or that of its first
   * equality (else `in`) filter with the sort, one partition per value.
   */
  #scope(query: ListQuery): Scope {
    const unsupported = query.filters.find((f) => f.op !== 'eq' && f.op !== 'in');
    if (unsupported) throw new StorageError('rejected', `dynamodb filters with eq and in only, not "${unsupported.op}"`);
    const first = query.filters.find((f) => f.op === 'eq') ?? query.filters[0];
    const at = this.#patterns.findIndex((p) => p.filter === first?.field && p.sort === query.sort.field);
    if (at < 0) {
      const what = first ? `filter "${first.field}" sorted by "${query.sort.field}"` : `sort by "${query.sort.field}"`;
      throw new StorageError('rejected', `"${this.#spec.collection}" has no index to ${what}`);
    }
    const values: readonly unknown[] = first === undefined ? [] : first.op === 'in' ? first.value : [first.value];
    const partitions = first === undefined ? ['*'] : values.map(partitionKey);
    if (partitions.some((p) => p === undefined))
      throw new StorageError('rejected', `filter "${first?.field}" takes strings, numbers or booleans`);
    return { index: indexOf(at), partitions: partitions as string[] };
  }

  #walk(scope: Scope, ascending: boolean, after?: { sortKey: string; id: string }): IndexWalk {
    const query: QueryPartition = async (partition, start, limit) => {
      const result = await this.#query(scope.index, partition, start, { ScanIndexForward: ascending, Limit: limit });
      return { entries: (result.Items ?? []) as IndexEntry[], next: result.LastEvaluatedKey };
    };
    return new IndexWalk(scope.index, scope.partitions, { query, ascending, ...(after ? { after } : {}) });
  }

  /** One Query of one partition of an index, from just after `start`. */
  #query(
    index: Scope['index'],
    partition: string,
    start: Key | undefined,
    options: { ScanIndexForward?: boolean; Limit?: number; Select?: 'COUNT' },
  ) {
    const query = new QueryCommand({
      TableName: this.#table,
      IndexName: index.name,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': index.partition },
      ExpressionAttributeValues: { ':p': partition },
      ...options,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    return this.#send(() => this.#db.send(query));
  }

  /** The records behind index entries, in their order, that are live, match, and sit where the index says. */
  async #matching(entries: readonly IndexEntry[], index: Scope['index'], filters: readonly ListFilter[]): Promise<StoredRecord[]> {
    const items = await this.#readMany(entries.map((e) => e.id));
    const out: StoredRecord[] = [];
    for (const entry of entries) {
      const item = items.get(entry.id);
      if (!item || !live(item)) continue;
      if (item[index.partition] !== entry[index.partition] || item[index.sort] !== entry[index.sort]) continue;
      const current = record(item);
      if (matchesFilters(current, filters)) out.push(current);
    }
    return out;
  }

  /** Every match of the filters: the index's own count when it holds exactly them, else a walk. */
  async #count(scope: Scope, filters: readonly ListFilter[]): Promise<number> {
    let total = 0;
    if (filters.length <= 1 && this.#ttlMs === 0) {
      for (const partition of new Set(scope.partitions)) {
        let start: Key | undefined;
        do {
          const result = await this.#query(scope.index, partition, start, { Select: 'COUNT' });
          total += result.Count ?? 0;
          start = result.LastEvaluatedKey;
        } while (start);
      }
      return total;
    }
    const walk = this.#walk(scope, true);
    for (let entries = await walk.next(100); entries.length > 0; entries = await walk.next(100)) {
      total += (await this.#matching(entries, scope.index, filters)).length;
    }
    return total;
  }

  async #read(id: string): Promise<Item | undefined> {
    if (!isKey(id)) return undefined;
    const result = await this.#send(() => this.#db.send(new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true })));
    return result.Item as Item | undefined;
  }

  /**
   * Items by id with consistent reads, 100 per request, retrying what DynamoDB leaves
   * unprocessed (throttling) with a growing pause, until {@link DynamoIo.retryForMs} has
   * passed: then `unavailable`.
   */
  async #readMany(ids: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const giveUpAt = Date.now() + this.#retryForMs;
    for (let from = 0; from < ids.length; from += 100) {
      let keys: Record<string, unknown>[] = ids.slice(from, from + 100).map((id) => ({ id }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        const request = { [this.#table]: { Keys: keys, ConsistentRead: true } };
        const result = await this.#send(() => this.#db.send(new BatchGetCommand({ RequestItems: request })));
        for (const item of (result.Responses?.[this.#table] ?? []) as Item[]) found.set(item.id, item);
        keys = result.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        if (keys.length === 0) break;
        const pause = Math.min(1000, 10 * 2 ** attempt);
        if (attempt + 1 >= MAX_ATTEMPTS || Date.now() + pause > giveUpAt) {
          throw new StorageError(
            'unavailable',
            `dynamodb left ${keys.length} reads unprocessed for ${this.#retryForMs} ms (throttled); retry`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    return found;
  }

  /** Puts a record's item: its JSON, version, write token, expiry and index keys. */
  async #write(next: StoredRecord, version: number, token: string, condition: Record<string, unknown>): Promise<void> {
    const item: Record<string, unknown> = {
      id: next.id,
      doc: JSON.stringify(next),
      v: version,
      w: token,
      ...indexKeys(this.#patterns, this.#kinds, next),
    };
    if (this.#ttlMs > 0) {
      item.exp = Date.now() + this.#ttlMs;
      item.ttl = Math.ceil((item.exp as number) / 1000);
    }
    await this.#send(() => this.#db.send(new PutCommand({ TableName: this.#table, Item: item, ...condition })));
  }
}

/** DynamoDB refuses an empty partition key or one over 2048 bytes: no record has one. */
function isKey(id: string): boolean {
  return id !== '' && Buffer.byteLength(id) <= 2048;
}

function live(item: Item): boolean {
  return item.doc !== undefined && (item.exp === undefined || item.exp > Date.now());
}

function record(item: Item): StoredRecord {
  return JSON.parse(item.doc as string) as StoredRecord;
}

/** The condition that the item is still at the version it was read at. */
export function sameVersion(item: { readonly v?: unknown }): Record<string, unknown> {
  return item.v === undefined
    ? { ConditionExpression: 'attribute_not_exists(#v) AND attribute_exists(id)', ExpressionAttributeNames: { '#v': 'v' } }
    : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'v' }, ExpressionAttributeValues: { ':v': item.v } };
}

function conditionFailed(error: unknown): boolean {
  const cause = error instanceof StorageError ? error.cause : error;
  return (cause as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

function contention(id: string): StorageError {
  return new StorageError('unavailable', `record ${id} kept changing under concurrent writers; retry`);
}
