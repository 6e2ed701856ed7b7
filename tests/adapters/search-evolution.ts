import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type StorageConnection, StorageError, type StorageSpec } from '../../adapters/types.ts';
import { contractSpec, newRecord } from './contract.ts';

/**
 * How a search store's index evolves with the spec (adapters/search-dsl/mapping.ts's plan,
 * applied by each backend's connection): the server suites OpenSearch and Elasticsearch
 * both run, against a real store, beside the contract suite.
 */
export function runIndexEvolution(name: string, connect: () => Promise<StorageConnection>, skip: string | false): void {
  describe(`${name}: index evolution`, { skip }, () => {
    it('open rejects a changed property type, naming it, and changes nothing', async () => {
      const connection = await connect();
      try {
        const base = contractSpec();
        const record = await (await connection.open(base)).create(newRecord({ age: 3 }));
        const changed = { ...base, fields: base.fields.map((f) => (f.name === 'age' ? { ...f, kind: 'string' as const } : f)) };
        assert.deepEqual(
          (await connection.plan(changed)).refused.map((r) => r.field),
          ['age'],
        );
        await assert.rejects(
          connection.open(changed),
          (error) => error instanceof StorageError && error.kind === 'rejected' && error.field === 'age',
        );
        assert.deepEqual(await (await connection.open(base)).get(record.id), record);
      } finally {
        await connection.close();
      }
    });

    it('a property declared or made searchable later finds the records written before', async () => {
      const connection = await connect();
      try {
        const base = contractSpec();
        const record = await (await connection.open(base)).create(newRecord({ name: 'Refund desk', nickname: 'zed' }));
        const grown: StorageSpec = { ...contractSpec([{ name: 'nickname', kind: 'string' }], base.collection), searchable: ['name'] };
        const store = await connection.open(grown);
        const page = await store.list({
          filters: [{ field: 'nickname', op: 'eq', value: 'zed' }],
          sort: { field: 'id', direction: 'asc' },
          limit: 5,
        });
        assert.deepEqual(page.records, [record]);
        assert.deepEqual((await store.search({ text: 'refund', offset: 0, limit: 5 })).records, [record]);
        assert.deepEqual((await connection.plan(grown)).steps, []);
      } finally {
        await connection.close();
      }
    });
  });
}
