import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, silentLogger } from '../engine/log.ts';
import { RETRY_DELAYS_MS } from '../engine/server/engine.ts';
import { listen } from '../engine/server/listen.ts';
import { contactsManifest } from './support/contacts.ts';
import { adminHeaders, call, makeProject } from './support/project.ts';
import { freePort, redisBinarySkip, startRedis } from './support/redis-server.ts';

// This test runs its own Redis, so it can stop it; without the binary it says so and skips.
describe('redis: the store drops mid-traffic', { skip: redisBinarySkip }, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('requests get 503 with Retry-After while it is down, and succeed again once it is back, without restart', async () => {
    const port = await freePort();
    children.push(await startRedis(port));
    const project = makeProject(
      { 'kv.yaml': contactsManifest('kv', '  backend: redis\n  connection: own') },
      { own: { backend: 'redis', url: `redis://127.0.0.1:${port}` } },
    );
    const server = await listen(project.config(), silentLogger);
    try {
      assert.equal((await call(server.url, 'POST', '/kv', { name: 'a', email: 'a@example.com' })).status, 201);
      children[0]?.kill('SIGKILL');
      await sleep(200);
      const down = await call(server.url, 'GET', '/kv');
      assert.equal(down.status, 503, down.text);
      assert.equal(down.json.code, 'storage-unavailable');
      assert.equal(down.headers.get('retry-after'), '5');
      assert.doesNotMatch(down.text, new RegExp(String(port)), 'no address in the answer');
      const health = (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json;
      assert.equal(health.connections.find((c: { name: string }) => c.name === 'own').state, 'down');

      children.push(await startRedis(port));
      const deadline = Date.now() + 10_000;
      let back = 0;
      while (back !== 201 && Date.now() < deadline) {
        await sleep(100);
        back = (await call(server.url, 'POST', '/kv', { name: 'b', email: 'b@example.com' })).status;
      }
      assert.equal(back, 201, 'writes succeed again once the server is back');
      assert.equal((await call(server.url, 'GET', '/kv')).status, 200);
    } finally {
      await server.close();
      project.remove();
    }
  });

  it('down at start: its automation answers 503 while the others serve, and serves once the store is up, without restart', async () => {
    const port = await freePort();
    const project = makeProject(
      {
        'kv.yaml': contactsManifest('kv', '  backend: redis\n  connection: own'),
        'notes.yaml': contactsManifest('notes', '  backend: memory'),
      },
      { own: { backend: 'redis', url: `redis://127.0.0.1:${port}` } },
    );
    const first = RETRY_DELAYS_MS.first;
    RETRY_DELAYS_MS.first = 200;
    const server = await listen(project.config(), silentLogger);
    try {
      assert.equal((await call(server.url, 'GET', '/notes')).status, 200, 'the other automations serve');
      const down = await call(server.url, 'GET', '/kv');
      assert.equal(down.status, 503, down.text);
      assert.equal(down.json.code, 'storage-unavailable');
      assert.equal(down.headers.get('retry-after'), '5');
      assert.match(down.json.detail, /keeps retrying/);
      const health = (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json;
      assert.equal(health.automations.find((a: { name: string }) => a.name === 'kv').state, 'unavailable');

      children.push(await startRedis(port));
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (status !== 201 && Date.now() < deadline) {
        await sleep(100);
        status = (await call(server.url, 'POST', '/kv', { name: 'c', email: 'c@example.com' })).status;
      }
      assert.equal(status, 201, 'the automation serves once its store answers');
      const healed = (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json;
      assert.equal(healed.automations.find((a: { name: string }) => a.name === 'kv').state, 'serving');
    } finally {
      RETRY_DELAYS_MS.first = first;
      await server.close();
      project.remove();
    }
  });

  it('logs stay readable: one warning when the outage starts and one when it ends, with how many requests got 503', async (t) => {
    const port = await freePort();
    children.push(await startRedis(port));
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const capture: Logger = {
      info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
      warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
      error: (message, fields) => lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
    };
    const project = makeProject(
      { 'kv.yaml': contactsManifest('kv', '  backend: redis\n  connection: own') },
      { own: { backend: 'redis', url: `redis://127.0.0.1:${port}` } },
    );
    const server = await listen(project.config(), capture);
    try {
      assert.equal((await call(server.url, 'POST', '/kv', { name: 'a', email: 'a@example.com' })).status, 201);
      const before = lines.length;
      // Ten clients read as fast as they can for the whole outage and a little after.
      const statuses = new Map<number, number>();
      let running = true;
      const client = async () => {
        while (running) {
          const { status } = await call(server.url, 'GET', '/kv');
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      const load = Array.from({ length: 10 }, client);
      await sleep(300);
      children.at(-1)?.kill('SIGKILL');
      await sleep(3000);
      children.push(await startRedis(port));
      const deadline = Date.now() + 15_000;
      while (!lines.some((l) => l.message === 'redis connection "own" is back') && Date.now() < deadline) await sleep(100);
      await sleep(300);
      running = false;
      await Promise.all(load);
      const outage = lines.slice(before);
      t.diagnostic(`statuses under load: ${JSON.stringify([...statuses])}; log lines during the outage: ${outage.length}`);
      t.diagnostic(outage.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`).join(' | '));
      const answered503 = statuses.get(503) ?? 0;
      assert.ok(answered503 > 50, `the outage was felt under load: ${answered503} answers 503`);
      assert.deepEqual(
        outage.map((l) => [l.level, l.message]),
        [
          ['warn', 'redis connection "own" is unavailable: requests that need it answer 503 until it answers again'],
          ['warn', 'redis connection "own" is back'],
        ],
      );
      assert.equal(outage[1]?.fields?.answered503, answered503, 'the end line counts every 503');
      assert.ok(Number(outage[1]?.fields?.outageSeconds) >= 2.5, JSON.stringify(outage[1]?.fields));
      assert.doesNotMatch(JSON.stringify(outage), new RegExp(String(port)), 'no address in the log');
    } finally {
      await server.close();
      project.remove();
    }
  });
});
