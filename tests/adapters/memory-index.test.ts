import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sortValue } from '../../adapters/keyset.ts';
import type { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import { memoryCapabilities } from '../../adapters/memory/capabilities.ts';
import { memoryBackend } from '../../adapters/memory/index.ts';
import type { ListFilter, ListQuery, RecordStore, StoredRecord } from '../../adapters/types.ts';
import { oracleSpec, runListOracle } from './list-oracle.ts';

const operators = memoryCapabilities.filterOperators as readonly ListFilter['op'][];

async function open(ttlSeconds?: number): Promise<MemoryRecordStore> {
  const connection = await memoryBackend.connect({ name: 'index', backend: 'memory' }, { dataDir: '' });
  return (await connection.open(oracleSpec(ttlSeconds))) as MemoryRecordStore;
}

describe('memory: indexed lists against the oracle', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: every operator, sort, direction and cursor, with writes between pages`, async () => {
      const store = await open();
      const { pages } = await runListOracle(store, { operators, seed, records: 200, rounds: 5, walks: 20 });
      assert.ok(pages > 100, `${pages} pages compared`);
    });
  }

  it('with a TTL: records expire from pages, counts and cursors as the clock moves', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2025-06-01T00:00:00.000Z') });
    const store = await open(2);
    const { pages } = await runListOracle(store, {
      operators,
      seed: 7,
      records: 200,
      rounds: 12,
      walks: 15,
      ttlSeconds: 2,
      advance: (ms) => t.mock.timers.tick(ms),
    });
    assert.ok(pages > 100, `${pages} pages compared`);
  });
});

describe('memory: a page examines O(page) entries', () => {
  const SIZE = 20_000;
  const build = async () => {
    const store = await open();
    for (let i = 0; i < SIZE; i++) {
      const at = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
      const tag = i % 1000 === 3 ? 'rare' : ['red', 'green', 'blue'][i % 3];
      await store.create({ id: randomUUID(), createdAt: at, updatedAt: at, tag, age: i % 50, name: `n${i % 7}` });
    }
    return store;
  };
  const examined = async (store: MemoryRecordStore, query: ListQuery) => {
    await store.list(query); // the first list of a sort or filter may build its index
    const before = store.examined;
    const page = await store.list(query);
    return { page, examined: store.examined - before };
  };

  it('unfiltered, by eq (a rare value and a common one), by in, both directions, from a deep cursor', async () => {
    const store = await build();
    const queries: ListQuery[] = [];
    for (const direction of ['asc', 'desc'] as const) {
      for (const field of ['createdAt', 'age', 'id']) {
        queries.push({ filters: [], sort: { field, direction }, limit: 20 });
        queries.push({ filters: [{ field: 'tag', op: 'eq', value: 'rare' }], sort: { field, direction }, limit: 20 });
        queries.push({ filters: [{ field: 'tag', op: 'eq', value: 'red' }], sort: { field, direction }, limit: 20 });
        queries.push({ filters: [{ field: 'tag', op: 'in', value: ['rare', 'blue'] }], sort: { field, direction }, limit: 20 });
      }
    }
    for (const query of queries) {
      const first = await examined(store, query);
      assert.ok(first.examined <= 21 * 2, `${first.examined} entries for ${JSON.stringify(query)}`);
      // Deep in the walk: the cursor of a record half-way through costs O(log n), not its offset.
      const middle = (await store.list({ ...query, limit: 10_000 })).records.at(-1) as StoredRecord;
      const deep = await examined(store, { ...query, after: { value: sortValue(middle, query.sort.field), id: middle.id } });
      assert.ok(deep.examined <= 21 * 2, `${deep.examined} entries after a deep cursor for ${JSON.stringify(query)}`);
    }
  });

  it('an exact count costs nothing more; other operators filter the sorted walk', async () => {
    const store = await build();
    const counted = await examined(store, {
      filters: [{ field: 'tag', op: 'eq', value: 'rare' }],
      sort: { field: 'createdAt', direction: 'desc' },
      limit: 5,
      count: true,
    });
    assert.equal(counted.page.total, SIZE / 1000);
    assert.ok(counted.examined <= 6, `${counted.examined} entries`);
    // `gt` has no index: the walk filters, so a page of common matches still costs O(page).
    const ranged = await examined(store, {
      filters: [{ field: 'age', op: 'gt', value: 10 }],
      sort: { field: 'createdAt', direction: 'asc' },
      limit: 20,
    });
    assert.equal(ranged.page.records.length, 20);
    assert.ok(ranged.examined < 40, `${ranged.examined} entries`);
  });

  it('writes keep every index in step: updates move entries, deletes remove them', async () => {
    const store: RecordStore = await open();
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const at = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
      ids.push((await store.create({ id: randomUUID(), createdAt: at, updatedAt: at, tag: 'red', age: i })).id);
    }
    const byAge: ListQuery = { filters: [{ field: 'tag', op: 'eq', value: 'red' }], sort: { field: 'age', direction: 'desc' }, limit: 3 };
    assert.deepEqual(
      (await store.list(byAge)).records.map((r) => r.age),
      [1999, 1998, 1997],
    );
    await store.modify(ids[5] as string, (r) => ({ ...r, age: 5000 }));
    await store.modify(ids[1999] as string, (r) => ({ ...r, tag: 'blue' }));
    await store.delete(ids[1998] as string);
    assert.deepEqual(
      (await store.list(byAge)).records.map((r) => r.age),
      [5000, 1997, 1996],
    );
    const blue = await store.list({ ...byAge, filters: [{ field: 'tag', op: 'eq', value: 'blue' }], count: true });
    assert.deepEqual([blue.records.map((r) => r.id), blue.total], [[ids[1999]], 1]);
  });
});
