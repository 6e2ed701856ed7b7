import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { call, makeProject, type TestProject } from './support/project.ts';
import { redisServerGate } from './support/redis-server.ts';

/**
 * Idempotency-Key through real servers: a retried create or update with the same key and
 * body gets the first answer and writes nothing again; another body is a 422; keys are
 * shared by every instance when kept in Redis, and forgotten after the window.
 */
const manifest = (storage: string) => `name: orders
description: Orders.
access: { public: true }
storage: { ${storage} }
schema:
  type: object
  required: [item]
  properties:
    item: { type: string, description: What is ordered. }
    quantity: { type: integer, minimum: 1, default: 1, description: How many. }
endpoints:
  - operation: list
  - operation: create
  - operation: update
`;

const redis = await redisServerGate();
const running: { server: RunningServer; project: TestProject }[] = [];
after(async () => {
  for (const { server, project } of running) {
    await server.close();
    project.remove();
  }
});

async function start(
  storage = 'backend: memory',
  idempotency: { windowSeconds: number; store?: string } = { windowSeconds: 86_400 },
  connections = {},
) {
  const project = makeProject({ 'orders.yaml': manifest(storage) }, connections);
  const server = await listen({ ...project.config(), idempotency }, silentLogger);
  running.push({ server, project });
  return server;
}

const count = async (server: RunningServer) => (await call(server.url, 'GET', '/orders?limit=100')).json.data.length as number;

describe('Idempotency-Key', () => {
  it('a retried create returns the first answer and writes nothing again; another body is a 422', async () => {
    const project = makeProject({ 'orders.yaml': manifest('backend: memory') });
    const server = await listen({ ...project.config(), audit: { enabled: true } }, silentLogger);
    running.push({ server, project });
    const key = { 'idempotency-key': 'order-7f3a' };
    const first = await call(server.url, 'POST', '/orders', { item: 'pen' }, key);
    assert.equal(first.status, 201);
    const again = await call(server.url, 'POST', '/orders', { item: 'pen' }, key);
    assert.equal(again.status, 201);
    assert.deepEqual(again.json, first.json, 'the same record, same id');
    // Each answer names its own audit entry, the replay too.
    assert.match(again.headers.get('x-request-id') ?? '', /^[\w.:-]+$/);
    assert.notEqual(again.headers.get('x-request-id'), first.headers.get('x-request-id'));
    // Both are audited, with the record's id: the replay says it wrote nothing.
    const created = (await server.engine.audit.list({ automation: 'orders' })).filter((e) => e.action === 'create');
    assert.deepEqual(
      created.map((e) => [e.recordId, e.outcome, e.detail, e.requestId]),
      [
        [first.json.data.id, 'ok', 'idempotent replay', again.headers.get('x-request-id')],
        [first.json.data.id, 'ok', undefined, first.headers.get('x-request-id')],
      ],
    );
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('location'), first.headers.get('location'));
    assert.equal(again.headers.get('etag'), first.headers.get('etag'));
    assert.equal(await count(server), 1);

    const other = await call(server.url, 'POST', '/orders', { item: 'ink' }, key);
    assert.equal(other.status, 422);
    assert.equal(other.json.code, 'idempotency-key-reused');
    assert.equal((await call(server.url, 'POST', '/orders', { item: 'ink' }, { 'idempotency-key': 'order-8b1c' })).status, 201);
    assert.equal(await count(server), 2);
  });

  it('a retried update applies once; a failed first attempt leaves the key free', async () => {
    const server = await start();
    const created = (await call(server.url, 'POST', '/orders', { item: 'pen' })).json.data;
    const path = `/orders/${created.id}`;
    const invalid = await call(server.url, 'PATCH', path, { quantity: 0 }, { 'idempotency-key': 'fix-1' });
    assert.equal(invalid.status, 422);
    const fixed = await call(server.url, 'PATCH', path, { quantity: 3 }, { 'idempotency-key': 'fix-1' });
    assert.equal(fixed.status, 200, 'the key was not kept by the failed attempt');
    // A change made in between is not undone by a replay.
    await call(server.url, 'PATCH', path, { quantity: 5 });
    const replay = await call(server.url, 'PATCH', path, { quantity: 3 }, { 'idempotency-key': 'fix-1' });
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.json.data.quantity, 3, 'the first answer');
    assert.equal((await call(server.url, 'GET', '/orders')).json.data[0].quantity, 5, 'written once');
  });

  it('concurrent requests with one key write one record', async () => {
    const server = await start();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => call(server.url, 'POST', '/orders', { item: 'pen' }, { 'idempotency-key': 'burst' })),
    );
    const statuses = answers.map((a) => a.status);
    assert.ok(
      statuses.every((s) => s === 201 || s === 409),
      statuses.join(','),
    );
    for (const a of answers.filter((x) => x.status === 409)) {
      assert.equal(a.json.code, 'idempotency-in-progress');
      assert.equal(a.headers.get('retry-after'), '1');
    }
    assert.equal(await count(server), 1);
  });

  it('a key that is not printable ASCII is a 400', async () => {
    const server = await start();
    const bad = await call(server.url, 'POST', '/orders', { item: 'pen' }, { 'idempotency-key': 'two words' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'invalid-header');
    assert.equal(await count(server), 0);
  });

  it('past the window a key writes again (the system store)', async () => {
    const server = await start('backend: memory', { windowSeconds: 1 });
    const key = { 'idempotency-key': 'short-lived' };
    assert.equal((await call(server.url, 'POST', '/orders', { item: 'pen' }, key)).status, 201);
    await sleep(1100);
    const later = await call(server.url, 'POST', '/orders', { item: 'pen' }, key);
    assert.equal(later.headers.get('idempotent-replayed'), null);
    assert.equal(await count(server), 2);
  });

  it('kept in Redis, keys are shared by two instances and expire there', { skip: redis.skip }, async () => {
    const name = `orders-${Date.now()}`;
    const connections = { rds: { backend: 'redis', url: redis.url } };
    const options = { windowSeconds: 1, store: 'rds' };
    const storage = 'backend: redis, connection: rds';
    const a = await start(storage, options, connections);
    const b = await start(storage, options, connections);
    const key = { 'idempotency-key': name };
    const first = await call(a.url, 'POST', '/orders', { item: 'pen' }, key);
    const second = await call(b.url, 'POST', '/orders', { item: 'pen' }, key);
    assert.equal(second.headers.get('idempotent-replayed'), 'true', 'the other instance knew the key');
    assert.equal(second.json.data.id, first.json.data.id);
    await sleep(1300);
    const later = await call(b.url, 'POST', '/orders', { item: 'pen' }, key);
    assert.equal(later.headers.get('idempotent-replayed'), null, 'Redis expired it');
    assert.notEqual(later.json.data.id, first.json.data.id);
  });
});
