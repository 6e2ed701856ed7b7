import assert from 'node:assert/strict';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { after, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamodbCapabilities } from '../../adapters/dynamodb/capabilities.ts';
import { dynamodbBackend } from '../../adapters/dynamodb/index.ts';
import { listPatterns, sortKey, tableName } from '../../adapters/dynamodb/layout.ts';
import { StorageError, type StoredRecord } from '../../adapters/types.ts';
import { dynaliteGate } from '../support/dynalite.ts';
import { contractSpec, createAll, expectedOrder, pageThrough, runRecordStoreContract, variedRecords } from './contract.ts';

const server = await dynaliteGate();
after(() => server.stop());
/** The SDK itself, to look at what the adapter stored. */
const rawClient = () =>
  new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const connect = (name = 'contract') => dynamodbBackend.connect({ name, backend: 'dynamodb', url: server.url }, { dataDir: '' });

runRecordStoreContract('dynamodb', () => connect(), {
  skip: server.skip,
  capabilities: dynamodbCapabilities,
  unindexed: {
    filterable: ['score'],
    sortable: ['score', 'active', 'updatedAt'],
    why: 'dynamodb gives each sort, and each filter with each sort, its own global secondary index, and a table has 20; the full spec would need 35',
  },
  lacks: { columnTypes: 'dynamodb keeps records as JSON: there are no column types to conflict' },
});

const stamp = '2024-01-01T00:00:00.000Z';
/** A contract spec within the index limit: lists sorted by createdAt, filtered by name. */
const smallSpec = () => ({ ...contractSpec(), filterable: ['name'], sortable: ['createdAt'] });
const record = (n: number, properties: Record<string, unknown> = {}): StoredRecord => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  createdAt: stamp,
  updatedAt: stamp,
  ...properties,
});

describe('dynamodb: key design (layout.ts)', () => {
  it('sort keys order like compareRecords: values by bytes, ties by id, missing values after', () => {
    const keys = [
      sortKey('integer', -3, 'b'),
      sortKey('integer', 2, 'a'),
      sortKey('integer', 2, 'b'),
      sortKey('integer', 10, 'a'),
      sortKey('integer', undefined, 'a'),
      sortKey('integer', undefined, 'b'),
    ];
    assert.deepEqual([...keys].sort(), keys);
    assert.ok(sortKey('string', 'ab', 'z') < sortKey('string', 'abc', 'a'), 'a shorter value sorts before its extensions');
    assert.ok(Buffer.byteLength(sortKey('string', 'é'.repeat(5000), 'id')) < 1024, 'long values fit a DynamoDB sort key');
  });

  it('one index per sort and per (filter, sort) pair; more than 20 is refused, naming the automation', async () => {
    const spec = { ...contractSpec(), filterable: ['name'], sortable: ['createdAt', 'age'] };
    assert.deepEqual(listPatterns(spec), [
      { sort: 'createdAt' },
      { sort: 'age' },
      { filter: 'name', sort: 'createdAt' },
      { filter: 'name', sort: 'age' },
    ]);
  });
});

describe('dynamodb: server behaviour beyond the contract', { skip: server.skip }, () => {
  it('a spec that needs more than 20 indexes is refused before any table is made', async () => {
    const connection = await connect('limit');
    try {
      const spec = contractSpec();
      const planned = await connection.plan(spec);
      assert.match(planned.refused[0]?.message ?? '', /needs 35 list indexes on dynamodb.*a table has 20/);
      await assert.rejects(connection.open(spec), (error) => error instanceof StorageError && error.kind === 'rejected');
    } finally {
      await connection.close();
    }
  });

  it('a filter added to the spec finds the records written before it; plan() says the items are re-indexed', async () => {
    const connection = await connect('reindex');
    try {
      const spec = { ...contractSpec(), filterable: [], sortable: ['createdAt'] };
      const store = await connection.open(spec);
      for (const [i, name] of ['ann', 'bob', 'ann'].entries()) await store.create(record(i, { name }));
      const grown = { ...spec, filterable: ['name'] };
      assert.deepEqual(
        (await connection.plan(grown)).steps.map((s) => s.statement),
        [`rewrite the index keys of every item of ${tableName(spec)}`],
      );
      const filtered = await connection.open(grown);
      const page = await filtered.list({
        filters: [{ field: 'name', op: 'eq', value: 'ann' }],
        sort: { field: 'createdAt', direction: 'asc' },
        limit: 10,
      });
      assert.deepEqual(
        page.records.map((r) => r.id),
        [record(0).id, record(2).id],
      );
      assert.deepEqual((await connection.plan(grown)).steps, []);
    } finally {
      await connection.close();
    }
  });

  it('with a TTL, open turns on DynamoDB TTL by "ttl"; each item carries its seconds and the exact expiry the reads check', async () => {
    const proxy = await wireProxy(server.url);
    const connection = await dynamodbBackend.connect({ name: 'ttl', backend: 'dynamodb', url: proxy.url }, { dataDir: '' });
    const raw = rawClient();
    try {
      const spec = { ...smallSpec(), ttlSeconds: 60 };
      const store = await connection.open(spec);
      const wire = proxy.seen.join('');
      assert.match(wire, /DynamoDB_20120810\.UpdateTimeToLive/, 'asked for, though dynalite lacks the operation; open goes on');
      assert.match(wire, /"TimeToLiveSpecification":\{"Enabled":true,"AttributeName":"ttl"\}/);
      const before = Date.now();
      await store.create(record(7, { name: 'brief' }));
      const item = (await raw.send(new GetItemCommand({ TableName: tableName(spec), Key: { id: { S: record(7).id } } }))).Item;
      const exp = Number(item?.exp?.N);
      assert.ok(exp >= before + 60_000 && exp <= Date.now() + 60_000, 'expires 60 s after the write');
      assert.equal(Number(item?.ttl?.N), Math.ceil(exp / 1000), 'DynamoDB sweeps by whole seconds, never early');
    } finally {
      raw.destroy();
      await connection.close();
      await proxy.close();
    }
  });

  it("the URL's path prefixes the table names, so deployments can share an account", async () => {
    const staging = await dynamodbBackend.connect({ name: 'staging', backend: 'dynamodb', url: `${server.url}/staging` }, { dataDir: '' });
    const raw = rawClient();
    try {
      const spec = smallSpec();
      assert.equal((await staging.plan(spec)).target, `dynamodb table staging_${spec.collection}`);
      const written = await (await staging.open(spec)).create(record(5, { name: 'staged' }));
      const item = await raw.send(new GetItemCommand({ TableName: `staging_${spec.collection}`, Key: { id: { S: written.id } } }));
      assert.equal(item.Item?.id?.S, written.id);
      await assert.rejects(
        raw.send(new GetItemCommand({ TableName: tableName(spec), Key: { id: { S: written.id } } })),
        /ResourceNotFound/,
      );
    } finally {
      raw.destroy();
      await staging.close();
    }
    await assert.rejects(
      dynamodbBackend.connect({ name: 'odd', backend: 'dynamodb', url: `${server.url}/two%20words` }, { dataDir: '' }),
      (error) => error instanceof StorageError && /path is not a table name prefix/.test(error.message),
    );
  });

  it('an in filter merges one index partition per value into one order, paging by cursor both ways', async () => {
    const connection = await connect('in');
    try {
      const store = await connection.open({ ...contractSpec(), filterable: ['name', 'age'], sortable: ['createdAt', 'age'] });
      const records = variedRecords(60);
      await createAll(store, records);
      const filters = [{ field: 'name', op: 'in' as const, value: ['alpha', 'Zeta', '中文', '', 'nobody'] }];
      for (const sort of [
        { field: 'createdAt', direction: 'asc' as const },
        { field: 'createdAt', direction: 'desc' as const },
        { field: 'age', direction: 'asc' as const },
        { field: 'age', direction: 'desc' as const },
      ]) {
        const seen = await pageThrough(store, sort, 3, filters);
        assert.deepEqual(
          seen.map((r) => r.id),
          expectedOrder(records, sort, filters),
          `${sort.field} ${sort.direction}`,
        );
      }
      const counted = await store.list({ filters, sort: { field: 'age', direction: 'asc' }, limit: 1, count: true });
      assert.equal(counted.total, expectedOrder(records, { field: 'age', direction: 'asc' }, filters).length);
    } finally {
      await connection.close();
    }
  });

  it('ids are the partition key: a malformed or odd id is just absent', async () => {
    const connection = await connect('ids');
    try {
      const store = await connection.open(smallSpec());
      for (const id of ['#layout', '', ' ', 'x'.repeat(3000)]) {
        assert.equal(await store.get(id), undefined, JSON.stringify(id.slice(0, 9)));
        assert.equal((await store.getMany?.([id]))?.size, 0);
        assert.equal(await store.delete(id), false);
        assert.equal(await store.modify(id, (r) => r), undefined);
      }
    } finally {
      await connection.close();
    }
  });

  it('an unreachable endpoint is unavailable, fast, and names no url', async () => {
    const started = Date.now();
    await assert.rejects(
      dynamodbBackend.connect({ name: 'down', backend: 'dynamodb', url: 'http://127.0.0.1:1' }, { dataDir: '' }),
      (error) => {
        assert.ok(error instanceof StorageError);
        assert.equal(error.kind, 'unavailable');
        assert.match(error.message, /dynamodb connection "down" could not connect \(ECONNREFUSED\)/);
        assert.doesNotMatch(error.message, /127\.0\.0\.1/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
    await assert.rejects(
      dynamodbBackend.connect({ name: 'nourl', backend: 'dynamodb' }, { dataDir: '' }),
      (error) => error instanceof StorageError && /has no url/.test(error.message),
    );
  });
});

/**
 * A TCP proxy in front of dynalite that records what the client sends and, when armed,
 * lets the next PutItem reach the server but drops the connection instead of passing its
 * answer back: the write landed, the client never heard, and the SDK retries it.
 */
async function wireProxy(target: string): Promise<{ url: string; armed: { put: boolean }; seen: string[]; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  const armed = { put: false };
  const seen: string[] = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(port), hostname);
    let dropNextAnswer = false;
    client.on('data', (chunk) => {
      seen.push(String(chunk));
      if (armed.put && chunk.includes('DynamoDB_20120810.PutItem')) {
        armed.put = false;
        dropNextAnswer = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => (dropNextAnswer ? client.destroy() : client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    armed,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('dynamodb: a write whose answer is lost', { skip: server.skip }, () => {
  it('is retried by the SDK and reported as done, once: no false conflict, no double update', async () => {
    const proxy = await wireProxy(server.url);
    const connection = await dynamodbBackend.connect({ name: 'lossy', backend: 'dynamodb', url: proxy.url }, { dataDir: '' });
    try {
      const store = await connection.open(smallSpec());
      proxy.armed.put = true;
      const created = await store.create(record(1, { name: 'once', age: 0 }));
      assert.equal(proxy.armed.put, false, 'the answer to the create was dropped');
      assert.deepEqual(await store.get(created.id), created);
      proxy.armed.put = true;
      const changed = await store.modify(created.id, (r) => ({ ...r, age: (r.age as number) + 1 }));
      assert.equal(proxy.armed.put, false, 'the answer to the modify was dropped');
      assert.equal(changed?.age, 1);
      assert.equal((await store.get(created.id))?.age, 1, 'applied once');
    } finally {
      await connection.close();
      await proxy.close();
    }
  });
});

describe('dynamodb: servers opening the same automation at once', { skip: server.skip }, () => {
  it('both get the one table, and each sees what the other writes', async () => {
    const [a, b] = await Promise.all([connect('first'), connect('second')]);
    try {
      const spec = smallSpec();
      const [one, two] = await Promise.all([a.open(spec), b.open(spec)]);
      const written = await one.create(record(3, { name: 'shared' }));
      assert.deepEqual(await two.get(written.id), written);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

/**
 * An HTTP proxy in front of dynalite that answers the next `throttled.batches`
 * BatchGetItem requests itself, with every key unprocessed (what a throttled table
 * answers), and passes every other request through.
 */
async function throttlingProxy(target: string): Promise<{ url: string; throttled: { batches: number }; close: () => Promise<void> }> {
  const throttled = { batches: 0 };
  const server = createHttpServer((incoming, answer) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (incoming.headers['x-amz-target'] === 'DynamoDB_20120810.BatchGetItem' && throttled.batches > 0) {
        throttled.batches--;
        const { RequestItems } = JSON.parse(String(body)) as { RequestItems: Record<string, unknown> };
        const reply = JSON.stringify({
          Responses: Object.fromEntries(Object.keys(RequestItems).map((t) => [t, []])),
          UnprocessedKeys: RequestItems,
        });
        answer.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(reply) }).end(reply);
        return;
      }
      const upstream = httpRequest(
        new URL(incoming.url ?? '/', target),
        { method: incoming.method, headers: incoming.headers },
        (reply) => {
          answer.writeHead(reply.statusCode ?? 500, reply.headers);
          reply.pipe(answer);
        },
      );
      upstream.on('error', () => answer.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    throttled,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('dynamodb: getMany when DynamoDB leaves reads unprocessed', { skip: server.skip }, () => {
  it('retries them until read, and past the request timeout gives up as unavailable', async () => {
    const proxy = await throttlingProxy(server.url);
    const requestMs = 1500;
    const connection = await dynamodbBackend.connect(
      { name: 'throttled', backend: 'dynamodb', url: proxy.url },
      { dataDir: '', statementTimeoutMs: requestMs },
    );
    try {
      const store = await connection.open(smallSpec());
      const [one, two] = [record(1, { name: 'one' }), record(2, { name: 'two' })];
      await createAll(store, [one, two]);
      proxy.throttled.batches = 3;
      const found = await store.getMany?.([one.id, two.id]);
      assert.equal(proxy.throttled.batches, 0, 'three answers left every key unprocessed');
      assert.deepEqual(
        found,
        new Map([
          [one.id, one],
          [two.id, two],
        ]),
      );
      proxy.throttled.batches = Number.POSITIVE_INFINITY;
      const started = Date.now();
      await assert.rejects(
        store.getMany?.([one.id]) as Promise<unknown>,
        (error) => error instanceof StorageError && error.kind === 'unavailable',
      );
      const took = Date.now() - started;
      // Past the timeout by at most one request (a pause is never started that would end past it).
      assert.ok(took < 2 * requestMs, `gave up at the request timeout, not after 100 pauses (${took} ms)`);
    } finally {
      await connection.close();
      await proxy.close();
    }
  });
});
