import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordStore } from '../adapters/types.ts';
import { IDEMPOTENCY_SPEC } from '../engine/http/idempotency.ts';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { cuttableProxy } from './support/cuttable-proxy.ts';
import { freezableProxy } from './support/freezable-proxy.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

/**
 * Idempotency-Key between callers and across a request that died: the same key value
 * sent with two API keys makes two records, and neither caller is ever answered with the
 * other's record; a claim left pending by a request that ended without releasing it is
 * a 409 until it is 5 minutes old, then the next retry takes it over and writes once.
 */
const manifest = (name: string, access: string, storage = 'backend: memory') => `name: ${name}
description: Orders.
${access}storage: { ${storage} }
schema:
  type: object
  required: [item]
  properties:
    item: { type: string, description: What is ordered. }
endpoints:
  - operation: list
  - operation: create
  - operation: update
`;

const running: { server: RunningServer; project: TestProject }[] = [];
after(async () => {
  for (const { server, project } of running) {
    await server.close();
    project.remove();
  }
});

async function start(
  manifests: Record<string, string>,
  connections = {},
  idempotency: { windowSeconds: number; store?: string } = { windowSeconds: 86_400 },
) {
  const project = makeProject(manifests, connections);
  const server = await listen({ ...project.config(), idempotency }, silentLogger);
  running.push({ server, project });
  return server;
}

async function newKey(server: RunningServer, scopes: string[]): Promise<Record<string, string>> {
  const made = await call(server.url, 'POST', '/admin/keys', { name: `idempotency ${scopes.join(',')}`, scopes }, adminHeaders(server));
  assert.equal(made.status, 201, made.text);
  return { authorization: `Bearer ${made.json.secret}` };
}

const pg = await postgresServerGate();
/** Keys and claims in the system store: on the PostgreSQL server when there is one (embedded PGlite takes long to create). */
const system = pg.skip ? {} : { postgres: { backend: 'postgres', url: pg.url } };

describe('Idempotency-Key: one value from two API keys', () => {
  it('each key gets its own record and its own replays; the other key’s use is not a 422 either', async () => {
    const server = await start({ 'orders.yaml': manifest('orders', '') }, system);
    const alice = await newKey(server, ['orders:*']);
    const bob = await newKey(server, ['orders:*']);
    const key = { 'idempotency-key': 'order-2024-0001' };
    const a = await call(server.url, 'POST', '/orders', { item: 'pen' }, { ...alice, ...key });
    assert.equal(a.status, 201);
    const b = await call(server.url, 'POST', '/orders', { item: 'pen' }, { ...bob, ...key });
    assert.equal(b.status, 201);
    assert.equal(b.headers.get('idempotent-replayed'), null, "bob is not answered with alice's record");
    assert.notEqual(b.json.data.id, a.json.data.id);
    const other = await call(server.url, 'POST', '/orders', { item: 'ink' }, { ...bob, 'idempotency-key': 'order-2024-0002' });
    const otherAlice = await call(server.url, 'POST', '/orders', { item: 'paper' }, { ...alice, 'idempotency-key': 'order-2024-0002' });
    assert.equal(otherAlice.status, 201, "another body under a value bob used: alice learns nothing of bob's use");
    assert.equal(other.status, 201);

    const againA = await call(server.url, 'POST', '/orders', { item: 'pen' }, { ...alice, ...key });
    const againB = await call(server.url, 'POST', '/orders', { item: 'pen' }, { ...bob, ...key });
    assert.equal(againA.headers.get('idempotent-replayed'), 'true');
    assert.equal(againB.headers.get('idempotent-replayed'), 'true');
    assert.equal(againA.json.data.id, a.json.data.id, 'alice replays her own answer');
    assert.equal(againB.json.data.id, b.json.data.id, 'bob replays his own answer');
    const patchA = await call(server.url, 'PATCH', `/orders/${a.json.data.id}`, { item: 'pencil' }, { ...alice, 'idempotency-key': 'fix' });
    const patchB = await call(server.url, 'PATCH', `/orders/${b.json.data.id}`, { item: 'pencil' }, { ...bob, 'idempotency-key': 'fix' });
    assert.equal(patchA.status, 200);
    assert.equal(patchB.status, 200, 'an update with a value another key used on another record runs');
    assert.equal(patchB.json.data.id, b.json.data.id);
    const all = await call(server.url, 'GET', '/orders?limit=100', undefined, alice);
    assert.equal(all.json.data.length, 4, 'pen twice, ink, paper');
  });
});

describe('Idempotency-Key: a claim its request left behind', { skip: pg.skip }, () => {
  it('is a 409 while recent, and taken over by the next retry once 5 minutes old: one record is written', { timeout: 60_000 }, async () => {
    const name = `orders-${process.pid}-${Date.now().toString(36)}`;
    const target = new URL(pg.url);
    const host = { host: target.hostname, port: Number(target.port || 5432) };
    // Server A reaches the records through a proxy that freezes, and the claims through one that can be cut.
    const records = await freezableProxy(host);
    const claims = await cuttableProxy(host);
    const via = (port: number) => Object.assign(new URL(pg.url), { host: `127.0.0.1:${port}` }).toString();
    const storage = 'backend: postgres, connection: recs';
    const a = await start(
      { 'orders.yaml': manifest(name, 'access: { public: true }\n', storage) },
      { recs: { backend: 'postgres', url: via(records.port) }, idem: { backend: 'postgres', url: via(claims.port) } },
      { windowSeconds: 86_400, store: 'idem' },
    );
    // Server B reaches both directly: the same tables.
    const b = await start(
      { 'orders.yaml': manifest(name, 'access: { public: true }\n', storage) },
      { recs: { backend: 'postgres', url: pg.url }, idem: { backend: 'postgres', url: pg.url } },
      { windowSeconds: 86_400, store: 'idem' },
    );
    try {
      const kept: RecordStore = await (await b.engine.connections.get('idem')).open(IDEMPOTENCY_SPEC);
      const since = new Date().toISOString();
      const key = { 'idempotency-key': `abandoned-${name}` };
      records.freeze();
      const first = call(a.url, 'POST', `/${name}`, { item: 'pen' }, key);
      // A has claimed the key and waits on its write.
      let claim: Awaited<ReturnType<RecordStore['get']>>;
      const deadline = Date.now() + 10_000;
      while (!claim && Date.now() < deadline) {
        const { records: recent } = await kept.list({ filters: [], sort: { field: 'createdAt', direction: 'desc' }, limit: 20 });
        claim = recent.find((r) => r.createdAt >= since && r.state === 'pending');
        if (!claim) await sleep(20);
      }
      assert.ok(claim, 'server A claimed the key');
      // A's request dies: its store goes away mid-write, and so does the store it would release the claim in.
      await claims.cut();
      await records.close();
      assert.equal((await first).status, 503);
      assert.equal((await kept.get(claim.id))?.state, 'pending', 'the claim was left behind');

      const retry = () => call(b.url, 'POST', `/${name}`, { item: 'pen' }, key);
      const recent = await retry();
      assert.equal(recent.status, 409, recent.text);
      assert.equal(recent.json.code, 'idempotency-in-progress');
      const age = async (ms: number) => {
        const at = new Date(Date.now() - ms).toISOString();
        await kept.modify(claim.id, (r) => ({ ...r, updatedAt: at }));
      };
      await age(4 * 60_000);
      assert.equal((await retry()).status, 409, 'four minutes old: still taken to be running');
      await age(5 * 60_000 + 1000);
      const takeover = await retry();
      assert.equal(takeover.status, 201, takeover.text);
      assert.equal(takeover.headers.get('idempotent-replayed'), null);
      const replay = await retry();
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.json.data.id, takeover.json.data.id);
      const list = await call(b.url, 'GET', `/${name}?limit=10`);
      assert.deepEqual(
        list.json.data.map((r: { id: string }) => r.id),
        [takeover.json.data.id],
        'written once: the dead request wrote nothing, the takeover wrote one record',
      );
    } finally {
      await claims.close();
      await records.close().catch(() => {});
    }
  });
});
