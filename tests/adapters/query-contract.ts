import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Capabilities, ListFilter, RecordStore, SortOrder, StorageSpec, StoredRecord } from '../../adapters/types.ts';
import { contractSpec, createAll, expectedOrder, newRecord, pageThrough, variedRecords } from './contract.ts';

/** Cases for each operator over variedRecords' fields (name, age, score, active), with edge values. */
const CASES: Record<ListFilter['op'], ListFilter[][]> = {
  eq: [[{ field: 'name', op: 'eq', value: 'alpha' }], [{ field: 'age', op: 'eq', value: 30 }], [{ field: 'score', op: 'eq', value: 1.5 }]],
  ne: [
    [{ field: 'name', op: 'ne', value: 'alpha' }],
    [{ field: 'age', op: 'ne', value: 30 }],
    [{ field: 'active', op: 'ne', value: true }],
  ],
  gt: [[{ field: 'age', op: 'gt', value: 0 }], [{ field: 'score', op: 'gt', value: -0.25 }], [{ field: 'name', op: 'gt', value: 'Zeta' }]],
  gte: [[{ field: 'age', op: 'gte', value: 30 }], [{ field: 'score', op: 'gte', value: 1.5 }], [{ field: 'name', op: 'gte', value: 'b' }]],
  lt: [[{ field: 'age', op: 'lt', value: 17 }], [{ field: 'score', op: 'lt', value: 0 }], [{ field: 'name', op: 'lt', value: 'a' }]],
  lte: [
    [{ field: 'age', op: 'lte', value: -4 }],
    [{ field: 'score', op: 'lte', value: 3.125 }],
    [{ field: 'name', op: 'lte', value: 'ab' }],
  ],
  in: [
    [{ field: 'name', op: 'in', value: ['alpha', '中文', '', 'nobody'] }],
    [{ field: 'age', op: 'in', value: [30, -4] }],
    [{ field: 'active', op: 'in', value: [false] }],
  ],
  contains: [
    [{ field: 'name', op: 'contains', value: 'a' }],
    [{ field: 'name', op: 'contains', value: 'eta' }],
    [{ field: 'name', op: 'contains', value: 'ä' }],
    [{ field: 'name', op: 'contains', value: '%' }],
  ],
  exists: [
    [{ field: 'age', op: 'exists', value: true }],
    [{ field: 'name', op: 'exists', value: false }],
    [{ field: 'active', op: 'exists', value: false }],
  ],
};

const byId: SortOrder = { field: 'id', direction: 'asc' };

/**
 * List filters, count and search, as far as the backend declares them. Expected results
 * come from adapters/filter-match.ts and adapters/text-match.ts.
 */
export function runQueryContract(
  open: (spec?: StorageSpec) => Promise<RecordStore>,
  capabilities: Capabilities,
  indexed: (filters: readonly ListFilter[]) => boolean,
): void {
  const offered = capabilities.filterOperators;

  describe('filter operators', () => {
    for (const op of Object.keys(CASES) as ListFilter['op'][]) {
      it(`${op}${offered.includes(op) ? '' : ' (not declared: skipped)'}`, { skip: !offered.includes(op) }, async () => {
        const store = await open();
        const records = variedRecords(40);
        await createAll(store, records);
        for (const filters of CASES[op].filter(indexed)) {
          const page = await store.list({ filters, sort: byId, limit: 100 });
          assert.deepEqual(
            page.records.map((r) => r.id),
            expectedOrder(records, byId, filters),
            JSON.stringify(filters),
          );
        }
      });
    }

    it('several operators AND together, also on one field, and page with a cursor', async () => {
      const store = await open();
      const records = variedRecords(45);
      await createAll(store, records);
      const wanted: ListFilter[] = [
        { field: 'age', op: 'gte', value: 0 },
        { field: 'age', op: 'lt', value: 31 },
        { field: 'active', op: 'eq', value: true },
        { field: 'name', op: 'in', value: ['alpha', 'beta', 'zeta', '中文'] },
      ];
      const filters = wanted.filter((f) => offered.includes(f.op) && indexed([f]));
      for (const sort of [byId, { field: 'name', direction: 'desc' } as const, { field: 'age', direction: 'asc' } as const]) {
        const seen = await pageThrough(store, sort, 2, filters);
        assert.deepEqual(
          seen.map((r) => r.id),
          expectedOrder(records, sort, filters),
          `${sort.field} ${sort.direction}`,
        );
      }
    });

    it('a value that only looks like an operator or a pattern matches literally', async () => {
      const store = await open();
      const odd = ['{"$ne":null}', '$where', '.*', '%', '_', "' or 1=1 --", 'a*b?', '\\'];
      const records = odd.map((name) => newRecord({ name }));
      await createAll(store, [...records, newRecord({ name: 'plain' })]);
      for (const record of records) {
        const page = await store.list({ filters: [{ field: 'name', op: 'eq', value: record.name as string }], sort: byId, limit: 10 });
        assert.deepEqual(
          page.records.map((r) => r.id),
          [record.id],
          String(record.name),
        );
      }
    });
  });

  describe('count', () => {
    it('counts every match of the filters, whatever the page', async () => {
      const store = await open();
      const records = variedRecords(37);
      await createAll(store, records);
      const cases: ListFilter[][] = [
        [],
        [{ field: 'active', op: 'eq', value: true }],
        [{ field: 'name', op: 'in', value: ['alpha', 'beta'] }],
        [
          { field: 'age', op: 'gte', value: 0 },
          { field: 'active', op: 'ne', value: false },
        ],
        [{ field: 'name', op: 'eq', value: 'nobody' }],
      ];
      for (const filters of cases.filter((c) => c.every((f) => offered.includes(f.op)) && indexed(c))) {
        const first = await store.list({ filters, sort: byId, limit: 3, count: true });
        const expected = expectedOrder(records, byId, filters).length;
        assert.equal(first.total, expected, JSON.stringify(filters));
        const last = first.records.at(-1);
        if (last) {
          const later = await store.list({ filters, sort: byId, limit: 3, count: true, after: { value: last.id, id: last.id } });
          assert.equal(later.total, expected, 'a later page counts the same');
        }
      }
      assert.equal((await store.list({ filters: [], sort: byId, limit: 3 })).total, undefined, 'no count unless asked');
    });
  });

  describe('search', { skip: capabilities.search ? false : 'the backend declares no search capability' }, () => {
    const searchSpec = (): StorageSpec => {
      const spec = contractSpec([{ name: 'body', kind: 'string' }]);
      return { ...spec, searchable: ['name', 'body'] };
    };
    const ids = (records: readonly StoredRecord[]) => records.map((r) => r.id);

    it('matches every word, in any case, as whole words, across the searchable fields', async () => {
      const store = await open(searchSpec());
      const both = newRecord({ name: 'Refund policy', body: 'Customers may ask for a REFUND within 30 days.' });
      const split = newRecord({ name: 'Shipping', body: 'Policy for parcels abroad' });
      const across = newRecord({ name: 'Refund', body: 'see the policy page' });
      const partial = newRecord({ name: 'Refunds', body: 'policyholder news' });
      const unsearched = newRecord({ name: 'other', body: 'nothing here', profile: { note: 'refund policy' } });
      await createAll(store, [both, split, across, partial, unsearched]);
      const found = await store.search({ text: 'refund POLICY', offset: 0, limit: 10 });
      assert.deepEqual(ids(found.records).sort(), [both.id, across.id].sort());
      assert.equal(found.hasMore, false);
      assert.deepEqual(
        ids((await store.search({ text: 'policy', offset: 0, limit: 10 })).records).sort(),
        [both.id, split.id, across.id].sort(),
      );
      assert.deepEqual((await store.search({ text: 'refun', offset: 0, limit: 10 })).records, [], 'no prefix or substring match');
      assert.deepEqual((await store.search({ text: '  ?! ', offset: 0, limit: 10 })).records, [], 'no words, no matches');
    });

    it('orders by relevance, ties by id, and pages by offset', async () => {
      const store = await open(searchSpec());
      const often = newRecord({ name: 'apple', body: 'apple apple pear' });
      const once = [1, 2, 3, 4, 5].map(() => newRecord({ name: 'fruit', body: 'apple pear plum fig' }));
      await createAll(store, [...once, often]);
      const first = await store.search({ text: 'apple', offset: 0, limit: 3 });
      assert.equal(first.records[0]?.id, often.id, 'three occurrences rank above one');
      assert.equal(first.hasMore, true);
      const second = await store.search({ text: 'apple', offset: 3, limit: 3 });
      assert.equal(second.hasMore, false);
      const tied = [...ids(first.records).slice(1), ...ids(second.records)];
      assert.deepEqual(tied, ids(once).sort(), 'equal scores in id order, each once across the pages');
    });

    it('sees changes and deletions at once', async () => {
      const store = await open(searchSpec());
      const record = await store.create(newRecord({ name: 'draft', body: 'before' }));
      assert.equal((await store.search({ text: 'before', offset: 0, limit: 5 })).records.length, 1);
      await store.modify(record.id, (r) => ({ ...r, body: 'after' }));
      assert.deepEqual((await store.search({ text: 'before', offset: 0, limit: 5 })).records, []);
      assert.deepEqual(ids((await store.search({ text: 'after', offset: 0, limit: 5 })).records), [record.id]);
      await store.delete(record.id);
      assert.deepEqual((await store.search({ text: 'after', offset: 0, limit: 5 })).records, []);
    });
  });
}
