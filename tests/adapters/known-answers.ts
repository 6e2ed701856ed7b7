import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Capabilities, ListFilter, RecordStore, SortOrder, StoredRecord } from '../../adapters/types.ts';

/**
 * Eight records and, for each sort and filter, the answer worked out by hand (not by
 * adapters/keyset.ts or adapters/filter-match.ts, which the memory store runs: a
 * contract that computed its answers with them could not catch a bug in them).
 *
 * The rules the answers follow: strings order by code point ('' < 'A' < 'Z' < 'a' < 'b'
 * < 'ä'); ascending puts missing values last, descending is the exact reverse; ties go
 * by id. A missing value matches only `ne` and `exists: false`.
 */
const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

const at = '2024-02-01T00:00:00.000Z';
const record = (n: number, values: Record<string, unknown>): StoredRecord => ({
  id: id(n),
  createdAt: at,
  updatedAt: at,
  ...values,
});

export const KNOWN_RECORDS: readonly StoredRecord[] = [
  record(1, { name: 'alpha', age: 30, score: 1.5, active: true }),
  record(2, { name: 'Alpha', age: -4, score: -0.25, active: false }),
  record(3, { name: 'beta', age: 0, active: true }),
  record(4, { name: '', age: 30, score: 1e10 }),
  record(5, { age: 17, score: 0, active: false }),
  record(6, { name: 'ärger', score: 3.125, active: true }),
  record(7, { name: 'Zeta', age: 42, score: 1.5 }),
  record(8, { name: 'ab', age: 9007199254740991, score: -0.25, active: true }),
];

/** Record numbers in ascending order of each field; descending is the reverse. */
const ASCENDING: Record<string, number[]> = {
  name: [4, 2, 7, 8, 1, 3, 6, 5],
  age: [2, 3, 5, 1, 4, 7, 8, 6],
  score: [2, 8, 5, 1, 7, 6, 4, 3],
  active: [2, 5, 1, 3, 6, 8, 4, 7],
  id: [1, 2, 3, 4, 5, 6, 7, 8],
};

/** Each filter (ANDed within a case) and the record numbers it matches. */
const FILTERED: readonly [ListFilter[], number[]][] = [
  [[{ field: 'name', op: 'eq', value: 'alpha' }], [1]],
  [[{ field: 'name', op: 'eq', value: '' }], [4]],
  [[{ field: 'age', op: 'eq', value: 30 }], [1, 4]],
  [[{ field: 'active', op: 'eq', value: false }], [2, 5]],
  [[{ field: 'name', op: 'ne', value: 'alpha' }], [2, 3, 4, 5, 6, 7, 8]],
  [[{ field: 'age', op: 'ne', value: 30 }], [2, 3, 5, 6, 7, 8]],
  [[{ field: 'active', op: 'ne', value: true }], [2, 4, 5, 7]],
  [[{ field: 'age', op: 'gt', value: 0 }], [1, 4, 5, 7, 8]],
  [[{ field: 'age', op: 'gte', value: 30 }], [1, 4, 7, 8]],
  [[{ field: 'age', op: 'lt', value: 17 }], [2, 3]],
  [[{ field: 'age', op: 'lte', value: -4 }], [2]],
  [[{ field: 'score', op: 'gt', value: -0.25 }], [1, 4, 5, 6, 7]],
  [[{ field: 'score', op: 'lte', value: 1.5 }], [1, 2, 5, 7, 8]],
  [[{ field: 'name', op: 'gt', value: 'Zeta' }], [1, 3, 6, 8]],
  [[{ field: 'name', op: 'gte', value: 'b' }], [3, 6]],
  [[{ field: 'name', op: 'lt', value: 'a' }], [2, 4, 7]],
  [[{ field: 'name', op: 'lte', value: 'ab' }], [2, 4, 7, 8]],
  [[{ field: 'name', op: 'in', value: ['alpha', '', 'nobody'] }], [1, 4]],
  [[{ field: 'age', op: 'in', value: [30, -4] }], [1, 2, 4]],
  [[{ field: 'active', op: 'in', value: [false] }], [2, 5]],
  [[{ field: 'name', op: 'contains', value: 'a' }], [1, 2, 3, 7, 8]],
  [[{ field: 'name', op: 'contains', value: 'lph' }], [1, 2]],
  [[{ field: 'name', op: 'contains', value: 'ä' }], [6]],
  [[{ field: 'age', op: 'exists', value: true }], [1, 2, 3, 4, 5, 7, 8]],
  [[{ field: 'name', op: 'exists', value: false }], [5]],
  [[{ field: 'active', op: 'exists', value: false }], [4, 7]],
  [[{ field: 'score', op: 'exists', value: false }], [3]],
  [
    [
      { field: 'age', op: 'gte', value: 0 },
      { field: 'age', op: 'lt', value: 31 },
      { field: 'active', op: 'eq', value: true },
    ],
    [1, 3],
  ],
];

/** The filtered case on `active = true`, per sort: the ascending order of each field restricted to 1, 3, 6, 8. */
const ACTIVE: ListFilter[] = [{ field: 'active', op: 'eq', value: true }];

const ids = (numbers: readonly number[]) => numbers.map(id);

/**
 * Known-answer cases for a store opened by `open` (a fresh collection each time).
 * `sortable` and `usable` leave out what the backend does not offer or index.
 */
export function runKnownAnswers(
  open: () => Promise<RecordStore>,
  capabilities: Capabilities,
  sorts: readonly SortOrder[],
  usable: (filters: readonly ListFilter[]) => boolean,
): void {
  const fill = async () => {
    const store = await open();
    for (const known of KNOWN_RECORDS) await store.create(known);
    return store;
  };
  const listed = async (store: RecordStore, sort: SortOrder, filters: ListFilter[]) =>
    (await store.list({ filters, sort, limit: 100 })).records.map((r) => r.id);
  const answered = sorts.filter((s) => ASCENDING[s.field]);

  it('known answers: every sort, both directions, missing values last ascending and first descending', async () => {
    const store = await fill();
    for (const sort of answered) {
      const ascending = ASCENDING[sort.field] as number[];
      const expected = sort.direction === 'asc' ? ascending : [...ascending].reverse();
      assert.deepEqual(await listed(store, sort, []), ids(expected), `${sort.field} ${sort.direction}`);
    }
  });

  it('known answers: every declared filter operator, missing values matching only ne and exists false', async () => {
    const store = await fill();
    const byId: SortOrder = { field: 'id', direction: 'asc' };
    let checked = 0;
    for (const [filters, expected] of FILTERED) {
      if (!filters.every((f) => capabilities.filterOperators.includes(f.op)) || !usable(filters)) continue;
      assert.deepEqual(await listed(store, byId, filters), ids(expected), JSON.stringify(filters));
      checked++;
    }
    assert.ok(checked > 0, 'at least one case applies');
  });

  it('known answers: a filtered list in every sort', { skip: usable(ACTIVE) ? false : 'active is not filterable here' }, async () => {
    const store = await fill();
    const matching = new Set([1, 3, 6, 8]);
    for (const sort of answered) {
      const ascending = (ASCENDING[sort.field] as number[]).filter((n) => matching.has(n));
      const expected = sort.direction === 'asc' ? ascending : [...ascending].reverse();
      assert.deepEqual(await listed(store, sort, ACTIVE), ids(expected), `active=true by ${sort.field} ${sort.direction}`);
    }
  });
}
