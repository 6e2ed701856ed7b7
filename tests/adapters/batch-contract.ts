import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  BatchAborted,
  type BatchWrite,
  type Capabilities,
  GET_MANY_MAX,
  type ListQuery,
  type RecordStore,
  StorageError,
  type StorageSpec,
  type StoredRecord,
} from '../../adapters/types.ts';
import { contractSpec, newRecord } from './contract.ts';

type Open = (spec?: StorageSpec) => Promise<RecordStore>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The batch rejected with a BatchAborted for the write at `index`, for `reason`, and whose cause passes `cause`. */
const aborted =
  (index: number, reason: 'missing' | 'failed', cause: (error: unknown) => boolean = () => true) =>
  (error: unknown) => {
    assert.ok(error instanceof BatchAborted, `a BatchAborted, not: ${error}`);
    assert.deepEqual({ index: error.index, reason: error.reason }, { index, reason });
    assert.ok(cause(error.cause), `cause: ${error.cause}`);
    return true;
  };

const conflictOn = (field: string) => (error: unknown) =>
  error instanceof StorageError && error.kind === 'conflict' && error.field === field;

const byName = (name: string): ListQuery => ({
  filters: [{ field: 'name', op: 'eq', value: name }],
  sort: { field: 'createdAt', direction: 'asc' },
  limit: 10,
});

const increment = (current: StoredRecord): StoredRecord => ({ ...current, age: (current.age as number) + 1 });

/**
 * Reads enough at once that a store with a pool has its connections open: a pool that
 * opens them on demand (postgres.js) would otherwise run the first concurrent writes one
 * after another, and the race they are meant to run would not happen.
 */
const warmUp = (store: RecordStore) => Promise.all(Array.from({ length: 10 }, () => store.get(randomUUID())));

/**
 * getMany (where a store has it), writeAll (with `transactions`) and upsert (with `upsert`):
 * a capability the backend declares is tested, one it lacks is skipped with the reason.
 */
export function runBatchContract(name: string, open: Open, capabilities: Capabilities): void {
  const lacking = (capability: 'ttl' | 'transactions' | 'upsert' | 'unique') =>
    capabilities[capability] ? false : `${name} has no ${capability} capability`;

  it('declares transactions and upsert exactly where the store has writeAll and upsert', async () => {
    const store = await open();
    assert.equal(typeof store.writeAll === 'function', capabilities.transactions, 'writeAll');
    assert.equal(typeof store.upsert === 'function', capabilities.upsert ?? false, 'upsert');
  });

  describe('getMany', () => {
    it('returns the records of the ids it is given; ids not stored, malformed or repeated are no trouble', async (t) => {
      const store = await open();
      if (!store.getMany) return t.skip(`${name} has no getMany: the engine lists with an id in filter instead`);
      const [a, b, c] = [newRecord({ name: 'a', tags: ['x', { y: 1 }] }), newRecord({ name: 'b', age: 2 }), newRecord({ name: 'c' })];
      for (const record of [a, b, c]) await store.create(record);
      const found = await store.getMany([b.id, randomUUID(), a.id, 'not-a-uuid', '', b.id]);
      assert.deepEqual([...found.keys()].sort(), [a.id, b.id].sort());
      assert.deepEqual(found.get(a.id), a);
      assert.deepEqual(found.get(b.id), b);
      assert.equal((await store.getMany([])).size, 0);
      await store.delete(a.id);
      assert.deepEqual([...(await store.getMany([a.id, c.id])).keys()], [c.id], 'a deleted record is absent');
    });

    it(`takes ${GET_MANY_MAX} ids in one call, and refuses more as rejected`, async (t) => {
      const store = await open();
      if (!store.getMany) return t.skip(`${name} has no getMany`);
      const records = Array.from({ length: GET_MANY_MAX - 10 }, (_, i) => newRecord({ name: `n${i}`, age: i }));
      if (store.createMany) await store.createMany(records);
      else await Promise.all(records.map((record) => store.create(record)));
      const ids = [...records.map((r) => r.id), ...Array.from({ length: 10 }, () => randomUUID())];
      const found = await store.getMany(ids);
      assert.equal(found.size, records.length);
      for (const record of records) assert.deepEqual(found.get(record.id), record);
      await assert.rejects(store.getMany([...ids, randomUUID()]), (error) => error instanceof StorageError && error.kind === 'rejected');
    });

    it('with a TTL, leaves out the records that expired', { skip: lacking('ttl') }, async (t) => {
      const store = await open({ ...contractSpec(), ttlSeconds: 1 });
      if (!store.getMany) return t.skip(`${name} has no getMany`);
      const brief = await store.create(newRecord({ name: 'brief' }));
      await sleep(600);
      const fresh = await store.create(newRecord({ name: 'fresh' }));
      await sleep(600);
      assert.deepEqual([...(await store.getMany([brief.id, fresh.id])).keys()], [fresh.id]);
    });
  });

  describe('writeAll', { skip: lacking('transactions') }, () => {
    it('applies creates, modifies and deletes in order, each seeing the ones before, and returns their records', async () => {
      const store = await open();
      assert.ok(store.writeAll, 'the transactions capability is declared: writeAll must exist');
      const kept = await store.create(newRecord({ name: 'kept', age: 1 }));
      const doomed = await store.create(newRecord({ name: 'doomed' }));
      const fresh = newRecord({ name: 'fresh', age: 10 });
      const results = await store.writeAll([
        { op: 'create', record: fresh },
        { op: 'modify', id: fresh.id, change: increment },
        { op: 'modify', id: kept.id, change: (current) => ({ ...current, name: 'changed', profile: { n: [1] } }) },
        { op: 'delete', id: doomed.id, check: (current) => assert.equal(current.name, 'doomed') },
      ]);
      const changed = { ...kept, name: 'changed', profile: { n: [1] } };
      assert.deepEqual(results, [fresh, { ...fresh, age: 11 }, changed, doomed]);
      assert.deepEqual(await store.get(fresh.id), { ...fresh, age: 11 });
      assert.deepEqual(await store.get(kept.id), changed);
      assert.equal(await store.get(doomed.id), undefined);
      // Lists (and the indexes some stores keep for them) follow the batch too.
      for (const [value, expected] of [
        ['changed', [changed]],
        ['kept', []],
        ['doomed', []],
        ['fresh', [{ ...fresh, age: 11 }]],
      ] as const) {
        assert.deepEqual((await store.list(byName(value))).records, expected, `name ${value}`);
      }
      assert.deepEqual(await store.writeAll?.([]), []);
    });

    /**
     * Runs `writes` over a new collection (with these unique fields) after the records
     * exist; checks it rejects with `check` and that nothing changed.
     */
    const refusedBatch = async (
      unique: readonly string[],
      writes: (stored: { a: StoredRecord; b: StoredRecord; fresh: StoredRecord }) => BatchWrite[],
      check: (error: unknown) => boolean,
    ) => {
      const store = await open({ ...contractSpec(), unique });
      const a = await store.create(newRecord({ name: 'a', age: 1 }));
      const b = await store.create(newRecord({ name: 'b', age: 2 }));
      const fresh = newRecord({ name: 'fresh' });
      await assert.rejects(store.writeAll?.(writes({ a, b, fresh })) as Promise<unknown>, check);
      assert.deepEqual(await store.get(a.id), a, 'the record modified before the failure is as it was');
      assert.deepEqual(await store.get(b.id), b);
      assert.equal(await store.get(fresh.id), undefined, 'the record created before the failure is not there');
      assert.deepEqual((await store.list(byName('fresh'))).records, [], 'nor in a list');
      assert.deepEqual((await store.list(byName('a'))).records, [a]);
      // The store still works after the rollback.
      assert.equal((await store.modify(a.id, increment))?.age, 2);
    };

    it('a change or check that throws at write k writes nothing and rejects naming k, with the thrown error as cause', async () => {
      const boom = new Error('boom');
      const change = (current: StoredRecord): StoredRecord => {
        current.name = 'half-changed';
        throw boom;
      };
      await refusedBatch(
        [],
        ({ a, b, fresh }) => [
          { op: 'create', record: fresh },
          { op: 'modify', id: a.id, change: increment },
          { op: 'delete', id: b.id },
          { op: 'modify', id: a.id, change },
        ],
        aborted(3, 'failed', (cause) => cause === boom),
      );
      await refusedBatch(
        [],
        ({ a, b, fresh }) => [
          { op: 'modify', id: a.id, change: increment },
          { op: 'create', record: fresh },
          {
            op: 'delete',
            id: b.id,
            check: () => {
              throw boom;
            },
          },
        ],
        aborted(2, 'failed', (cause) => cause === boom),
      );
    });

    it('a modify or delete of an id not stored writes nothing and rejects as missing', async () => {
      for (const op of ['modify', 'delete'] as const) {
        for (const id of [randomUUID(), 'not-a-uuid']) {
          await refusedBatch(
            [],
            ({ a, fresh }) => [
              { op: 'create', record: fresh },
              { op: 'modify', id: a.id, change: increment },
              op === 'modify' ? { op, id, change: () => assert.fail('change must not be called') } : { op, id },
            ],
            aborted(2, 'missing'),
          );
        }
      }
      await refusedBatch(
        [],
        ({ b, fresh }) => [
          { op: 'create', record: fresh },
          { op: 'delete', id: b.id },
          { op: 'modify', id: b.id, change: increment },
        ],
        aborted(2, 'missing'),
      );
    });

    it('an id created twice, or one already stored, writes nothing and rejects with a conflict naming id', async () => {
      await refusedBatch(
        [],
        ({ a, fresh }) => [
          { op: 'modify', id: a.id, change: increment },
          { op: 'create', record: fresh },
          { op: 'create', record: { ...newRecord({ name: 'again' }), id: fresh.id } },
        ],
        aborted(2, 'failed', conflictOn('id')),
      );
      await refusedBatch(
        [],
        ({ a, b, fresh }) => [
          { op: 'create', record: fresh },
          { op: 'modify', id: a.id, change: increment },
          { op: 'create', record: { ...newRecord({ name: 'again' }), id: b.id } },
        ],
        aborted(2, 'failed', conflictOn('id')),
      );
    });

    it('a unique conflict writes nothing and rejects with a conflict naming the field', { skip: lacking('unique') }, async () => {
      await refusedBatch(
        ['name'],
        ({ a, b, fresh }) => [
          { op: 'create', record: fresh },
          { op: 'modify', id: a.id, change: increment },
          { op: 'modify', id: b.id, change: (current) => ({ ...current, name: 'a' }) },
        ],
        aborted(2, 'failed', conflictOn('name')),
      );
      await refusedBatch(
        ['name'],
        ({ a, fresh }) => [
          { op: 'modify', id: a.id, change: increment },
          { op: 'create', record: fresh },
          { op: 'create', record: newRecord({ name: 'fresh' }) },
        ],
        aborted(2, 'failed', conflictOn('name')),
      );
      // A value the batch frees before it is taken again is no conflict.
      const store = await open({ ...contractSpec(), unique: ['name'] });
      const a = await store.create(newRecord({ name: 'a' }));
      const taker = newRecord({ name: 'a' });
      await store.writeAll?.([
        { op: 'modify', id: a.id, change: (current) => ({ ...current, name: 'renamed' }) },
        { op: 'create', record: taker },
      ]);
      assert.equal((await store.get(taker.id))?.name, 'a');
    });

    it('concurrent batches and single modifies of one record lose no update', async () => {
      const store = await open();
      const record = await store.create(newRecord({ age: 0 }));
      await warmUp(store);
      const created: StoredRecord[] = [];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          if (i % 2 === 0) return store.modify(record.id, increment);
          const fresh = newRecord({ name: `batch ${i}` });
          created.push(fresh);
          return store.writeAll?.([
            { op: 'modify', id: record.id, change: increment },
            { op: 'create', record: fresh },
          ]);
        }),
      );
      assert.equal((await store.get(record.id))?.age, 20);
      for (const fresh of created) assert.deepEqual(await store.get(fresh.id), fresh);
    });
  });

  describe('upsert', { skip: lacking('upsert') }, () => {
    // Two unique fields: `name`, by which records are upserted, and `age`, which another record may hold.
    const uniqueSpec = () => ({ ...contractSpec(), unique: ['name', 'age'] });

    it('creates a record, then hands the one holding the value to change and stores what it returns', async () => {
      const store = await open(uniqueSpec());
      assert.ok(store.upsert, 'the upsert capability is declared: upsert must exist');
      const first = newRecord({ name: 'u', age: 1, tags: ['t'] });
      const created = await store.upsert('name', first, () => assert.fail('nothing to change yet'));
      assert.deepEqual(created, { record: first, created: true });
      assert.deepEqual(await store.get(first.id), first);
      const second = newRecord({ name: 'u', age: 5 });
      const replaced = await store.upsert('name', second, (current) => {
        assert.deepEqual(current, first);
        return { ...second, id: current.id, createdAt: current.createdAt };
      });
      const expected = { ...second, id: first.id, createdAt: first.createdAt };
      assert.deepEqual(replaced, { record: expected, created: false });
      assert.deepEqual(await store.get(first.id), expected);
      assert.equal(await store.get(second.id), undefined, 'no second record');
    });

    it('a change that throws writes nothing and rethrows the same error', async () => {
      const store = await open(uniqueSpec());
      const first = await store.create(newRecord({ name: 'u', age: 1 }));
      const boom = new Error('boom');
      await assert.rejects(
        store.upsert?.('name', newRecord({ name: 'u', age: 2 }), (current) => {
          current.age = 3;
          throw boom;
        }) as Promise<unknown>,
        (error) => error === boom,
      );
      assert.deepEqual(await store.get(first.id), first);
    });

    it('10 concurrent upserts of one new value make exactly one record and lose no change', async () => {
      const store = await open(uniqueSpec());
      await warmUp(store);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => store.upsert?.('name', newRecord({ name: 'same', age: 0 }), increment)),
      );
      assert.equal(outcomes.filter((o) => o?.created).length, 1, 'one created it');
      const ids = new Set(outcomes.map((o) => o?.record.id));
      assert.equal(ids.size, 1, 'every upsert wrote the same record');
      const page = await store.list({ filters: [], sort: { field: 'id', direction: 'asc' }, limit: 20 });
      assert.equal(page.records.length, 1);
      assert.equal(page.records[0]?.age, 9, 'nine replaced it, each after the one before');
    });

    it("another unique field's value held by another record is still a conflict naming that field", async () => {
      const store = await open(uniqueSpec());
      const a = await store.create(newRecord({ name: 'a', age: 1 }));
      const b = await store.create(newRecord({ name: 'b', age: 2 }));
      const fresh = newRecord({ name: 'c', age: 2 });
      await assert.rejects(store.upsert?.('name', fresh, () => assert.fail('nothing holds c')) as Promise<unknown>, conflictOn('age'));
      assert.equal(await store.get(fresh.id), undefined);
      await assert.rejects(
        store.upsert?.('name', newRecord({ name: 'a' }), (current) => ({ ...current, age: 2 })) as Promise<unknown>,
        conflictOn('age'),
      );
      assert.deepEqual(await store.get(a.id), a);
      assert.deepEqual(await store.get(b.id), b);
    });

    it('a field that is not unique is refused as rejected', async () => {
      const store = await open(uniqueSpec());
      await assert.rejects(
        store.upsert?.('score', newRecord({ score: 1 }), (current) => current) as Promise<unknown>,
        (error) => error instanceof StorageError && error.kind === 'rejected',
      );
    });
  });
}
