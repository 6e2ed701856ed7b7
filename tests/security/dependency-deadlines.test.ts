import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { StorageError } from '../../adapters/types.ts';
import { type Logger, silentLogger } from '../../engine/log.ts';
import { ConnectionPool } from '../../engine/registry/connections.ts';
import { AUDIT_SPEC, AuditLog } from '../../engine/security/audit-log.ts';
import { auditTable } from '../../engine/security/audit-table.ts';
import { KeyStore, SYSTEM_CONNECTION } from '../../engine/security/key-store.ts';
import { listen } from '../../engine/server/listen.ts';
import { contactsManifest } from '../support/contacts.ts';
import { freezableProxy } from '../support/freezable-proxy.ts';
import { postgresServerGate } from '../support/postgres-server.ts';
import { makeProject } from '../support/project.ts';
import { freePort, redisBinarySkip, startRedis } from '../support/redis-server.ts';

/** One request, timed; held past 10 s it is aborted and answers status 0. */
async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; code?: string }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const code = response.headers.get('content-type')?.includes('problem') ? JSON.parse(text).code : undefined;
    return { status: response.status, ms: performance.now() - started, ...(code ? { code } : {}) };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

const pg = await postgresServerGate();

describe('shared stores on the request path have deadlines far below the request', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });

  it('a frozen key store: an unknown key is a 503 at the 2 s deadline (not a hang); a key trusted in memory still serves', {
    skip: pg.skip,
  }, async (t) => {
    const target = new URL(pg.url);
    const proxy = await freezableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const through = new URL(pg.url);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    const locked = contactsManifest('people', '  backend: memory').replace('access: { public: true }\n', '');
    const project = makeProject({ 'people.yaml': locked }, { postgres: { backend: 'postgres', url: through.toString() } });
    const config = project.config();
    const pool = new ConnectionPool(config.connections, config.dataDir);
    const keys = await KeyStore.open(await pool.get(SYSTEM_CONNECTION));
    const seen = (await keys.create({ name: 'seen', scopes: ['people:read'] })).secret;
    const unseen = (await keys.create({ name: 'unseen', scopes: ['people:read'] })).secret;
    await pool.closeAll();
    const server = await listen(config, silentLogger);
    const get = (key: string) => timed(`${server.url}/people`, { headers: { authorization: `Bearer ${key}` } });
    try {
      assert.equal((await get(seen)).status, 200);
      // The key's first use is noted in the store (lastUsedAt) off the request path: let it finish,
      // so the lookup below goes to the pool's open connection, the one a frozen server never answers.
      await sleep(500);
      proxy.freeze();
      const trusted = await get(seen);
      const refused = await get(unseen);
      t.diagnostic(
        `key store frozen: unknown key answered ${refused.status} in ${refused.ms.toFixed(0)} ms; a key trusted in memory ${trusted.status} in ${trusted.ms.toFixed(1)} ms`,
      );
      assert.equal(refused.status, 503, 'the key cannot be checked: 503, never a hang');
      assert.equal(refused.code, 'storage-unavailable');
      assert.ok(refused.ms < 4500, `answered after ${refused.ms} ms (deadline 2000 ms; the request's is 20 s)`);
      assert.equal(trusted.status, 200);
      proxy.thaw();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await get(unseen)).status;
        if (status !== 200) await sleep(100);
      }
      assert.equal(status, 200, 'the key works once the store answers');
    } finally {
      proxy.thaw();
      await server.close();
      await proxy.close();
      project.remove();
    }
  });

  it('a frozen idempotency store (redis): a keyed write is a 503 with nothing written, and its key is free once the store is back', {
    skip: redisBinarySkip,
  }, async (t) => {
    const port = await freePort();
    const redis = await startRedis(port);
    children.push(redis);
    const project = makeProject(
      { 'notes.yaml': contactsManifest('notes', '  backend: memory') },
      { idem: { backend: 'redis', url: `redis://127.0.0.1:${port}` } },
    );
    const config = project.config();
    const server = await listen({ ...config, idempotency: { windowSeconds: 3600, store: 'idem' } }, silentLogger);
    const post = (key?: string) =>
      timed(`${server.url}/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify({ name: 'n', email: 'n@example.com' }),
      });
    const count = async () => (await (await fetch(`${server.url}/notes?count=true`)).json()).meta.count as number;
    const inspector = createClient({ url: `redis://127.0.0.1:${port}` });
    inspector.on('error', () => {});
    try {
      assert.equal((await post('warm-up')).status, 201);
      const before = await count();
      redis.kill('SIGSTOP');
      const refused = await post('frozen-key');
      const plain = await post();
      t.diagnostic(
        `idempotency store frozen: keyed write ${refused.status} in ${refused.ms.toFixed(0)} ms; unkeyed write ${plain.status} in ${plain.ms.toFixed(1)} ms`,
      );
      assert.equal(refused.status, 503);
      assert.equal(refused.code, 'storage-unavailable');
      assert.ok(refused.ms < 4500, `answered after ${refused.ms} ms (deadline 2000 ms; the request's is 20 s)`);
      assert.equal(plain.status, 201, 'a write without a key does not need the store');
      assert.equal(await count(), before + 1, 'the refused write wrote nothing');

      redis.kill('SIGCONT');
      await inspector.connect();
      await inspector.ping();
      // The claim the store took late is released: the retry runs, once.
      let retry = await post('frozen-key');
      for (let i = 0; i < 30 && retry.status === 409; i++) {
        await sleep(100);
        retry = await post('frozen-key');
      }
      assert.equal(retry.status, 201, JSON.stringify(retry));
      assert.equal((await post('frozen-key')).status, 201, 'and is replayed after');
      assert.equal(await count(), before + 2);
    } finally {
      redis.kill('SIGCONT');
      await inspector.close().catch(() => {});
      await server.close();
      project.remove();
    }
  });
});

describe('the audit log while the system store cannot be written', () => {
  it('says so once when entries start waiting and once when they are written, whatever the number of retries; nothing is lost', async () => {
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const capture: Logger = {
      info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
      warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
      error: (message, fields) => lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
    };
    const project = makeProject({});
    const pool = new ConnectionPool(new Map([['memory', { name: 'memory', backend: 'memory' }]]), project.dataDir);
    const store = await (await pool.get('memory')).open(AUDIT_SPEC);
    let down = true;
    // The real store, behind a switch that makes every write fail as an unreachable store does.
    const switched = {
      ...store,
      list: store.list.bind(store),
      create: (record: Parameters<typeof store.create>[0]) =>
        down
          ? Promise.reject(new StorageError('unavailable', 'postgres connection "postgres" is unavailable (ECONNREFUSED)'))
          : store.create(record),
    };
    const audit = new AuditLog(async () => auditTable(switched as typeof store), capture);
    // The log's retry timer does not hold the process open (by design); this test does.
    const alive = setInterval(() => {}, 1000);
    try {
      for (let i = 0; i < 5; i++) audit.record({ actor: 'engine', action: 'create', outcome: 'ok' });
      // Retries once a second: three of them fail.
      await sleep(3200);
      for (let i = 0; i < 5; i++) audit.record({ actor: 'engine', action: 'create', outcome: 'ok' });
      down = false;
      await audit.flush();
      assert.deepEqual(
        lines.map((l) => [l.level, l.message]),
        [
          ['warn', 'audit entries wait: the system store cannot be written'],
          ['warn', 'audit entries are written again'],
        ],
      );
      assert.equal(lines[1]?.fields?.waiting, 10);
      assert.equal((await audit.list({ limit: 100 })).length, 10, 'every entry was written');
    } finally {
      clearInterval(alive);
      await pool.closeAll();
      project.remove();
    }
  });
});
