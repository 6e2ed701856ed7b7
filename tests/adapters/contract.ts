import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { matchesFilters } from '../../adapters/filter-match.ts';
import { compareRecords, sortValue } from '../../adapters/keyset.ts';
import { ALWAYS_INDEXED_BYTES } from '../../adapters/postgres/index-limit.ts';
import {
  type Capabilities,
  type FieldSpec,
  type ListAfter,
  type ListFilter,
  type ListQuery,
  type RecordStore,
  type SortOrder,
  type StorageConnection,
  StorageError,
  type StorageSpec,
  type StoredRecord,
} from '../../adapters/types.ts';
import { incompressible } from '../support/incompressible.ts';
import { runBatchContract } from './batch-contract.ts';
import { runKnownAnswers } from './known-answers.ts';
import { runQueryContract } from './query-contract.ts';

export interface ContractOptions {
  /** Skips the whole suite with this reason, e.g. the store is not reachable. */
  readonly skip?: string | false;
  /**
   * What the backend declares it can do: the suite tests exactly that (every declared
   * filter operator, search, ttl, unique), so a declaration cannot outrun the code.
   */
  readonly capabilities: Capabilities;
  /**
   * Fields the backend leaves out of the contract spec's filters and sorts, and why: a
   * backend whose list indexes are counted (`capabilities.listIndexes`) cannot index every
   * filter with every sort the full spec declares. Cases using them are skipped.
   */
  readonly unindexed?: { readonly filterable: readonly string[]; readonly sortable: readonly string[]; readonly why: string };
  readonly lacks?: {
    /** The store keeps no per-property types, so a changed property type cannot conflict. */
    readonly columnTypes?: string;
    /**
     * The store cannot convert or drop a property's stored values in place (the schema
     * evolution tests: storage.migrations retype and drop, planned index statements).
     */
    readonly migrations?: string;
    /**
     * The store keeps, but does not index, strings longer than some size instead of
     * refusing them: the long-string case leaves out its 100 KB value.
     */
    readonly longIndexedStrings?: string;
  };
}

type Filters = ListQuery['filters'];

const fields: readonly FieldSpec[] = [
  { name: 'name', kind: 'string' },
  { name: 'age', kind: 'integer' },
  { name: 'score', kind: 'number' },
  { name: 'active', kind: 'boolean' },
  { name: 'tags', kind: 'json' },
  { name: 'profile', kind: 'json' },
];
const sortFields = ['name', 'age', 'score', 'active', 'createdAt', 'updatedAt', 'id'];
const allSorts: SortOrder[] = sortFields.flatMap((field) => [
  { field, direction: 'asc' as const },
  { field, direction: 'desc' as const },
]);

/** A spec over a collection name no other test uses. */
export { createAll, expectedOrder, newRecord, pageThrough, variedRecords };

export function contractSpec(
  extra: readonly FieldSpec[] = [],
  collection = `c_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
): StorageSpec {
  return {
    automation: collection.replaceAll('_', '-'),
    collection,
    fields: [...fields, ...extra],
    filterable: ['name', 'age', 'score', 'active'],
    sortable: sortFields,
  };
}

let clock = Date.parse('2024-03-01T12:00:00.000Z');

function newRecord(properties: Record<string, unknown> = {}, at?: string): StoredRecord {
  clock += 1000;
  const stamp = at ?? new Date(clock).toISOString();
  return { id: randomUUID(), createdAt: stamp, updatedAt: stamp, ...properties };
}

/**
 * Records with ties, missing values, negative numbers, case and non-ASCII strings
 * (all below U+D800, where UTF-16 and UTF-8 orders agree).
 */
function variedRecords(count: number): StoredRecord[] {
  const names = ['alpha', 'Alpha', 'beta', 'b', 'ärger', 'zeta', 'Zeta', '中文', '', 'a b', 'ab', 'Ωmega', undefined];
  const ages = [30, -4, 0, 30, 17, 9007199254740991, undefined, 42, 30];
  const scores = [1.5, -0.25, 0, 1e10, 3.125, undefined, 1.5];
  const actives = [true, false, undefined];
  const base = Date.parse('2024-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(base + (i % 15) * 60_000).toISOString();
    const updatedAt = new Date(base + (i % 7) * 3_600_000 + 123).toISOString();
    const values = {
      name: names[i % names.length],
      age: ages[i % ages.length],
      score: scores[i % scores.length],
      active: actives[i % actives.length],
    };
    const present = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
    return { ...newRecord(present, createdAt), updatedAt };
  });
}

function expectedOrder(records: readonly StoredRecord[], sort: SortOrder, filters: Filters = []): string[] {
  return records
    .filter((r) => matchesFilters(r, filters))
    .sort(compareRecords(sort))
    .map((r) => r.id);
}

/** Lists every page; `between` runs after each page but the last. Checks `hasMore` on each. */
async function pageThrough(
  store: RecordStore,
  sort: SortOrder,
  limit: number,
  filters: Filters = [],
  between?: () => Promise<void>,
): Promise<StoredRecord[]> {
  const seen: StoredRecord[] = [];
  let after: ListAfter | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await store.list({ filters, sort, limit, ...(after && { after }) });
    seen.push(...result.records);
    if (!result.hasMore) return seen;
    assert.equal(result.records.length, limit, 'a page with more after it is full');
    const last = result.records.at(-1) as StoredRecord;
    after = { value: sortValue(last, sort.field), id: last.id };
    await between?.();
  }
  throw new Error('paging did not end');
}

async function createAll(store: RecordStore, records: readonly StoredRecord[]): Promise<void> {
  for (const record of records) await store.create(record);
}

/** Bytes of UTF-8 a string in an indexed field always fits in, on every backend (PostgreSQL's btree entry is the tightest). */
const ALWAYS_FITS = ALWAYS_INDEXED_BYTES;

const isoTimestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * The behaviour every {@link RecordStore} must have. Each test opens its own collection;
 * orders are checked against `compareRecords` from adapters/keyset.ts.
 */
export function runRecordStoreContract(name: string, makeConnection: () => Promise<StorageConnection>, options: ContractOptions): void {
  const lacking = (capability: 'ttl' | 'unique') => (options.capabilities[capability] ? false : `${name} has no ${capability} capability`);
  describe(`${name}: record store contract`, { skip: options.skip ?? false }, () => {
    let connection: StorageConnection;
    before(async () => {
      connection = await makeConnection();
    });
    after(async () => {
      await connection?.close();
    });
    const unindexed: { filterable: readonly string[]; sortable: readonly string[] } = options.unindexed ?? { filterable: [], sortable: [] };
    const narrowed = (spec: StorageSpec): StorageSpec => ({
      ...spec,
      filterable: spec.filterable.filter((f) => !unindexed.filterable.includes(f)),
      sortable: spec.sortable.filter((f) => !unindexed.sortable.includes(f)),
    });
    const open = (spec: StorageSpec = contractSpec()) => connection.open(narrowed(spec));
    const sorts = allSorts.filter((s) => !unindexed.sortable.includes(s.field));
    if (options.unindexed)
      console.log(
        `# ${name}: the contract spec filters on no ${unindexed.filterable.join(', ')} and sorts by no ${unindexed.sortable.join(', ')}: ${options.unindexed.why}`,
      );

    it('create and get round-trip every kind of value', async () => {
      const store = await open();
      const records = [
        newRecord({
          name: 'naïve café 中文 Ωmega 😀 "quoted" \'single\' back\\slash\nnew line\ttab',
          age: 9007199254740991,
          score: -1234.5678e-3,
          active: false,
          tags: ['a', 1, true, null, { nested: [1, 2, { deep: 'x' }] }],
          profile: { bio: 'é😀', nested: { list: [], empty: {}, n: 0.1, negative: -7 }, 'key "with" quotes': 'v' },
        }),
        newRecord({ name: '', age: 0, score: 0, active: true, tags: 'just a string', profile: 42 }),
        newRecord({ age: -5, score: 1e-7, tags: [], profile: { a: { b: { c: { d: [[1], [2, [3]]] } } } } }),
        newRecord(),
      ];
      for (const record of records) {
        assert.deepEqual(await store.create(record), record);
        const stored = await store.get(record.id);
        assert.deepEqual(stored, record);
        assert.match(stored?.createdAt ?? '', isoTimestamp);
        assert.match(stored?.updatedAt ?? '', isoTimestamp);
      }
    });

    it('keeps properties the spec does not declare (schemas that allow additional properties)', async () => {
      const store = await open();
      const record = newRecord({ name: 'open schema', nickname: 'Al', meta: { source: 'import', n: [1, 2] } });
      assert.deepEqual(await store.create(record), record);
      assert.deepEqual(await store.get(record.id), record);
      const next = { ...record, nickname: undefined, other: true };
      delete next.nickname;
      assert.deepEqual(await store.modify(record.id, () => next), next);
      assert.deepEqual(await store.get(record.id), next);
    });

    it('get of an unknown or malformed id is undefined', async () => {
      const store = await open();
      await store.create(newRecord({ name: 'present' }));
      assert.equal(await store.get(randomUUID()), undefined);
      assert.equal(await store.get('not-a-uuid'), undefined);
    });

    it('delete reports whether a record was deleted', async () => {
      const store = await open();
      const record = await store.create(newRecord({ name: 'doomed' }));
      assert.equal(await store.delete(record.id), true);
      assert.equal(await store.get(record.id), undefined);
      assert.equal(await store.delete(record.id), false);
      assert.equal(await store.delete('not-a-uuid'), false);
    });

    it('modify writes and returns the changed record, dropping removed properties', async () => {
      const store = await open();
      const record = await store.create(newRecord({ name: 'before', age: 1, tags: ['x'] }));
      const next = {
        id: record.id,
        createdAt: record.createdAt,
        updatedAt: '2030-01-01T00:00:00.000Z',
        name: 'after',
        profile: { k: [1] },
      };
      const returned = await store.modify(record.id, (current) => {
        assert.deepEqual(current, record);
        return next;
      });
      assert.deepEqual(returned, next);
      assert.deepEqual(await store.get(record.id), next);
    });

    it('modify of an unknown id resolves undefined without calling change', async () => {
      const store = await open();
      const change = () => assert.fail('change must not be called');
      assert.equal(await store.modify(randomUUID(), change), undefined);
      assert.equal(await store.modify('not-a-uuid', change), undefined);
    });

    it('modify whose change throws writes nothing and rethrows the same error', async () => {
      const store = await open();
      const record = await store.create(newRecord({ name: 'kept', age: 7 }));
      const boom = new Error('boom');
      await assert.rejects(
        store.modify(record.id, (current) => {
          current.name = 'changed';
          throw boom;
        }),
        (error) => error === boom,
      );
      assert.deepEqual(await store.get(record.id), record);
      // The store still works after the rollback.
      assert.equal((await store.modify(record.id, (c) => ({ ...c, age: 8 })))?.age, 8);
    });

    it('20 concurrent modify increments lose no update', async () => {
      const store = await open();
      const record = await store.create(newRecord({ age: 0 }));
      const increment = (current: StoredRecord) => ({ ...current, age: (current.age as number) + 1 });
      await Promise.all(Array.from({ length: 20 }, () => store.modify(record.id, increment)));
      assert.equal((await store.get(record.id))?.age, 20);
    });

    it('list filters by equality on strings, integers and booleans', async () => {
      const store = await open();
      const records = variedRecords(40);
      await createAll(store, records);
      const cases: Filters[] = [
        [{ field: 'name', op: 'eq', value: 'alpha' }],
        [{ field: 'name', op: 'eq', value: '中文' }],
        [{ field: 'name', op: 'eq', value: '' }],
        [{ field: 'age', op: 'eq', value: 30 }],
        [{ field: 'age', op: 'eq', value: 0 }],
        [{ field: 'active', op: 'eq', value: false }],
        [
          { field: 'active', op: 'eq', value: true },
          { field: 'age', op: 'eq', value: 30 },
        ],
        [{ field: 'name', op: 'eq', value: 'nobody' }],
      ];
      const sort: SortOrder = { field: 'id', direction: 'asc' };
      for (const filters of cases) {
        const page = await store.list({ filters, sort, limit: 100 });
        assert.deepEqual(
          page.records.map((r) => r.id),
          expectedOrder(records, sort, filters),
          JSON.stringify(filters),
        );
        assert.equal(page.hasMore, false);
      }
    });

    it('list sorts like compareRecords, missing values last ascending and first descending', async () => {
      const store = await open();
      const records = variedRecords(45);
      await createAll(store, records);
      for (const sort of sorts) {
        const page = await store.list({ filters: [], sort, limit: 100 });
        assert.deepEqual(
          page.records.map((r) => r.id),
          expectedOrder(records, sort),
          `${sort.field} ${sort.direction}`,
        );
        assert.deepEqual(page.records, [...records].sort(compareRecords(sort)));
      }
    });

    it('keyset paging visits every record exactly once, in order, for every sort', async () => {
      const store = await open();
      const records = variedRecords(45);
      await createAll(store, records);
      for (const sort of sorts) {
        const seen = await pageThrough(store, sort, 10);
        assert.deepEqual(
          seen.map((r) => r.id),
          expectedOrder(records, sort),
          `${sort.field} ${sort.direction}`,
        );
      }
      const filters: Filters = [{ field: 'active', op: 'eq', value: true }];
      for (const sort of sorts) {
        const seen = await pageThrough(store, sort, 4, filters);
        assert.deepEqual(
          seen.map((r) => r.id),
          expectedOrder(records, sort, filters),
          `filtered ${sort.field} ${sort.direction}`,
        );
      }
    });

    it('hasMore is false exactly on the last page', async () => {
      const store = await open();
      const records = variedRecords(10);
      await createAll(store, records);
      const sort: SortOrder = { field: 'name', direction: 'asc' };
      assert.equal((await store.list({ filters: [], sort, limit: 10 })).hasMore, false);
      assert.equal((await store.list({ filters: [], sort, limit: 9 })).hasMore, true);
      const seen = await pageThrough(store, sort, 5);
      assert.equal(seen.length, 10);
      const empty = await store.list({ filters: [{ field: 'name', op: 'eq', value: 'nobody' }], sort, limit: 5 });
      assert.deepEqual(empty, { records: [], hasMore: false });
    });

    it('paging stays correct while records are inserted between pages', async () => {
      for (const sort of sorts) {
        const store = await open();
        const existing = variedRecords(30);
        await createAll(store, existing);
        const inserted = variedRecords(26);
        const seen = await pageThrough(store, sort, 7, [], async () => createAll(store, inserted.splice(0, 5)));
        const ids = seen.map((r) => r.id);
        const label = `${sort.field} ${sort.direction}`;
        assert.equal(new Set(ids).size, ids.length, `no duplicates (${label})`);
        for (const record of existing) assert.ok(ids.includes(record.id), `pre-existing record visited (${label})`);
        const compare = compareRecords(sort);
        for (let i = 1; i < seen.length; i++)
          assert.ok(compare(seen[i - 1] as StoredRecord, seen[i] as StoredRecord) < 0, `in order (${label})`);
      }
    });

    it('reopening a spec keeps its records, also with a property added', async () => {
      const spec = contractSpec();
      const first = await open(spec);
      const record = await first.create(newRecord({ name: 'survivor', tags: { a: 1 } }));
      assert.deepEqual(await (await open(spec)).get(record.id), record);
      // `sortable` names what list may sort by: a store may need an index for it (redis does).
      const grownSpec = contractSpec([{ name: 'nickname', kind: 'string' }], spec.collection);
      const grown = await open({ ...grownSpec, sortable: [...grownSpec.sortable, 'nickname'] });
      assert.deepEqual(await grown.get(record.id), record);
      const added = await grown.create(newRecord({ name: 'newcomer', nickname: 'nick' }));
      assert.deepEqual(await grown.get(added.id), added);
      const page = await grown.list({ filters: [], sort: { field: 'nickname', direction: 'asc' }, limit: 10 });
      assert.deepEqual(
        page.records.map((r) => r.id),
        [added.id, record.id],
      );
    });

    it('with a TTL, a record expires from get, list, modify and delete; a write restarts its clock', {
      skip: lacking('ttl'),
    }, async () => {
      const store = await open({ ...contractSpec(), ttlSeconds: 1 });
      const brief = await store.create(newRecord({ name: 'brief' }));
      const renewed = await store.create(newRecord({ name: 'renewed' }));
      const names = async () =>
        (await store.list({ filters: [], sort: { field: 'name', direction: 'asc' }, limit: 10 })).records.map((r) => r.name);
      assert.deepEqual(await names(), ['brief', 'renewed']);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await store.modify(renewed.id, (r) => ({ ...r, age: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(await store.get(brief.id), undefined);
      assert.equal(await store.modify(brief.id, (r) => r), undefined);
      assert.equal(await store.delete(brief.id), false);
      assert.deepEqual(await names(), ['renewed'], 'the record written 600 ms ago is still there');
    });

    it('create never overwrites: an id already stored is a conflict naming id, and the record stays', async () => {
      const store = await open(contractSpec());
      const first = await store.create(newRecord({ name: 'first' }));
      await assert.rejects(
        store.create({ ...newRecord({ name: 'second' }), id: first.id }),
        (error) => error instanceof StorageError && error.kind === 'conflict' && error.field === 'id',
      );
      assert.equal((await store.get(first.id))?.name, 'first');
    });

    it('createMany stores every record as create would, and writes none when one id is taken', async (t) => {
      const store = await open();
      if (!store.createMany) return t.skip('the store has no createMany (batched writers create one by one)');
      const records = [
        newRecord({
          name: 'batch é😀 "q"',
          age: 9007199254740991,
          score: -0.5,
          active: true,
          tags: ['a', { b: [1, null] }],
          profile: 'text',
        }),
        newRecord({ name: 'open', nickname: 'undeclared', meta: { n: [1, 2] } }),
        newRecord(),
      ];
      await store.createMany(records);
      for (const record of records) assert.deepEqual(await store.get(record.id), record);
      const fresh = newRecord({ name: 'fresh' });
      await assert.rejects(
        store.createMany([fresh, { ...newRecord({ name: 'again' }), id: records[0]?.id as string }]),
        (error) => error instanceof StorageError && error.kind === 'conflict' && error.field === 'id',
      );
      assert.equal(await store.get(fresh.id), undefined);
      await store.createMany([]);
    });

    it('setMany sets one property on the records it names and nothing else', async (t) => {
      const store = await open();
      if (!store.setMany) return t.skip('the store has no setMany (batched writers use modify)');
      const [a, b, c] = [newRecord({ name: 'a' }), newRecord({ name: 'b' }), newRecord({ name: 'c' })];
      for (const record of [a, b, c]) await store.create(record);
      await store.setMany(
        'name',
        new Map([
          [a.id, 'A'],
          [b.id, 'B'],
          [randomUUID(), 'nobody'],
          ['not-a-uuid', 'x'],
        ]),
      );
      assert.deepEqual(await store.get(a.id), { ...a, name: 'A' });
      assert.deepEqual(await store.get(b.id), { ...b, name: 'B' });
      assert.deepEqual(await store.get(c.id), c);
    });

    it('unique fields: a create or modify that repeats a value is a conflict naming the field, and writes nothing', {
      skip: lacking('unique'),
    }, async () => {
      const store = await open({ ...contractSpec(), unique: ['name'] });
      const first = await store.create(newRecord({ name: 'only-one', age: 1 }));
      const other = await store.create(newRecord({ name: 'another' }));
      const isConflict = (error: unknown) => error instanceof StorageError && error.kind === 'conflict' && error.field === 'name';
      await assert.rejects(store.create(newRecord({ name: 'only-one' })), isConflict);
      await assert.rejects(
        store.modify(other.id, (r) => ({ ...r, name: 'only-one' })),
        isConflict,
      );
      assert.equal((await store.get(other.id))?.name, 'another');
      assert.equal((await store.modify(first.id, (r) => ({ ...r, age: 2 })))?.age, 2, 'keeping its own value is no conflict');
      await store.delete(first.id);
      assert.equal((await store.create(newRecord({ name: 'only-one' }))).name, 'only-one', 'a deleted record frees its value');
      await store.modify(other.id, (r) => ({ ...r, name: 'renamed' }));
      assert.equal((await store.create(newRecord({ name: 'another' }))).name, 'another', 'a changed value frees the old one');
      await assert.rejects(store.create(newRecord({ name: 'renamed' })), isConflict);
    });

    it('long strings in a sorted, filtered (and unique) field are stored, found and ordered, or refused as too-large naming the field', async () => {
      const spec = { ...contractSpec(), ...(options.capabilities.unique ? { unique: ['name'] } : {}) };
      const store = await open(spec);
      const candidates = [
        `b${incompressible(2999)}`,
        `a${incompressible(2999)}`,
        ...(options.lacks?.longIndexedStrings ? [] : [`c${'x'.repeat(99_999)}`]),
        `d${incompressible(ALWAYS_FITS - 1)}`,
        `é${'中'.repeat(1000)}`,
        'short',
      ];
      if (options.lacks?.longIndexedStrings)
        console.log(`# ${name}: no 100 KB string in the long-string case: ${options.lacks.longIndexedStrings}`);
      const stored: StoredRecord[] = [];
      const refused: string[] = [];
      for (const name of candidates) {
        const record = newRecord({ name, age: name.length });
        try {
          stored.push(await store.create(record));
        } catch (error) {
          assert.ok(
            error instanceof StorageError && error.kind === 'too-large' && error.field === 'name' && /\d bytes/.test(error.message),
            `a value the store cannot index is refused as too-large naming the field and the limit, not: ${error}`,
          );
          assert.equal(await store.get(record.id), undefined, 'nothing written');
          refused.push(`${name.slice(0, 1)}… (${Buffer.byteLength(name)} bytes)`);
        }
      }
      console.log(
        `# ${name}: long indexed strings stored ${stored.length}, refused ${refused.length}${refused.length ? `: ${refused.join(', ')}` : ''}`,
      );
      for (const fits of [`d${incompressible(ALWAYS_FITS - 1)}`, 'short']) {
        assert.ok(
          stored.some((r) => r.name === fits),
          `a value of ${Buffer.byteLength(fits)} bytes always fits`,
        );
      }
      for (const record of stored) assert.deepEqual(await store.get(record.id), record);
      for (const sort of sorts.filter((s) => s.field === 'name')) {
        assert.deepEqual(
          (await pageThrough(store, sort, 1)).map((r) => r.id),
          expectedOrder(stored, sort),
          `name ${sort.direction}, one record a page (the cursor carries the long value)`,
        );
      }
      if (!unindexed.filterable.includes('name')) {
        for (const record of stored) {
          const page = await store.list({
            filters: [{ field: 'name', op: 'eq', value: record.name as string }],
            sort: { field: 'createdAt', direction: 'asc' },
            limit: 5,
          });
          assert.deepEqual(
            page.records.map((r) => r.id),
            [record.id],
          );
        }
      }
      const target = stored.find((r) => r.name === 'short') as StoredRecord;
      try {
        const changed = await store.modify(target.id, (r) => ({ ...r, name: `e${incompressible(2999)}` }));
        assert.equal(changed?.name, `e${incompressible(2999)}`);
      } catch (error) {
        assert.ok(error instanceof StorageError && error.kind === 'too-large' && error.field === 'name', `modify: ${error}`);
        assert.equal((await store.get(target.id))?.name, 'short', 'a refused modify writes nothing');
      }
    });

    const usable = (filters: readonly ListFilter[]) => filters.every((f) => !unindexed.filterable.includes(f.field));
    runQueryContract(open, options.capabilities, usable);
    runKnownAnswers(() => open(), options.capabilities, sorts, usable);
    runBatchContract(name, open, options.capabilities);

    it('open rejects a spec whose property changed type', { skip: options.lacks?.columnTypes ?? false }, async () => {
      const spec = contractSpec();
      const store = await open(spec);
      const record = await store.create(newRecord({ age: 3 }));
      const changed = {
        ...spec,
        fields: spec.fields.map((f) => (f.name === 'age' ? { ...f, kind: 'string' as const } : f)),
      };
      await assert.rejects(open(changed), (error) => error instanceof StorageError && error.kind === 'rejected' && error.field === 'age');
      assert.deepEqual(await (await open(spec)).get(record.id), record);
    });

    describe('schema evolution', { skip: options.lacks?.columnTypes ?? options.lacks?.migrations ?? false }, () => {
      const retyped = (spec: StorageSpec, name: string, kind: FieldSpec['kind']) => ({
        ...spec,
        fields: spec.fields.map((f) => (f.name === name ? { ...f, kind } : f)),
      });
      const without = (spec: StorageSpec, name: string) => ({
        ...spec,
        fields: spec.fields.filter((f) => f.name !== name),
        filterable: spec.filterable.filter((f) => f !== name),
        sortable: spec.sortable.filter((f) => f !== name),
      });

      it('a retype of a column with values converts them only when allowed; plan() shows it and changes nothing', async () => {
        const spec = contractSpec();
        const record = await (await open(spec)).create(newRecord({ age: 3 }));
        const changed = retyped(spec, 'age', 'string');
        const refusedPlan = await connection.plan(changed);
        assert.equal(refusedPlan.refused.length, 1);
        assert.match(refusedPlan.refused[0]?.message ?? '', /storage\.migrations\.retype/);
        assert.deepEqual(await (await open(spec)).get(record.id), record, 'planning changed nothing');
        const allowed = { ...changed, migrations: { drop: [], retype: ['age'] } };
        assert.deepEqual((await connection.plan(allowed)).refused, []);
        const store = await open(allowed);
        assert.equal((await store.get(record.id))?.age, '3');
        assert.deepEqual((await connection.plan(allowed)).steps, [], 'nothing left to do once applied');
      });

      it('a column without values is retyped, and a removed property without values dropped, without asking', async () => {
        const spec = contractSpec();
        const store = await open(spec);
        const record = await store.create(newRecord({ name: 'no age, no score' }));
        const plan = await connection.plan(without(retyped(spec, 'age', 'string'), 'score'));
        assert.deepEqual(plan.refused, []);
        assert.equal(plan.steps.length, 2, JSON.stringify(plan.steps));
        const evolved = await open(without(retyped(spec, 'age', 'string'), 'score'));
        assert.deepEqual(await evolved.get(record.id), record);
        assert.equal((await evolved.create(newRecord({ age: 'ageless' }))).age, 'ageless');
      });

      it('a removed property whose column holds values is refused unless listed under drop; then its values are gone', async () => {
        const spec = contractSpec();
        const record = await (await open(spec)).create(newRecord({ name: 'scored', score: 1.5 }));
        await assert.rejects(
          open(without(spec, 'score')),
          (error) => error instanceof StorageError && error.field === 'score' && /migrations\.drop/.test(error.message),
        );
        assert.equal((await (await open(spec)).get(record.id))?.score, 1.5, 'refused means nothing changed');
        const dropped = await open({ ...without(spec, 'score'), migrations: { drop: ['score'], retype: [] } });
        assert.equal((await dropped.get(record.id))?.score, undefined);
        assert.equal((await (await open(spec)).get(record.id))?.score, undefined, 'the property comes back empty');
      });

      it('a new filter or sort field gets its index; plan() lists only what is missing', async () => {
        const spec = { ...contractSpec(), filterable: ['name'] };
        await open(spec);
        const grown = { ...spec, filterable: ['name', 'score'] };
        const plan = await connection.plan(grown);
        assert.deepEqual(plan.refused, []);
        assert.equal(plan.steps.length, 1);
        assert.match(plan.steps[0]?.statement ?? '', /^create index if not exists "[^"]*score[^"]*"/);
        await open(grown);
        assert.deepEqual((await connection.plan(grown)).steps, []);
      });
    });
  });
}
