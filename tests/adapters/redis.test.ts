import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createClient } from 'redis';
import { redisCapabilities } from '../../adapters/redis/capabilities.ts';
import { redisBackend } from '../../adapters/redis/index.ts';
import { encodeSortValue } from '../../adapters/sort-encoding.ts';
import { StorageError } from '../../adapters/types.ts';
import { redisServerGate } from '../support/redis-server.ts';
import { contractSpec, runRecordStoreContract } from './contract.ts';

const { url, skip } = await redisServerGate();
const gate = { skip };

runRecordStoreContract('redis', () => redisBackend.connect({ name: 'contract', backend: 'redis', url }, { dataDir: '' }), {
  skip: gate.skip,
  capabilities: redisCapabilities,
  lacks: { columnTypes: 'redis keeps records as JSON: there are no column types to conflict' },
});

// The contract names every collection c_<random>; remove what it wrote.
after(async () => {
  if (gate.skip) return;
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: 'council:c_*', COUNT: 1000 })) if (keys.length) await client.del(keys);
  await client.close();
});

describe('redis: sort encoding', () => {
  it('orders numbers and booleans as bytes exactly as they compare', () => {
    const numbers = [-1e300, -12.5, -1, -0.001, 0, 1e-9, 0.5, 1, 2, 10, 1e15, Number.MAX_SAFE_INTEGER, 1e300];
    const encoded = numbers.map((n) => encodeSortValue('number', n) as string);
    assert.deepEqual([...encoded].sort(), encoded);
    assert.equal(encodeSortValue('integer', -0), encodeSortValue('integer', 0));
    assert.ok((encodeSortValue('boolean', false) as string) < (encodeSortValue('boolean', true) as string));
    assert.equal(encodeSortValue('integer', 'seven'), undefined, 'a value of another kind counts as missing');
  });
});

describe('redis: indexes follow the spec', { skip: gate.skip }, () => {
  it('a filter added to the spec finds the records written before it', async () => {
    const connection = await redisBackend.connect({ name: 'reindex', backend: 'redis', url }, { dataDir: '' });
    try {
      const spec = { ...contractSpec(), filterable: [] };
      const store = await connection.open(spec);
      const stamp = '2024-01-01T00:00:00.000Z';
      for (const [i, name] of ['ann', 'bob', 'ann'].entries()) {
        await store.create({ id: `00000000-0000-4000-8000-00000000000${i}`, createdAt: stamp, updatedAt: stamp, name });
      }
      const planned = await connection.plan({ ...spec, filterable: ['name'] });
      assert.equal(planned.steps.length, 1, 'plan() says the indexes will be rebuilt');
      const filtered = await connection.open({ ...spec, filterable: ['name'] });
      const page = await filtered.list({
        filters: [{ field: 'name', op: 'eq', value: 'ann' }],
        sort: { field: 'createdAt', direction: 'asc' },
        limit: 10,
      });
      assert.deepEqual(
        page.records.map((r) => r.id),
        ['00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000002'],
      );
      assert.deepEqual((await connection.plan({ ...spec, filterable: ['name'] })).steps, []);
    } finally {
      await connection.close();
    }
  });

  it('with a TTL, records expire from get and list, and their index entries are swept', async () => {
    const connection = await redisBackend.connect({ name: 'ttl', backend: 'redis', url }, { dataDir: '' });
    const client = createClient({ url });
    client.on('error', () => {});
    await client.connect();
    try {
      const spec = { ...contractSpec(), ttlSeconds: 1 };
      const store = await connection.open(spec);
      const stamp = '2024-01-01T00:00:00.000Z';
      const record = { id: '00000000-0000-4000-8000-00000000abcd', createdAt: stamp, updatedAt: stamp, name: 'brief', age: 3 };
      await store.create(record);
      const page = () =>
        store.list({ filters: [{ field: 'name', op: 'eq', value: 'brief' }], sort: { field: 'age', direction: 'asc' }, limit: 10 });
      assert.deepEqual((await page()).records, [record]);
      const ttl = await client.pTTL(`council:${spec.collection}:r:${record.id}`);
      assert.ok(ttl > 0 && ttl <= 1000, `expires within the TTL (${ttl} ms left)`);
      await new Promise((resolve) => setTimeout(resolve, 1150));
      assert.equal(await store.get(record.id), undefined);
      assert.deepEqual((await page()).records, []);
      const left = [];
      for await (const keys of client.scanIterator({ MATCH: `council:${spec.collection}:*`, COUNT: 1000 })) left.push(...keys);
      assert.deepEqual(left.sort(), [`council:${spec.collection}:meta`], 'every index entry of the expired record is gone');
    } finally {
      await client.close();
      await connection.close();
    }
  });

  it('with a TTL, a batch gives each record it writes an expiry, and its index entries are swept with it', async () => {
    const connection = await redisBackend.connect({ name: 'ttl-batch', backend: 'redis', url }, { dataDir: '' });
    const client = createClient({ url });
    client.on('error', () => {});
    await client.connect();
    try {
      const spec = { ...contractSpec(), ttlSeconds: 1 };
      const store = await connection.open(spec);
      const stamp = '2024-01-01T00:00:00.000Z';
      const record = (n: number) => ({
        id: `00000000-0000-4000-8000-00000000000${n}`,
        createdAt: stamp,
        updatedAt: stamp,
        name: 'batch',
        age: n,
      });
      const kept = await store.create(record(1));
      await store.writeAll?.([
        { op: 'create', record: record(2) },
        { op: 'modify', id: kept.id, change: (current) => ({ ...current, age: 10 }) },
      ]);
      for (const id of [kept.id, record(2).id]) {
        const ttl = await client.pTTL(`council:${spec.collection}:r:${id}`);
        assert.ok(ttl > 0 && ttl <= 1000, `expires within the TTL (${ttl} ms left)`);
      }
      const page = () =>
        store.list({ filters: [{ field: 'name', op: 'eq', value: 'batch' }], sort: { field: 'age', direction: 'asc' }, limit: 10 });
      assert.deepEqual(
        (await page()).records.map((r) => r.age),
        [2, 10],
      );
      await new Promise((resolve) => setTimeout(resolve, 1150));
      assert.deepEqual((await page()).records, []);
      const left = [];
      for await (const keys of client.scanIterator({ MATCH: `council:${spec.collection}:*`, COUNT: 1000 })) left.push(...keys);
      assert.deepEqual(left.sort(), [`council:${spec.collection}:meta`], 'every index entry of the expired records is gone');
    } finally {
      await client.close();
      await connection.close();
    }
  });

  it('an unreachable server is unavailable, never a hang, and names no url', async () => {
    const secret = 'redis://:hunter2@127.0.0.1:1';
    await assert.rejects(redisBackend.connect({ name: 'down', backend: 'redis', url: secret }, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, 'unavailable');
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});
