import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { encodeSortValue, type SortKind, sortKinds } from '../sort-encoding.ts';
import { type ScalarValue, StorageError, type StorageSpec, type StoredRecord } from '../types.ts';
import { DYNAMODB_INDEX_LIMIT } from './capabilities.ts';

/**
 * How one automation lives in DynamoDB: a table `council_<collection>` (another prefix
 * than `council` if the connection URL has a path) keyed by `id`,
 * one item per record:
 * - `id`: the record id (partition key, so get, write and delete by id are one request);
 * - `doc`: the whole record as JSON, so every JSON value round-trips exactly (DynamoDB
 *   numbers stop at 38 digits and 1e126; JSON text does not);
 * - `v`: a version, bumped by every write, which conditional writes compare;
 * - `w`: a token of the write, by which a retried write recognises its own first attempt;
 * - `exp` (ms) and `ttl` (s) when the automation has a TTL: reads hide the record once
 *   `exp` passes, and DynamoDB's TTL sweep deletes it by `ttl`;
 * - `gNNp` / `gNNs`: the partition and sort key of list index `gNN` (a KEYS_ONLY global
 *   secondary index), one per list pattern: `*` for a plain sort, the filter value's JSON
 *   for a filter; the sort key orders like adapters/keyset.ts.
 * The table is created with all {@link DYNAMODB_INDEX_LIMIT} indexes, empty ones cost
 * nothing, so a changed spec re-assigns indexes by rewriting items, never by altering
 * the table. The item `#layout` (no `doc`, so never a record) remembers the assignment.
 */

/** A list the indexes can serve: sorted by `sort`, within one value of `filter` if any. */
export interface ListPattern {
  readonly filter?: string;
  readonly sort: string;
}

export const LAYOUT_ID = '#layout';

/** Tables are named `<prefix>_<collection>`; the prefix is the connection URL's path, else `council`. */
export const DEFAULT_TABLE_PREFIX = 'council';

export function tableName(spec: StorageSpec, prefix = DEFAULT_TABLE_PREFIX): string {
  return `${prefix}_${spec.collection}`;
}

/**
 * The table prefix a connection URL names: its path (`http://host:8000/shop` → `shop`),
 * so several deployments can share one account; undefined when the path cannot prefix a
 * DynamoDB table name.
 */
export function tablePrefix(url: URL): string | undefined {
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (path === '') return DEFAULT_TABLE_PREFIX;
  return /^[A-Za-z0-9_.-]{1,100}$/.test(path) ? path : undefined;
}

/** Name of the index serving pattern number `i`, and its key attributes. */
export function indexOf(i: number): { readonly name: string; readonly partition: string; readonly sort: string } {
  const name = `g${String(i + 1).padStart(2, '0')}`;
  return { name, partition: `${name}p`, sort: `${name}s` };
}

/** Every list a spec can ask for: each sort, then each filter with each sort. */
export function listPatterns(spec: StorageSpec): ListPattern[] {
  const sorts = [...sortKinds(spec).keys()];
  return [...sorts.map((sort) => ({ sort })), ...spec.filterable.flatMap((filter) => sorts.map((sort) => ({ filter, sort })))];
}

/** The patterns of a spec, refused when they need more indexes than a table has. */
export function checkedPatterns(spec: StorageSpec): ListPattern[] {
  const patterns = listPatterns(spec);
  if (patterns.length > DYNAMODB_INDEX_LIMIT) {
    const sorts = sortKinds(spec).size;
    throw new StorageError(
      'rejected',
      `"${spec.automation}" needs ${patterns.length} list indexes on dynamodb (${sorts} sorts + ${spec.filterable.length} filters x ${sorts} sorts); a table has ${DYNAMODB_INDEX_LIMIT}`,
    );
  }
  return patterns;
}

/** What the `#layout` item records: a spec whose layout differs has its items re-indexed. */
export function layoutOf(spec: StorageSpec): string {
  const kinds = sortKinds(spec);
  return JSON.stringify(listPatterns(spec).map((p) => [p.filter ?? null, p.sort, kinds.get(p.sort)]));
}

// DynamoDB caps a sort key at 1024 bytes and a partition key at 2048: long values keep a
// prefix (the page still checks the full value; only the order of values sharing the
// first 800 bytes falls back to id order).
const KEY_VALUE_BYTES = 800;

function clip(text: string): string {
  if (Buffer.byteLength(text) <= KEY_VALUE_BYTES) return text;
  let out = Buffer.from(text).subarray(0, KEY_VALUE_BYTES).toString();
  // A cut inside a multi-byte character leaves U+FFFD at the end: drop it.
  while (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}

/**
 * The sort key of a record in an index sorted by a field of `kind`: `1<value>\0<id>`
 * when it has a value, `2<id>` when not, so ascending puts missing values last and ties
 * go by id; sorted by id, the id itself.
 */
export function sortKey(kind: SortKind, value: unknown, id: string): string {
  if (kind === 'id') return id;
  const encoded = encodeSortValue(kind, value);
  return encoded === undefined ? `2${id}` : `1${clip(encoded)}\0${id}`;
}

/** The index partition of a filter value; undefined for values no equality filter matches. */
export function partitionKey(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  return clip(JSON.stringify(value as ScalarValue));
}

/** The index key attributes a record has under the patterns. */
export function indexKeys(
  patterns: readonly ListPattern[],
  kinds: ReadonlyMap<string, SortKind>,
  record: StoredRecord,
): Record<string, string> {
  const keys: Record<string, string> = {};
  patterns.forEach((pattern, i) => {
    const partition = pattern.filter === undefined ? '*' : partitionKey(record[pattern.filter]);
    if (partition === undefined) return;
    const index = indexOf(i);
    keys[index.partition] = partition;
    keys[index.sort] = sortKey(kinds.get(pattern.sort) as SortKind, record[pattern.sort], record.id);
  });
  return keys;
}

/** The table: on-demand billing, `id` as partition key, every list index up front. */
export function tableDefinition(name: string): CreateTableCommandInput {
  const indexes = Array.from({ length: DYNAMODB_INDEX_LIMIT }, (_, i) => indexOf(i));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      ...indexes.flatMap((x) => [
        { AttributeName: x.partition, AttributeType: 'S' as const },
        { AttributeName: x.sort, AttributeType: 'S' as const },
      ]),
    ],
    GlobalSecondaryIndexes: indexes.map((x) => ({
      IndexName: x.name,
      KeySchema: [
        { AttributeName: x.partition, KeyType: 'HASH' as const },
        { AttributeName: x.sort, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    })),
  };
}
