import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { call, makeProject, type TestProject } from './support/project.ts';
import { redisServerGate } from './support/redis-server.ts';

/**
 * `storage.ttl` through HTTP (manifest.md: "Seconds a record lives after its last write
 * (create, update, replace); then it is gone from get and list"), on each backend that
 * declares it and runs here. The test waits on the store's own clock (that is what it
 * checks), polling with a deadline.
 */
const TTL_MS = 2000;
const redis = await redisServerGate();

const running: { server: RunningServer; project: TestProject }[] = [];
after(async () => {
  for (const { server, project } of running) {
    await server.close();
    project.remove();
  }
});

const backends: {
  backend: string;
  storage: string;
  connections: Record<string, { backend: string; url?: string }>;
  skip: string | false;
}[] = [
  { backend: 'memory', storage: 'backend: memory', connections: {}, skip: false },
  {
    backend: 'redis',
    storage: 'backend: redis, connection: rds',
    connections: { rds: { backend: 'redis', url: redis.url } },
    skip: redis.skip,
  },
];

for (const { backend, storage, connections, skip } of backends) {
  describe(`storage.ttl on ${backend}`, { skip }, () => {
    it('a record is served until its ttl after its last write, then gone from get, list and count; reads do not extend it', {
      timeout: 30_000,
    }, async () => {
      const name = `sessions-${process.pid}-${Date.now().toString(36)}`;
      const project = makeProject(
        {
          'sessions.yaml': `name: ${name}
description: Sessions that expire.
access: { public: true }
storage: { ${storage}, ttl: ${TTL_MS / 1000} }
schema:
  type: object
  required: [user]
  properties:
    user: { type: string, maxLength: 50 }
endpoints:
  - operation: list
    filters: [user]
  - operation: get
  - operation: create
  - operation: update
`,
        },
        connections,
      );
      const server = await listen(project.config(), silentLogger);
      running.push({ server, project });
      const path = `/${name}`;
      const created = performance.now();
      const idle = (await call(server.url, 'POST', path, { user: 'idle' })).json.data.id as string;
      const busy = (await call(server.url, 'POST', path, { user: 'busy' })).json.data.id as string;
      assert.equal((await call(server.url, 'GET', `${path}/${idle}`)).status, 200);
      assert.equal((await call(server.url, 'GET', `${path}?count=true`)).json.meta.count, 2);

      // Half-way through its life, `busy` is written again; `idle` is only read.
      await sleep(Math.max(0, created + TTL_MS / 2 - performance.now()));
      const touched = await call(server.url, 'PATCH', `${path}/${busy}`, { user: 'busy again' });
      assert.equal(touched.status, 200);
      const rewritten = performance.now();

      let goneAt: number | undefined;
      const deadline = created + TTL_MS + 3000;
      while (performance.now() < deadline) {
        const status = (await call(server.url, 'GET', `${path}/${idle}`)).status;
        if (status === 404) {
          goneAt = performance.now();
          break;
        }
        assert.equal(status, 200);
        await sleep(25);
      }
      assert.ok(goneAt !== undefined, `the idle record was still served ${TTL_MS + 3000} ms after its write`);
      // Its life started between `created` and the create's answer; 50 ms allows for the store's clock resolution.
      assert.ok(goneAt - created >= TTL_MS - 50, `gone after ${Math.round(goneAt - created)} ms, before its ttl of ${TTL_MS} ms`);
      assert.ok(goneAt - created <= TTL_MS + 1000, `still served ${Math.round(goneAt - created)} ms after its write (ttl ${TTL_MS} ms)`);

      assert.ok(performance.now() < rewritten + TTL_MS - 200, 'the check below runs well inside the rewritten record’s ttl');
      assert.equal((await call(server.url, 'GET', `${path}/${busy}`)).status, 200, 'written again: its ttl started over');
      const listed = await call(server.url, 'GET', `${path}?count=true`);
      assert.deepEqual(
        listed.json.data.map((r: { id: string }) => r.id),
        [busy],
      );
      assert.equal(listed.json.meta.count, 1);
      assert.deepEqual((await call(server.url, 'GET', `${path}?user=idle`)).json.data, [], 'nor through a filter index');

      let busyGone = false;
      while (!busyGone && performance.now() < rewritten + TTL_MS + 3000) {
        busyGone = (await call(server.url, 'GET', `${path}/${busy}`)).status === 404;
        if (!busyGone) await sleep(25);
      }
      assert.ok(busyGone, 'the rewritten record expires too, a ttl after its last write');
      assert.equal((await call(server.url, 'GET', `${path}?count=true`)).json.meta.count, 0);
    });
  });
}
