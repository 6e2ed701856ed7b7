import { randomUUID } from 'node:crypto';
import { BatchGetCommand, DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { matchesFilters } from '../filter-match.ts';
import type { SortKind } from '../sort-encoding.ts';
import type { ListFilter, ListPage, ListQuery, RecordStore, SearchQuery, StorageSpec, StoredRecord } from '../types.ts';
import { StorageError } from '../types.ts';
import { indexKeys, indexOf, type ListPattern, partitionKey, sortKey } from './layout.ts';

/** Runs one request, turning driver errors into StorageErrors (connection.ts). */
export type Send = <T>(request: () => Promise<T>) => Promise<T>;

/** How often a write is retried when another writer changed the record in between. */
const MAX_ATTEMPTS = 100;

/** The index partition a list reads: its pattern's index and the partition value. */
interface Scope {
  readonly index: ReturnType<typeof indexOf>;
  readonly partition: string;
}

/** A position in a table or index, as DynamoDB's LastEvaluatedKey / ExclusiveStartKey. */
type Key = Record<string, unknown>;

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

  constructor(
    io: { db: DynamoDBDocumentClient; send: Send },
    table: string,
    spec: StorageSpec,
    patterns: readonly ListPattern[],
    kinds: ReadonlyMap<string, SortKind>,
  ) {
    this.#db = io.db;
    this.#send = io.send;
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
    const want = query.limit + 1;
    const out: StoredRecord[] = [];
    let start: Key | undefined;
    if (query.after) {
      start = {
        id: query.after.id,
        [scope.index.partition]: scope.partition,
        [scope.index.sort]: sortKey(this.#kinds.get(query.sort.field) as SortKind, query.after.value, query.after.id),
      };
    }
    // With one filter (or none) the index holds exactly the matches; more filters are
    // checked on the items, so read ahead.
    const batch = query.filters.length > 1 ? 100 : undefined;
    do {
      const page = await this.#keys(scope, query.sort.direction, Math.min(100, batch ?? want - out.length), start);
      out.push(...(await this.#matching(page.keys, scope, query.filters)));
      start = page.next;
    } while (start && out.length < want);
    const records = out.slice(0, query.limit);
    const total = query.count ? await this.#count(scope, query.filters) : undefined;
    return { records, hasMore: out.length > query.limit, ...(total === undefined ? {} : { total }) };
  }

  search(_query: SearchQuery): Promise<ListPage> {
    return Promise.reject(new StorageError('rejected', 'dynamodb cannot search text'));
  }

  /** The index and partition serving a list: the sort's own, or that of its first filter with the sort. */
  #scope(query: ListQuery): Scope {
    const unsupported = query.filters.find((f) => f.op !== 'eq');
    if (unsupported) throw new StorageError('rejected', `dynamodb filters by equality only, not "${unsupported.op}"`);
    const first = query.filters[0];
    const at = this.#patterns.findIndex((p) => p.filter === first?.field && p.sort === query.sort.field);
    if (at < 0) {
      const what = first ? `filter "${first.field}" sorted by "${query.sort.field}"` : `sort by "${query.sort.field}"`;
      throw new StorageError('rejected', `"${this.#spec.collection}" has no index to ${what}`);
    }
    const partition = first ? partitionKey(first.value) : '*';
    if (partition === undefined) throw new StorageError('rejected', `filter "${first?.field}" needs a string, number or boolean`);
    return { index: indexOf(at), partition };
  }

  /** One page of index keys, in index order. */
  async #keys(
    scope: Scope,
    direction: 'asc' | 'desc',
    limit: number,
    start: Key | undefined,
  ): Promise<{ keys: Item[]; next: Key | undefined }> {
    const result = await this.#query(scope, start, { ScanIndexForward: direction === 'asc', Limit: limit });
    return { keys: (result.Items ?? []) as Item[], next: result.LastEvaluatedKey };
  }

  /** One Query of the scope's index partition, from just after `start`. */
  #query(scope: Scope, start: Key | undefined, options: { ScanIndexForward?: boolean; Limit?: number; Select?: 'COUNT' }) {
    const query = new QueryCommand({
      TableName: this.#table,
      IndexName: scope.index.name,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': scope.index.partition },
      ExpressionAttributeValues: { ':p': scope.partition },
      ...options,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    return this.#send(() => this.#db.send(query));
  }

  /** The records behind index keys, in their order, that are live, match, and sit where the index says. */
  async #matching(keys: readonly Item[], scope: Scope, filters: readonly ListFilter[]): Promise<StoredRecord[]> {
    const items = await this.#readMany(keys.map((k) => k.id));
    const out: StoredRecord[] = [];
    for (const key of keys) {
      const item = items.get(key.id);
      if (!item || !live(item)) continue;
      if (item[scope.index.partition] !== scope.partition || item[scope.index.sort] !== key[scope.index.sort]) continue;
      const current = record(item);
      if (matchesFilters(current, filters)) out.push(current);
    }
    return out;
  }

  /** Every match of the filters: the index's own count when it holds exactly them, else a walk. */
  async #count(scope: Scope, filters: readonly ListFilter[]): Promise<number> {
    let total = 0;
    let start: Key | undefined;
    const exact = filters.length <= 1 && this.#ttlMs === 0;
    do {
      if (exact) {
        const result = await this.#query(scope, start, { Select: 'COUNT' });
        total += result.Count ?? 0;
        start = result.LastEvaluatedKey;
      } else {
        const page = await this.#keys(scope, 'asc', 100, start);
        total += (await this.#matching(page.keys, scope, filters)).length;
        start = page.next;
      }
    } while (start);
    return total;
  }

  async #read(id: string): Promise<Item | undefined> {
    // DynamoDB refuses an empty partition key or one over 2048 bytes: no record has one.
    if (id === '' || Buffer.byteLength(id) > 2048) return undefined;
    const result = await this.#send(() => this.#db.send(new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true })));
    return result.Item as Item | undefined;
  }

  /** Items by id with consistent reads, 100 per request, retrying what DynamoDB leaves unprocessed. */
  async #readMany(ids: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    for (let from = 0; from < ids.length; from += 100) {
      let keys: Record<string, unknown>[] = ids.slice(from, from + 100).map((id) => ({ id }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new StorageError('unavailable', 'dynamodb kept leaving reads unprocessed');
        const request = { [this.#table]: { Keys: keys, ConsistentRead: true } };
        const result = await this.#send(() => this.#db.send(new BatchGetCommand({ RequestItems: request })));
        for (const item of (result.Responses?.[this.#table] ?? []) as Item[]) found.set(item.id, item);
        keys = result.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        if (keys.length) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * 2 ** attempt)));
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

function live(item: Item): boolean {
  return item.doc !== undefined && (item.exp === undefined || item.exp > Date.now());
}

function record(item: Item): StoredRecord {
  return JSON.parse(item.doc as string) as StoredRecord;
}

/** The condition that the item is still at the version it was read at. */
function sameVersion(item: Item): Record<string, unknown> {
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
