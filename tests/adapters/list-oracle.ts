import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { matchesFilters } from '../../adapters/filter-match.ts';
import { compareRecords, isAfter, sortValue } from '../../adapters/keyset.ts';
import type { ListAfter, ListFilter, ListQuery, RecordStore, SortOrder, StorageSpec, StoredRecord } from '../../adapters/types.ts';

/**
 * A randomized oracle for indexed lists: the store under test and a plain filter + sort
 * over the same records (adapters/filter-match.ts, adapters/keyset.ts) must serve the same
 * pages, for random filters, sorts, directions, page sizes and cursors, with inserts,
 * updates and deletes between rounds and between the pages of one walk. Seeded, so a
 * failure names the seed that reproduces it.
 */
export interface OracleOptions {
  /** Filter operators the store offers. */
  readonly operators: readonly ListFilter['op'][];
  readonly seed: number;
  readonly records: number;
  readonly rounds: number;
  /** Walks (a query paged to its end) per round. */
  readonly walks: number;
  /** Seconds a record lives after its last write: the oracle drops it then too. */
  readonly ttlSeconds?: number;
  /**
   * Called after each round's writes with a fraction of the TTL, to move the clock the
   * store and the oracle both read (a mocked `Date`), so records written in different
   * rounds expire between pages.
   */
  readonly advance?: (ms: number) => void;
}

const NAMES = ['alpha', 'Alpha', 'beta', 'b', 'ärger', 'zeta', '中文', '', 'a b', 'ab', 'Ωmega', 'x'];
const TAGS = ['red', 'green', 'blue', 'rare'];

export function oracleSpec(ttlSeconds?: number): StorageSpec {
  const collection = `o_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  return {
    automation: collection.replaceAll('_', '-'),
    collection,
    fields: [
      { name: 'name', kind: 'string' },
      { name: 'age', kind: 'integer' },
      { name: 'score', kind: 'number' },
      { name: 'active', kind: 'boolean' },
      { name: 'tag', kind: 'string' },
    ],
    filterable: ['name', 'age', 'active', 'tag'],
    sortable: ['name', 'age', 'score', 'createdAt', 'updatedAt', 'id'],
    ...(ttlSeconds ? { ttlSeconds } : {}),
  };
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runListOracle(store: RecordStore, options: OracleOptions): Promise<{ pages: number; checks: number }> {
  const rand = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const maybe = <T>(value: T, missing = 0.15): T | undefined => (rand() < missing ? undefined : value);
  const ttlMs = (options.ttlSeconds ?? 0) * 1000;
  /** What the store must hold, with when each record was last written. */
  const shadow = new Map<string, { record: StoredRecord; at: number }>();
  let clock = Date.parse('2025-01-01T00:00:00.000Z');

  const properties = (): Record<string, unknown> => {
    const values: Record<string, unknown> = {
      name: maybe(pick(NAMES)),
      age: maybe(Math.floor(rand() * 40) - 10),
      score: maybe(pick([-2.5, 0, 0.125, 1, 1e9, 3.25])),
      active: maybe(rand() < 0.5),
      // One record in 50 has the rare tag: an equality set much smaller than the sort range.
      tag: maybe(rand() < 0.02 ? 'rare' : pick(TAGS.slice(0, 3)), 0.1),
    };
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  };
  const stamp = () => {
    // Ties on purpose: several records share a timestamp, so the id breaks them.
    if (rand() < 0.7) clock += 1000;
    return new Date(clock).toISOString();
  };
  const create = async () => {
    const at = stamp();
    const record: StoredRecord = { id: randomUUID(), createdAt: at, updatedAt: at, ...properties() };
    await store.create(record);
    shadow.set(record.id, { record, at: Date.now() });
  };
  const live = () => {
    const now = Date.now();
    return [...shadow.values()].filter((s) => !ttlMs || s.at + ttlMs > now).map((s) => s.record);
  };
  const mutate = async () => {
    const roll = rand();
    const ids = [...shadow.keys()];
    if (roll < 0.4 || ids.length === 0) return create();
    const id = pick(ids);
    if (roll < 0.8) {
      const changed = await store.modify(id, (current) => {
        const next: StoredRecord = { id: current.id, createdAt: current.createdAt, updatedAt: stamp(), ...properties() };
        // Sometimes only one field changes, so an index entry may stay where it is.
        return rand() < 0.5 ? { ...current, updatedAt: next.updatedAt, age: next.age ?? 1 } : next;
      });
      if (changed) shadow.set(id, { record: changed, at: Date.now() });
      else shadow.delete(id);
      return;
    }
    await store.delete(id);
    shadow.delete(id);
  };
  const filter = (): ListFilter => {
    const op = pick(options.operators);
    const field = pick(['name', 'age', 'active', 'tag']);
    const sample = (f: string): string | number | boolean =>
      f === 'name' ? pick(NAMES) : f === 'age' ? Math.floor(rand() * 40) - 10 : f === 'active' ? rand() < 0.5 : pick(TAGS);
    if (op === 'in') return { field, op, value: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => sample(field)) };
    if (op === 'exists') return { field, op, value: rand() < 0.5 };
    if (op === 'contains') return { field: 'name', op, value: pick(['a', 'eta', 'ä', 'zz']) };
    return { field, op, value: sample(field) } as ListFilter;
  };

  for (let i = 0; i < options.records; i++) await create();
  let pages = 0;
  let checks = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (let walk = 0; walk < options.walks; walk++) {
      const filters = Array.from({ length: Math.floor(rand() * 3) }, filter);
      const sort: SortOrder = { field: pick(oracleSpec().sortable), direction: rand() < 0.5 ? 'asc' : 'desc' };
      const limit = 2 + Math.floor(rand() * 13);
      const count = rand() < 0.3;
      let after: ListAfter | undefined;
      for (let page = 0; page < 10_000; page++) {
        const query: ListQuery = { filters, sort, limit, ...(after && { after }), ...(count && { count: true }) };
        const result = await store.list(query);
        const matching = live().filter((r) => matchesFilters(r, filters));
        const expected = matching
          .filter((r) => !after || isAfter(r, sort, after))
          .sort(compareRecords(sort))
          .map((r) => r.id);
        const why = `seed ${options.seed}, round ${round}, page ${page}: ${JSON.stringify(query)}`;
        assert.deepEqual(
          result.records.map((r) => r.id),
          expected.slice(0, limit),
          why,
        );
        assert.equal(result.hasMore, expected.length > limit, `hasMore, ${why}`);
        for (const record of result.records) assert.deepEqual(record, shadow.get(record.id)?.record, `record body, ${why}`);
        if (count) assert.equal(result.total, matching.length, `total, ${why}`);
        pages++;
        checks++;
        if (!result.hasMore) break;
        const last = result.records.at(-1) as StoredRecord;
        after = { value: sortValue(last, sort.field), id: last.id };
        // Writes between two pages of one walk: the next page must still follow the cursor.
        if (rand() < 0.3) await mutate();
      }
    }
    const writes = Math.floor(rand() * options.records * 0.2) + 1;
    for (let i = 0; i < writes; i++) await mutate();
    if (ttlMs) options.advance?.(Math.floor(rand() * ttlMs * 0.6));
  }
  return { pages, checks };
}
