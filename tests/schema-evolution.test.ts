import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../engine/cli/logger.ts';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { holdRequest } from './support/held-request.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

const BIN = fileURLToPath(new URL('../bin/council.mjs', import.meta.url));

/** A postgres manifest; `properties` lines go under `properties:`, `storage` lines under `storage:`. */
function manifest(name: string, properties: string, storage = ''): string {
  return `name: ${name}
description: Schema evolution tests.
storage:
  backend: postgres
  connection: pg
${storage}schema:
  type: object
  additionalProperties: false
  properties:
    title: { type: string }
${properties}endpoints:
  - operation: list
    filters: [title]
  - operation: get
  - operation: create
access: { public: true }
`;
}

async function until(check: () => Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(15);
  }
}

/** Schema evolution on reload, through the watcher and real HTTP, on one kind of PostgreSQL. */
function evolution(label: string, pg: { url?: string; skip?: string | false }) {
  describe(`schema evolution on ${label}`, { skip: pg.skip ?? false }, () => {
    const projects: { project: TestProject; server: RunningServer }[] = [];
    after(async () => {
      for (const { project, server } of projects) {
        await server.close();
        project.remove();
      }
    });

    async function start(text: (name: string) => string) {
      const name = `evo${Math.random().toString(36).slice(2, 8)}`;
      const project = makeProject({ 'evo.yaml': text(name) }, { pg: { backend: 'postgres', url: pg.url ?? '' } });
      const server = await listen(
        project.config(),
        process.env.DEBUG_EVO ? createLogger({ level: 'info', format: 'pretty', destination: 2 }) : silentLogger,
        { watch: {} },
      );
      projects.push({ project, server });
      const automation = async () =>
        (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json.automations.find(
          (a: { name?: string }) => a.name === name,
        );
      const failure = () => server.engine.registry.failureOf(join(project.automations, 'evo.yaml'));
      const registry = server.engine.registry;
      const swapped = async (from: unknown) => until(async () => registry.match(name) !== from, 'the new version serving');
      return {
        name,
        project,
        url: server.url,
        automation,
        failure,
        registry,
        swapped,
        connections: server.engine.connections,
        save: (t: string) => project.write('evo.yaml', t),
      };
    }

    it('an added optional property becomes a column; existing records are untouched', async () => {
      const t = await start((n) => manifest(n, ''));
      const old = await call(t.url, 'POST', `/${t.name}`, { title: 'before' });
      t.save(manifest(t.name, '    priority: { type: integer }\n'));
      await until(
        async () => (await call(t.url, 'POST', `/${t.name}`, { title: 'after', priority: 2 })).status === 201,
        'priority accepted',
      );
      assert.deepEqual((await call(t.url, 'GET', `/${t.name}/${old.json.data.id}`)).json.data, old.json.data);
    });

    it('removing a property with values is refused (the old version serves) until the manifest lists it under drop', async () => {
      const t = await start((n) => manifest(n, '    legacy: { type: string }\n'));
      const record = await call(t.url, 'POST', `/${t.name}`, { title: 'x', legacy: 'keep me?' });
      t.save(manifest(t.name, ''));
      await until(async () => (await t.automation())?.state === 'degraded', 'degraded');
      const degraded = await t.automation();
      assert.match(
        degraded.errors[0],
        /evo\.yaml:3:1: storage "pg" refused the change: property "legacy" was removed but its column still holds values/,
      );
      assert.deepEqual(
        t.failure()?.issues.map((i) => [i.code, i.line, i.col]),
        [['storage-change-refused', 3, 1]],
      );
      assert.equal((await call(t.url, 'GET', `/${t.name}/${record.json.data.id}`)).json.data.legacy, 'keep me?', 'nothing was dropped');
      assert.equal((await call(t.url, 'POST', `/${t.name}`, { title: 'y', legacy: 'old version' })).status, 201, 'the old version serves');

      t.save(manifest(t.name, '', '  migrations:\n    drop: [legacy]\n'));
      await until(async () => (await t.automation())?.state === 'serving', 'serving after drop');
      assert.equal((await call(t.url, 'GET', `/${t.name}/${record.json.data.id}`)).json.data.legacy, undefined);
      assert.equal((await call(t.url, 'POST', `/${t.name}`, { title: 'z', legacy: 'x' })).status, 422);
    });

    it('a reload that drops a column drops it only after the requests in flight on the old version are done', async () => {
      const t = await start((n) => manifest(n, '    qty: { type: integer }\n'));
      const old = t.registry.match(t.name);
      assert.ok(old);
      const connection = await t.connections.get('pg');
      const qtyMissing = async () => (await connection.plan(old.plan.storage.spec)).steps.some((s) => s.why.startsWith('new property qty'));
      const held = await holdRequest(t.url, 'POST', `/${t.name}`, { title: 'in flight' });
      t.save(manifest(t.name, ''));
      await t.swapped(old);
      assert.equal(old.traffic.active, 1, 'the request is still in flight on the old version');
      assert.equal((await call(t.url, 'POST', `/${t.name}`, { title: 'new version' })).status, 201, 'the new version serves meanwhile');
      assert.equal(await qtyMissing(), false, 'the column stays while the old version may use it');
      const done = await held.release();
      assert.equal(done.status, 201, `the request in flight is not broken by the change: ${done.text}`);
      await until(qtyMissing, 'the column dropped once the old version drained');
      assert.equal((await t.automation())?.state, 'serving');
    });

    it('a drop waits for every older version still in flight, not only the one it replaces', async () => {
      const t = await start((n) => manifest(n, '    qty: { type: integer }\n'));
      const first = t.registry.match(t.name);
      assert.ok(first);
      const connection = await t.connections.get('pg');
      const qtyMissing = async () =>
        (await connection.plan(first.plan.storage.spec)).steps.some((s) => s.why.startsWith('new property qty'));
      const held = await holdRequest(t.url, 'POST', `/${t.name}`, { title: 'in flight on the first version' });
      t.save(manifest(t.name, '    qty: { type: integer }\n    note: { type: string }\n'));
      await t.swapped(first);
      const second = t.registry.match(t.name);
      t.save(manifest(t.name, '    note: { type: string }\n'));
      await t.swapped(second);
      await sleep(300);
      assert.equal(await qtyMissing(), false, 'the column stays while the first version may still use it');
      const done = await held.release();
      assert.equal(done.status, 201, `the request in flight is not broken by the change: ${done.text}`);
      await until(qtyMissing, 'the column dropped once every older version drained');
    });

    it('values written to a column while the old version drains keep the column, and the old version serves again', async () => {
      const t = await start((n) => manifest(n, '    qty: { type: integer }\n'));
      const old = t.registry.match(t.name);
      const held = await holdRequest(t.url, 'POST', `/${t.name}`, { title: 'in flight', qty: 5 });
      t.save(manifest(t.name, ''));
      await t.swapped(old);
      const done = await held.release();
      assert.equal(done.status, 201, `the request in flight is not broken by the change: ${done.text}`);
      await until(async () => (await t.automation())?.state === 'degraded', 'degraded');
      assert.equal(t.registry.match(t.name), old, 'the previous version serves again');
      assert.deepEqual(
        t.failure()?.issues.map((i) => [i.code, i.line, i.col]),
        [['storage-change-refused', 3, 1]],
      );
      assert.match(t.failure()?.errors[0] ?? '', /property "qty" was removed but its column still holds values/);
      assert.equal((await call(t.url, 'GET', `/${t.name}/${JSON.parse(done.text).data.id}`)).json.data.qty, 5, 'nothing was dropped');
    });

    it('a retyped column: the new version waits for it (no error) until the old version has drained', async () => {
      const t = await start((n) => manifest(n, '    qty: { type: string }\n'));
      const old = t.registry.match(t.name);
      const held = await holdRequest(t.url, 'POST', `/${t.name}`, { title: 'in flight' });
      t.save(manifest(t.name, '    qty: { type: integer }\n'));
      await t.swapped(old);
      const waiting = call(t.url, 'POST', `/${t.name}`, { title: 'new version', qty: 3 });
      const first = await Promise.race([waiting.then(() => 'answered'), sleep(300).then(() => 'waiting')]);
      assert.equal(first, 'waiting', 'the new version holds its request until its column has the new type');
      const done = await held.release();
      assert.equal(done.status, 201, `the old version's write is not broken by the change: ${done.text}`);
      const answer = await waiting;
      assert.equal(answer.status, 201, answer.text);
      assert.equal(answer.json.data.qty, 3);
      await until(async () => (await t.automation())?.state === 'serving', 'serving');
      assert.equal((await call(t.url, 'GET', `/${t.name}/${JSON.parse(done.text).data.id}`)).json.data.title, 'in flight');
    });

    it('a retype that values written meanwhile refuse: the requests held for it get 503, and the old version serves again', async () => {
      const t = await start((n) => manifest(n, '    qty: { type: string }\n'));
      const old = t.registry.match(t.name);
      const held = await holdRequest(t.url, 'POST', `/${t.name}`, { title: 'in flight', qty: 'seven' });
      t.save(manifest(t.name, '    qty: { type: integer }\n'));
      await t.swapped(old);
      const waiting = call(t.url, 'GET', `/${t.name}`);
      const current = t.registry.match(t.name);
      await until(async () => (current?.traffic.active ?? 0) > 0, 'the request held by the new version');
      assert.equal((await held.release()).status, 201);
      const answer = await waiting;
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.json.code, 'storage-unavailable');
      assert.ok(answer.headers.get('retry-after'));
      await until(async () => (await t.automation())?.state === 'degraded', 'degraded');
      assert.equal(t.registry.match(t.name), old, 'the previous version serves again');
      assert.deepEqual(
        t.failure()?.issues.map((i) => [i.code, i.line, i.col]),
        [['storage-change-refused', 11, 5]],
      );
      const list = await call(t.url, 'GET', `/${t.name}`);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json.data.map((r: { qty?: string }) => r.qty),
        ['seven'],
      );
    });

    it('retyping a property with values is refused at the property, then converted when listed under retype', async () => {
      const t = await start((n) => manifest(n, '    rank: { type: integer }\n'));
      const record = await call(t.url, 'POST', `/${t.name}`, { title: 'x', rank: 7 });
      t.save(manifest(t.name, '    rank: { type: string }\n'));
      await until(async () => (await t.automation())?.state === 'degraded', 'degraded');
      assert.match((await t.automation()).errors[0], /evo\.yaml:11:5: storage "pg" refused the change: property "rank" is now text/);
      t.save(manifest(t.name, '    rank: { type: string }\n', '  migrations:\n    retype: [rank]\n'));
      await until(async () => (await t.automation())?.state === 'serving', 'serving after retype');
      assert.equal((await call(t.url, 'GET', `/${t.name}/${record.json.data.id}`)).json.data.rank, '7');
    });
  });
}

evolution('PGlite (embedded)', {});
const gate = await postgresServerGate();
evolution('the PostgreSQL server', { url: gate.url, skip: gate.skip });

describe('council migrate', () => {
  const run = (cwd: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'migrate', ...args], { cwd, env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout, stderr) =>
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
      );
    });

  it('storage.indexes becomes a real index', async () => {
    const project = makeProject({ 'evo.yaml': manifest('dated', '    due: { type: string, format: date }\n', '  indexes: [due]\n') });
    try {
      writeFileSync(join(project.root, 'council.config.yaml'), 'connections:\n  pg: { backend: postgres }\ndataDir: data\n');
      const planned = await run(project.root, ['--dry-run']);
      assert.equal(planned.code, 0, planned.stderr);
      assert.match(planned.stdout, /create index if not exists "dated_due_idx" on "dated" \("due"\)/);
    } finally {
      project.remove();
    }
  });

  it('--dry-run prints the plan and the refusals with FILE:LINE:COL, changes nothing; without it, applies', async () => {
    const project = makeProject({ 'evo.yaml': manifest('tasks', '    legacy: { type: string }\n') });
    try {
      writeFileSync(join(project.root, 'council.config.yaml'), 'connections:\n  pg: { backend: postgres }\ndataDir: data\n');
      const created = await run(project.root, []);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^tasks \(pg, table tasks\): \d+ step\(s\) applied$/m);
      assert.match(created.stdout, /create table "tasks"/);
      assert.match((await run(project.root, ['--dry-run'])).stdout, /^tasks \(pg, table tasks\): up to date$/m);

      // A value in legacy, written the way the server would: through the engine on the same data folder.
      const server = await listen(
        {
          ...project.config(),
          dataDir: join(project.root, 'data'),
          connections: new Map([['pg', { name: 'pg', backend: 'postgres', url: '' }]]),
        },
        silentLogger,
      );
      assert.equal((await call(server.url, 'POST', '/tasks', { title: 't', legacy: 'v' })).status, 201);
      await server.close();

      project.write('evo.yaml', manifest('tasks', '    due: { type: string, format: date }\n'));
      const refused = await run(project.root, ['--dry-run']);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /^tasks \(pg, table tasks\): 1 change\(s\) refused, nothing would run$/m);
      assert.match(refused.stdout, /new property due: add a nullable text COLLATE "C" column/);
      assert.match(refused.stderr, /evo\.yaml:3:1: storage "pg" refuses: property "legacy" was removed/);

      project.write('evo.yaml', manifest('tasks', '    due: { type: string, format: date }\n', '  migrations:\n    drop: [legacy]\n'));
      const planned = await run(project.root, ['--dry-run']);
      assert.equal(planned.code, 0, planned.stderr);
      assert.match(planned.stdout, /2 step\(s\) would run/);
      assert.match(planned.stdout, /drop column if exists "legacy"/);
      const applied = await run(project.root, []);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match((await run(project.root, ['--dry-run'])).stdout, /up to date/);
    } finally {
      project.remove();
    }
  });
});
