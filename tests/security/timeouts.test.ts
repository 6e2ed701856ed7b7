import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { silentLogger } from '../../engine/log.ts';
import { listen } from '../../engine/server/listen.ts';
import { contactsManifest } from '../support/contacts.ts';
import { postgresServerGate } from '../support/postgres-server.ts';
import { call, makeProject } from '../support/project.ts';
import { freePort, redisBinarySkip, startRedis } from '../support/redis-server.ts';

/**
 * A store that stops answering must not leave the caller waiting: the request ends in a
 * 504 `timeout` within `server.requestTimeoutSeconds`, saying whether a write was
 * cancelled or may still apply, and the server keeps serving.
 */
const pg = await postgresServerGate();

describe('statement timeout on a PostgreSQL server', { skip: pg.skip }, () => {
  it('a statement blocked by a lock held elsewhere is cancelled: 504 within the timeout, nothing written', async () => {
    const name = `slow-${randomBytes(4).toString('hex')}`;
    const table = name.replace(/-/g, '_');
    const project = makeProject(
      { 'slow.yaml': contactsManifest(name, '  backend: postgres\n  connection: pgserver') },
      { pgserver: { backend: 'postgres', url: pg.url } },
    );
    const config = project.config();
    const server = await listen({ ...config, server: { ...config.server, requestTimeoutSeconds: 1 } }, silentLogger);
    const other = postgres(pg.url, { max: 1, onnotice: () => {} });
    let release = () => {};
    try {
      assert.equal((await call(server.url, 'POST', `/${name}`, { name: 'a', email: 'a@example.com' })).status, 201);
      // Another session holds the table: every statement of the engine on it waits for the lock.
      const locked = new Promise<void>((resolve) => {
        const held = new Promise<void>((done) => {
          release = done;
        });
        void other.begin(async (tx) => {
          await tx.unsafe(`lock table "${table}" in access exclusive mode`);
          resolve();
          await held;
        });
      });
      await locked;

      for (const [method, body] of [
        ['GET', undefined],
        ['POST', { name: 'b', email: 'b@example.com' }],
      ] as const) {
        const started = Date.now();
        const answer = await call(server.url, method, `/${name}`, body);
        const took = Date.now() - started;
        assert.equal(answer.status, 504, `${method}: ${answer.text}`);
        assert.equal(answer.json.code, 'timeout');
        assert.match(answer.json.detail, /cancelled .*nothing was changed/);
        assert.equal(answer.headers.get('retry-after'), '5');
        assert.ok(took < 3000, `${method} answered after ${took} ms`);
      }
      assert.equal((await call(server.url, 'GET', '/health')).status, 200, 'the server still answers');

      release();
      await sleep(50);
      const list = await call(server.url, 'GET', `/${name}`);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json.data.map((r: { name: string }) => r.name),
        ['a'],
        'the cancelled create wrote nothing',
      );
    } finally {
      release();
      await server.close();
      await other.unsafe(`drop table if exists "${table}"`).catch(() => {});
      await other.end({ timeout: 1 });
      project.remove();
    }
  });
});

describe('request deadline on a store that stops answering (redis, paused)', { skip: redisBinarySkip }, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('reads and writes get 504 at the deadline; a write that applies later is audited as such', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    children.push(redis);
    const project = makeProject(
      { 'kv.yaml': contactsManifest('kv', '  backend: redis\n  connection: own') },
      { own: { backend: 'redis', url: `redis://127.0.0.1:${port}` } },
    );
    const config = project.config();
    const server = await listen(
      { ...config, audit: { enabled: true }, server: { ...config.server, requestTimeoutSeconds: 0.5 } },
      silentLogger,
    );
    try {
      assert.equal((await call(server.url, 'POST', '/kv', { name: 'a', email: 'a@example.com' })).status, 201);
      // The audit's embedded store opens on the first entry, holding the thread a moment: not inside the timing below.
      await server.engine.audit.flush();
      // A stopped process accepts nothing and refuses nothing: the client just waits.
      redis.kill('SIGSTOP');
      const started = Date.now();
      const read = await call(server.url, 'GET', '/kv');
      assert.equal(read.status, 504, read.text);
      assert.equal(read.json.code, 'timeout');
      assert.match(read.json.detail, /did not answer within 0\.5 s; retry/);
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);

      const write = await call(server.url, 'POST', '/kv', { name: 'b', email: 'b@example.com' });
      assert.equal(write.status, 504, write.text);
      assert.match(write.json.detail, /the write may still be applied: read the record/);
      assert.equal((await call(server.url, 'GET', '/health')).status, 200, 'the server still answers');

      redis.kill('SIGCONT');
      // The queued write reaches the store once it answers again, as the 504 warned.
      let names: string[] = [];
      for (let i = 0; i < 50 && names.length < 2; i++) {
        await sleep(100);
        const list = await call(server.url, 'GET', '/kv');
        if (list.status === 200) names = list.json.data.map((r: { name: string }) => r.name).sort();
      }
      assert.deepEqual(names, ['a', 'b']);
      await server.engine.audit.flush();
      const creates = (await server.engine.audit.list({ automation: 'kv' })).filter((e) => e.action === 'create').reverse();
      assert.deepEqual(
        creates.map((e) => [e.outcome, e.status ?? null, e.detail ?? null]),
        [
          ['ok', 201, null],
          ['failed', 504, 'timeout'],
          ['ok', 201, 'completed after timeout'],
        ],
      );
      assert.equal(creates[1]?.requestId, creates[2]?.requestId, 'both entries of the late write share its request id');
    } finally {
      redis.kill('SIGCONT');
      await server.close();
      project.remove();
    }
  });
});
