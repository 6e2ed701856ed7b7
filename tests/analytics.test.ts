import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageRecorder } from '../engine/analytics/recorder.ts';
import { usageReport } from '../engine/analytics/report.ts';
import { rollUp } from '../engine/analytics/rollup.ts';
import { decodeRow, USAGE_SPEC } from '../engine/analytics/usage-rows.ts';
import { silentLogger } from '../engine/log.ts';
import { SKETCH_RELATIVE_ERROR } from '../engine/observe/latency-sketch.ts';
import { Usage } from '../engine/observe/usage.ts';
import { ConnectionPool } from '../engine/registry/connections.ts';
import { SYSTEM_CONNECTION } from '../engine/security/key-store.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { makeKeys } from './support/keys.ts';
import { runNode } from './support/process.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { serveProcess } from './support/serve-process.ts';

const BIN = fileURLToPath(new URL('../bin/council.mjs', import.meta.url));

const tickets = `name: tickets
description: Support tickets for the analytics test.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, minLength: 1 }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;

const notices = `name: notices
description: Public notices with a tight rate limit, for the analytics test.
access: { public: true }
rateLimit: { requests: 2, perSeconds: 3600 }
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string }
endpoints:
  - operation: list
  - operation: create
`;

const ANALYTICS = { enabled: true, flushSeconds: 1, retentionDays: 400 };

describe('usage analytics through a running server', () => {
  let project: TestProject;
  let server: RunningServer;

  before(async () => {
    project = makeProject({ 'tickets.yaml': tickets, 'notices.yaml': notices });
    const [reader, writer] = (await makeKeys(project, [
      { name: 'reader', scopes: ['tickets:read'] },
      { name: 'writer', scopes: ['tickets:*'] },
    ])) as [string, string];
    server = await listen(project.config({ analytics: ANALYTICS }), silentLogger);
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call(server.url, 'POST', '/tickets', { title: `t${i}` }, as(writer))).json.data.id);
    assert.equal((await call(server.url, 'POST', '/tickets', { title: '' }, as(writer))).status, 422);
    for (let i = 0; i < 5; i++) assert.equal((await call(server.url, 'GET', `/tickets/${ids[i % 3]}`, undefined, as(reader))).status, 200);
    assert.equal((await call(server.url, 'GET', '/tickets/0190a5e4-0000-7000-8000-000000000000', undefined, as(reader))).status, 404);
    assert.equal((await call(server.url, 'POST', '/tickets', { title: 'no' }, as(reader))).status, 403);
    assert.equal((await call(server.url, 'GET', '/tickets')).status, 401);
    const limited: number[] = [];
    for (let i = 0; i < 4; i++) limited.push((await call(server.url, 'GET', '/notices')).status);
    assert.deepEqual(limited, [200, 200, 429, 429]);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('GET /admin/analytics reports exactly the requests made, by key, operation and error', async () => {
    const { status, json } = await call(server.url, 'GET', '/admin/analytics?from=1h', undefined, adminHeaders(server));
    assert.equal(status, 200, JSON.stringify(json));
    const report = json.data;
    assert.equal(report.totals.requests, 16);
    assert.equal(report.totals.errors, 6, '422, 404, 403, 401 and two 429s');
    assert.equal(report.totals.serverErrors, 0);
    const keys = Object.fromEntries(report.top.keys.map((k: { key: string; requests: number }) => [k.key, k.requests]));
    assert.deepEqual(keys, { writer: 4, reader: 7, anonymous: 5 });
    const operations = Object.fromEntries(
      report.top.operations.map((o: { automation: string; operation: string; requests: number; errors: number }) => [
        `${o.automation} ${o.operation}`,
        [o.requests, o.errors],
      ]),
    );
    assert.deepEqual(operations, { 'tickets get': [6, 1], 'tickets create': [5, 2], 'notices list': [4, 2], 'tickets list': [1, 1] });
    assert.deepEqual(
      report.top.errors
        .slice(0, 2)
        .map((e: { automation: string; operation: string }) => `${e.automation} ${e.operation}`)
        .sort(),
      ['notices list', 'tickets create'],
    );
    assert.equal(report.step, 'minute');
    assert.equal(
      report.series.reduce((n: number, s: { requests: number }) => n + s.requests, 0),
      16,
    );
    const { p50Ms, p95Ms, p99Ms } = report.totals;
    assert.ok(p50Ms > 0 && p50Ms <= p95Ms && p95Ms <= p99Ms, JSON.stringify(report.totals));
  });

  it('filters by automation and key, and refuses a bad query in words', async () => {
    const only = (await call(server.url, 'GET', '/admin/analytics?automation=tickets&key=reader', undefined, adminHeaders(server))).json
      .data;
    assert.equal(only.totals.requests, 7);
    const bad = await call(server.url, 'GET', '/admin/analytics?step=week&from=yesterday', undefined, adminHeaders(server));
    assert.equal(bad.status, 400);
    assert.match(bad.json.detail, /from must be an ISO time .* step must be one of minute, hour, day/);
    assert.equal((await call(server.url, 'GET', '/admin/analytics')).status, 401);
  });

  it('council stats prints the same through the server', async () => {
    const config = join(project.root, 'council.config.yaml');
    writeFileSync(config, `automations: automations\ndataDir: data\n`);
    const { status, stdout, stderr } = await runNode([BIN, 'stats', '--config', config, '--since', '1h'], { cwd: project.root });
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^tickets get +6 +1 +0 /m);
    assert.match(stdout, /^key reader +7 /m);
    assert.match(stdout, /^total +16 +6 +0 /m);
  });
});

describe('usage analytics in the system store', () => {
  let project: TestProject;
  let pool: ConnectionPool;
  before(() => {
    project = makeProject({});
    const config = project.config();
    pool = new ConnectionPool(config.connections, config.dataDir);
  });
  after(async () => {
    await pool?.closeAll();
    project?.remove();
  });

  it('percentiles of known durations are within the stated error, through rows, roll-ups and the report', async () => {
    const store = await (await pool.get(SYSTEM_CONNECTION)).open(USAGE_SPEC);
    const usage = new Usage();
    const label = usage.label('orders', 'get');
    // 2,000 durations from 0.05 ms to 5 s, recorded over two flushes three days ago.
    const durations = Array.from({ length: 2000 }, (_, i) => 0.05 * 100_000 ** (((i * 7919) % 2000) / 2000));
    let now = Date.parse('2026-01-10T12:00:05.000Z');
    const recorder = new UsageRecorder(usage, async () => store, {
      flushSeconds: 10,
      retentionDays: 400,
      logger: silentLogger,
      now: () => now,
    });
    for (const ms of durations.slice(0, 1000)) usage.record(label, 200, 'k', ms / 1000, 10);
    now += 10_000;
    await recorder.flush();
    for (const ms of durations.slice(1000)) usage.record(label, ms > 1000 ? 503 : 200, 'k', ms / 1000, 10);
    now += 10_000;
    await recorder.flush();
    const rows = (await store.list({ filters: [], sort: { field: 'at', direction: 'asc' }, limit: 100 })).records.map(decodeRow);
    assert.equal(rows.length, 2, 'one row per flush, with every cell that changed in it');
    assert.deepEqual(rows[1]?.cells.map((c) => c.statusClass).sort(), ['2xx', '5xx']);
    const sorted = [...durations].sort((a, b) => a - b);
    const exact = (q: number) => sorted[Math.ceil(q * sorted.length) - 1] as number;
    const check = async (when: string) => {
      const report = await usageReport(store, { from: Date.parse('2026-01-10T00:00:00Z'), to: Date.parse('2026-01-11T00:00:00Z') });
      assert.equal(report.totals.requests, 2000, when);
      assert.equal(report.totals.bytes, 20_000, when);
      for (const [q, got] of [
        [0.5, report.totals.p50Ms],
        [0.95, report.totals.p95Ms],
        [0.99, report.totals.p99Ms],
      ] as const) {
        assert.ok(Math.abs((got as number) - exact(q)) / exact(q) <= SKETCH_RELATIVE_ERROR, `${when} q=${q}: ${got} vs ${exact(q)}`);
      }
      return report;
    };
    await check('minute rows');
    // Three days later the minutes are summed into their hour, and the sums hold.
    await rollUp(store, Date.parse('2026-01-13T13:00:00Z'), 400);
    const after = (await store.list({ filters: [], sort: { field: 'at', direction: 'asc' }, limit: 100 })).records.map(decodeRow);
    assert.deepEqual(
      after.map((r) => [r.step, r.at]),
      [['hour', '2026-01-10T12:00:00.000Z']],
    );
    const report = await check('after the roll-up to hours');
    assert.equal(report.step, 'hour');
    // Past the retention, nothing is left.
    await rollUp(store, Date.parse('2027-03-01T00:00:00Z'), 400);
    assert.equal((await store.list({ filters: [], sort: { field: 'at', direction: 'asc' }, limit: 100 })).records.length, 0);
  });
});

describe('usage analytics across a kill -9', () => {
  it('a restart loses at most what was counted since the last flush (1 s here)', async () => {
    const project = makeProject({ 'notices.yaml': notices.replace('rateLimit: { requests: 2, perSeconds: 3600 }\n', '') });
    writeFileSync(
      join(project.root, 'council.config.yaml'),
      'server: { port: 0, host: 127.0.0.1 }\naudit: { enabled: false }\nanalytics: { flushSeconds: 1 }\nautomations: automations\ndataDir: data\n',
    );
    const env = { ...process.env, PORT: '', HOST: '' };
    try {
      const first = await serveProcess(['--config', 'council.config.yaml'], { cwd: project.root, env });
      for (let i = 0; i < 20; i++) assert.equal((await call(first.url, 'POST', '/notices', { text: `n${i}` })).status, 201);
      // Past a flush (every whole second; the first also creates the usage table, which took
      // over 3 s under a load average of 6), then a few more that no flush will see.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      for (let i = 0; i < 5; i++) await call(first.url, 'POST', '/notices', { text: `late${i}` });
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      const second = await serveProcess(['--config', 'council.config.yaml'], { cwd: project.root, env });
      try {
        const config = join(project.root, 'council.config.yaml');
        const { stdout, stderr, status } = await runNode([BIN, 'stats', '--config', config, '--since', '1h'], { cwd: project.root });
        assert.equal(status, 0, stderr);
        const total = Number(/^total +(\d+)/m.exec(stdout)?.[1]);
        assert.ok(total >= 20 && total <= 25, `${total} of 25 requests counted:\n${stdout}`);
      } finally {
        await second.stop();
      }
    } finally {
      project.remove();
    }
  });
});
