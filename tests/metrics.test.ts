import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { silentLogger } from '../engine/log.ts';
import { diffConfig } from '../engine/reload/config-diff.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { makeKeys } from './support/keys.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { promtool, promtoolGate } from './support/promtool.ts';
import { freePort } from './support/redis-server.ts';

// On the embedded PostgreSQL: calls to a store outside the request's own turn are counted (memory's are not).
const tickets = `name: tickets
description: Support tickets for the metrics test.
storage: { backend: postgres }
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
description: Public notices with a tight rate limit, for the metrics test.
access: { public: true }
rateLimit: { requests: 2, perSeconds: 3600 }
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string }
endpoints:
  - operation: list
`;

type Family = {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
};

/** The families of a scrape, parsed by a Prometheus text-format parser. */
async function scrape(url: string, headers: Record<string, string>): Promise<{ text: string; families: Map<string, Family> }> {
  const response = await fetch(`${url}/metrics`, { headers });
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  return { text, families };
}

/** The value of the sample whose labels include `labels`; 0 when there is none. */
function sampleValue(family: Family | undefined, labels: Record<string, string>): number {
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample ? Number(sample.value ?? sample.count) : 0;
}

describe('/metrics after a known mix of requests', () => {
  let project: TestProject;
  let server: RunningServer;
  let reader: string;
  let writer: string;
  let metricsPort: number;

  before(async () => {
    project = makeProject({ 'tickets.yaml': tickets, 'notices.yaml': notices });
    [reader, writer] = (await makeKeys(project, [
      { name: 'reader', scopes: ['tickets:read'] },
      { name: 'writer', scopes: ['tickets:*'] },
    ])) as [string, string];
    metricsPort = await freePort();
    server = await listen(project.config({ server: { ...project.config().server, metricsPort } }), silentLogger);
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await call(server.url, 'POST', '/tickets', { title: `t${i}` }, as(writer));
      assert.equal(created.status, 201);
      ids.push(created.json.data.id);
    }
    assert.equal((await call(server.url, 'POST', '/tickets', { title: '' }, as(writer))).status, 422);
    for (let i = 0; i < 5; i++) assert.equal((await call(server.url, 'GET', `/tickets/${ids[i % 3]}`, undefined, as(reader))).status, 200);
    for (let i = 0; i < 2; i++) {
      assert.equal((await call(server.url, 'GET', '/tickets/0190a5e4-0000-7000-8000-000000000000', undefined, as(reader))).status, 404);
    }
    assert.equal((await call(server.url, 'POST', '/tickets', { title: 'no' }, as(reader))).status, 403);
    assert.equal((await call(server.url, 'GET', '/tickets')).status, 401);
    const limited: number[] = [];
    for (let i = 0; i < 5; i++) limited.push((await call(server.url, 'GET', '/notices')).status);
    assert.deepEqual(limited, [200, 200, 429, 429, 429]);
    assert.equal((await call(server.url, 'GET', '/tickets/a/b', undefined, as(reader))).status, 404);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('counts requests by automation, operation, status class and key name', async () => {
    const { families } = await scrape(server.url, adminHeaders(server));
    const requests = families.get('council_requests_total');
    const expected: [Record<string, string>, number][] = [
      [{ automation: 'tickets', operation: 'create', status_class: '2xx', key: 'writer' }, 3],
      [{ automation: 'tickets', operation: 'create', status_class: '4xx', key: 'writer' }, 1],
      [{ automation: 'tickets', operation: 'get', status_class: '2xx', key: 'reader' }, 5],
      [{ automation: 'tickets', operation: 'get', status_class: '4xx', key: 'reader' }, 2],
      [{ automation: 'tickets', operation: 'create', status_class: '4xx', key: 'reader' }, 1],
      [{ automation: 'tickets', operation: 'list', status_class: '4xx', key: 'anonymous' }, 1],
      [{ automation: 'notices', operation: 'list', status_class: '2xx', key: 'anonymous' }, 2],
      [{ automation: 'notices', operation: 'list', status_class: '4xx', key: 'anonymous' }, 3],
      [{ automation: 'tickets', operation: 'unmatched', status_class: '4xx', key: 'anonymous' }, 1],
    ];
    for (const [labels, count] of expected) assert.equal(sampleValue(requests, labels), count, JSON.stringify(labels));
    const total = requests?.metrics.reduce((sum, m) => sum + Number(m.value), 0);
    assert.equal(total, 19, 'nothing else was counted');
    assert.equal(sampleValue(families.get('council_rate_limited_total'), { automation: 'notices' }), 3);
    // The store saw the reads that passed the guards: 5 found, 2 not found (still an ok call), and 3 creates.
    const calls = families.get('council_store_calls_total');
    assert.equal(sampleValue(calls, { connection: 'postgres', method: 'get', outcome: 'ok' }), 7);
    assert.equal(sampleValue(calls, { connection: 'postgres', method: 'create', outcome: 'ok' }), 3);
    // notices is on memory: its calls are its requests, counted above, and not again as store calls.
    assert.equal(calls?.metrics.filter((m) => m.labels?.connection === 'memory').length, 0);
  });

  it('a latency histogram per automation and operation, counting every request once', async () => {
    const { text, families } = await scrape(server.url, adminHeaders(server));
    assert.equal(families.get('council_request_duration_seconds')?.type, 'HISTOGRAM');
    // The parser folds a histogram's series into one, so the samples of one series are read from the text.
    const series = '{automation="tickets",operation="get"';
    const line = (name: string) =>
      new RegExp(`^council_request_duration_seconds_${name}\\{automation="tickets",operation="get"(?:,le="([^"]+)")?\\} (\\S+)$`, 'gm');
    const buckets = [...text.matchAll(line('bucket'))].map((m) => [m[1], Number(m[2])] as const);
    assert.ok(text.includes(`council_request_duration_seconds_count${series}} 7`), 'count');
    assert.ok(buckets.length >= 10, 'bounds from sub-millisecond to tens of seconds');
    assert.deepEqual(buckets.at(-1), ['+Inf', 7]);
    const counts = buckets.map(([, count]) => count);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => a - b),
      'cumulative',
    );
    assert.ok(Number([...text.matchAll(line('sum'))][0]?.[2]) > 0, 'sum');
  });

  it('engine state: automations, reloads, audit queue, MCP sessions, process defaults', async () => {
    const { families } = await scrape(server.url, adminHeaders(server));
    assert.equal(sampleValue(families.get('council_automations'), { state: 'serving' }), 2);
    assert.equal(sampleValue(families.get('council_reloads_total'), { outcome: 'loaded' }), 2);
    assert.equal(sampleValue(families.get('council_mcp_sessions'), {}), 0);
    assert.ok(families.has('council_audit_queue_entries'));
    for (const name of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes']) {
      assert.ok(families.has(name), name);
    }
  });

  it('passes promtool check metrics', { skip: promtoolGate() }, async () => {
    const { text } = await scrape(server.url, adminHeaders(server));
    const checked = promtool(['check', 'metrics'], text);
    // prom-client's own default gauges end in _total (nodejs_active_handles_total ...): its naming, not ours.
    const problems = checked.output
      .split('\n')
      .filter((l) => l.trim() && !/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(l));
    assert.deepEqual(problems, []);
  });

  it('an Idempotency-Key replay counts as a replay, and as the request it is', async () => {
    const replays = async () =>
      sampleValue((await scrape(server.url, adminHeaders(server))).families.get('council_idempotent_replays_total'), {
        automation: 'tickets',
      });
    const before = await replays();
    const headers = { authorization: `Bearer ${writer}`, 'idempotency-key': 'metrics-once' };
    const first = await call(server.url, 'POST', '/tickets', { title: 'once' }, headers);
    const again = await call(server.url, 'POST', '/tickets', { title: 'once' }, headers);
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.json.data.id, first.json.data.id);
    assert.equal((await replays()) - before, 1);
  });

  it('never public: 401 without a key, 403 for a key without *, 200 for the local token', async () => {
    assert.equal((await call(server.url, 'GET', '/metrics')).status, 401);
    assert.equal((await call(server.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${reader}` })).status, 403);
  });

  it('server.metricsPort answers GET /metrics without a key, on loopback, and nothing else', async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^council_requests_total\{/m);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status, 404);
  });
});

describe('/livez and /readyz', () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'notices.yaml': notices });
    server = await listen(project.config(), silentLogger);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('both 200 once the engine is started, without a key', async () => {
    assert.deepEqual((await call(server.url, 'GET', '/livez')).json, { status: 'ok' });
    assert.deepEqual((await call(server.url, 'GET', '/readyz')).json, { status: 'ok' });
  });
});

describe('metrics.enabled: false', () => {
  let project: TestProject;
  after(() => project?.remove());

  it('/metrics answers 404 saying why, and nothing is counted when analytics are off too', async () => {
    project = makeProject({ 'notices.yaml': notices });
    const server = await listen(project.config({ metrics: { enabled: false } }), silentLogger);
    try {
      assert.equal((await call(server.url, 'GET', '/notices')).status, 200);
      const answer = await call(server.url, 'GET', '/metrics', undefined, adminHeaders(server));
      assert.equal(answer.status, 404);
      assert.match(answer.json.detail, /metrics are off on this server \(metrics\.enabled: false/);
      assert.deepEqual([...server.engine.monitor.usage.cells()], []);
      assert.deepEqual([...server.engine.monitor.storeCalls.counters()], []);
    } finally {
      await server.close();
    }
  });

  it('with analytics on, requests are counted for them, store calls are not', async () => {
    const server = await listen(
      project.config({ metrics: { enabled: false }, analytics: { enabled: true, flushSeconds: 60, retentionDays: 400 } }),
      silentLogger,
    );
    try {
      assert.equal((await call(server.url, 'GET', '/notices')).status, 200);
      const cells = [...server.engine.monitor.usage.cells()].map((c) => [c.automation, c.operation, c.statusClass, c.count]);
      assert.deepEqual(cells, [['notices', 'list', '2xx', 1]]);
      assert.deepEqual([...server.engine.monitor.storeCalls.counters()], []);
    } finally {
      await server.close();
    }
  });

  it('a reload that turns metrics or analytics on or off is told to restart, and keeps what started', () => {
    const base = project.config();
    const next = { ...base, metrics: { enabled: false }, analytics: { ...base.analytics, enabled: true } };
    const diff = diffConfig(base, next);
    assert.deepEqual(diff.needRestart, ['metrics.enabled', 'analytics']);
    assert.deepEqual(diff.kept.metrics, base.metrics);
    assert.deepEqual(diff.kept.analytics, base.analytics);
  });
});
