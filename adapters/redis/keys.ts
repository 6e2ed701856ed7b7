import { encodeSortValue, type SortKind } from '../sort-encoding.ts';
import type { ScalarValue, StorageSpec, StoredRecord } from '../types.ts';

/**
 * Key layout of one automation under `<prefix>:<collection>:`:
 * - `r:<id>`: the record, as JSON (get, write and delete are O(1));
 * - `ids`: every id (sorted set, score 0, ordered by id);
 * - `s:<field>`: `<encoded value>\0<id>` for each record that has the field (sorted set,
 *   score 0, so members order by bytes: by value, then id);
 * - `m:<field>`: ids of records without the field;
 * - `f:<field>:<JSON value>`: ids of records with that value (set), for equality filters;
 * - `meta`: which fields are indexed, and how, so a changed spec rebuilds its indexes;
 * - `exp` and `x:<id>` (automations with a TTL): when each record expires and its index
 *   entries, which page reads sweep once it has.
 */
export class RedisKeys {
  readonly base: string;
  readonly record: string;
  readonly ids: string;
  readonly meta: string;
  /** Expiry time of each record that has a TTL (sorted set, score = ms since epoch). */
  readonly expiry: string;

  constructor(prefix: string, collection: string) {
    this.base = `${prefix}:${collection}:`;
    this.record = `${this.base}r:`;
    this.ids = `${this.base}ids`;
    this.meta = `${this.base}meta`;
    this.expiry = `${this.base}exp`;
  }

  /** The index entries a record with a TTL has, kept so they can be removed once it expires. */
  entries(id: string): string {
    return `${this.base}x:${id}`;
  }

  sorted(field: string): string {
    return `${this.base}s:${field}`;
  }

  missing(field: string): string {
    return `${this.base}m:${field}`;
  }

  filter(field: string, value: ScalarValue): string {
    return `${this.base}f:${field}:${JSON.stringify(value)}`;
  }
}

export type IndexOp = readonly ['zadd' | 'zrem' | 'sadd' | 'srem', string, string];

/** The index entries a record has under a spec, as `add` operations (flip them to remove). */
export function indexEntries(keys: RedisKeys, spec: StorageSpec, kinds: ReadonlyMap<string, SortKind>, record: StoredRecord): IndexOp[] {
  const ops: IndexOp[] = [['zadd', keys.ids, record.id]];
  for (const [field, kind] of kinds) {
    if (kind === 'id') continue;
    const encoded = encodeSortValue(kind, record[field]);
    ops.push(encoded === undefined ? ['zadd', keys.missing(field), record.id] : ['zadd', keys.sorted(field), `${encoded}\0${record.id}`]);
  }
  for (const field of spec.filterable) {
    const value = record[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      ops.push(['sadd', keys.filter(field, value), record.id]);
    }
  }
  return ops;
}

export function removing(ops: readonly IndexOp[]): IndexOp[] {
  return ops.map(([op, key, member]) => [op === 'zadd' ? 'zrem' : 'srem', key, member]);
}
