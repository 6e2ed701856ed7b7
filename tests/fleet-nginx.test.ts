import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { makeKeys } from './support/keys.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { call, makeProject, type TestProject } from './support/project.ts';
import { freePort, redisServerGate } from './support/redis-server.ts';
import { type ServeProcess, serveProcess } from './support/serve-process.ts';

/**
 * Three `council serve` processes on one PostgreSQL and one Redis, watching one
 * automations folder, behind a real nginx (Debian's package) as the load balancer: the
 * rate limit holds within 1% across them; an Idempotency-Key retried on another instance
 * writes once; a key revoked on one is refused by all within 5 s; a manifest change is
 * served by all within 2 s, their fingerprints agreeing; a rolling restart under 10
 * connections of reads and writes fails no request and loses no acknowledged write; one
 * instance killed with SIGKILL under load fails only what was in flight on it, and loses
 * nothing acknowledged.
 */
const NGINX = '/usr/sbin/nginx';
const required = (process.env.COUNCIL_TEST_REQUIRE ?? '').split(',').includes('nginx');
const nginxSkip = existsSync(NGINX) ? false : `nginx is not installed at ${NGINX} (apt-get install nginx-light); skipped`;
if (nginxSkip && required) throw new Error(`COUNCIL_TEST_REQUIRE names nginx, but ${nginxSkip}`);
const pg = await postgresServerGate();
const redis = await redisServerGate();
const skip = nginxSkip || pg.skip || redis.skip;

const notes = `name: notes
description: Notes written and read through the load balancer.
access: { public: true }
storage: { backend: postgres }
schema:
  type: object
  required: [text]
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;

/** A name of its own each run: no count left in Redis by an earlier run applies. */
const LIMITED = `limited-${randomBytes(4).toString('hex')}`;
/** A burst of 1,000, then 10 a second: nearly all of what is allowed in a few seconds is the burst. */
const RATE = { requests: 1000, perSeconds: 100 };
const limited = `name: ${LIMITED}
description: Reads under a rate limit every instance shares.
access: { public: true }
rateLimit: { requests: ${RATE.requests}, perSeconds: ${RATE.perSeconds} }
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
`;

/** Only an API key with guarded:read lists it. */
const guarded = `name: guarded
description: Records only keys may read.
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
`;

/** Version one lists; version two creates too (a POST it can validate). */
const board = (endpoints: readonly string[]) => `name: board
description: A manifest changed while the fleet serves it.
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
${endpoints.map((operation) => `  - operation: ${operation}`).join('\n')}
`;

interface FleetReport {
  agree: boolean;
  instances: { self: boolean; fingerprint: string }[];
}

interface Load {
  readonly ok: number;
  readonly failed: { status: number; text: string }[];
  /** Ids of the writes answered 201. */
  readonly written: string[];
}

/** 10 connections of reads and writes through `base` until `stop` is aborted. */
async function load(base: string, stop: AbortSignal): Promise<Load> {
  const result = { ok: 0, failed: [] as { status: number; text: string }[], written: [] as string[] };
  let n = 0;
  const worker = async () => {
    while (!stop.aborted) {
      const write = n++ % 3 === 0;
      try {
        const response = write
          ? await fetch(`${base}/notes`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ text: `n${n}` }),
            })
          : await fetch(`${base}/notes?limit=5`);
        const text = await response.text();
        if (response.status === (write ? 201 : 200)) {
          result.ok++;
          if (write) result.written.push(JSON.parse(text).data.id);
        } else result.failed.push({ status: response.status, text: text.slice(0, 200) });
      } catch (error) {
        result.failed.push({ status: 0, text: String((error as Error).cause ?? error) });
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return result;
}

describe('three instances behind nginx', { skip, timeout: 240_000 }, () => {
  let project: TestProject;
  let nginx: ChildProcess | undefined;
  let base = '';
  const ports: number[] = [];
  const instances: (ServeProcess | undefined)[] = [];
  /** An admin key (scope `*`), made in the system store before the instances start. */
  let admin: Record<string, string> = {};
  const env = { ...process.env, NODE_ENV: 'test', DATABASE_URL: pg.url, REDIS_URL: redis.url };
  // Each watches the shared folder, as a fleet on a git-sync checkout does.
  const start = async (i: number) => {
    instances[i] = await serveProcess(['--port', String(ports[i])], { cwd: project.root, env });
  };
  const direct = (i: number) => `http://127.0.0.1:${ports[i]}`;

  before(async () => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql`drop table if exists notes`;
    await sql.end();
    project = makeProject(
      { 'notes.yaml': notes, 'limited.yaml': limited, 'guarded.yaml': guarded, 'board.yaml': board(['list']) },
      { postgres: { backend: 'postgres', url: pg.url } },
    );
    const [adminKey] = await makeKeys(project, [{ scopes: ['*'], name: 'fleet-nginx admin' }]);
    admin = { authorization: `Bearer ${adminKey}` };
    // rateLimit.timeoutMs at its most: with the default 20 ms, a loaded machine (2 cores, three
    // instances, nginx and the client) missed the deadline on all three at once, a dozen times
    // in 7 s, and each time they decided locally, as they should when Redis does not answer
    // (tests/security/redis-limiter-freeze.test.ts): 10-20% more allowed. This file measures the
    // limit while Redis answers.
    writeFileSync(
      join(project.root, 'council.config.yaml'),
      `automations: automations
dataDir: data
audit: { enabled: false }
analytics: { enabled: false }
server: { shutdownGraceSeconds: 1, shutdownTimeoutSeconds: 10 }
rateLimit: { requests: 1000000, perSeconds: 1, store: redis, timeoutMs: 1000 }
idempotency: { store: redis }
fleet: { heartbeatSeconds: 0.5 }
connections:
  postgres: { backend: postgres, url: "\${DATABASE_URL}" }
  redis: { backend: redis, url: "\${REDIS_URL}" }
`,
    );
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    await Promise.all([0, 1, 2].map(start));
    const listen = await freePort();
    const prefix = join(project.root, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const conf = join(prefix, 'nginx.conf');
    // The upstream block of deploy/compose/nginx.conf, on this machine's ports; a failed
    // instance is left alone 10 s (the passive check of nginx without a paid module).
    writeFileSync(
      conf,
      `worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs/error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream council {
${ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join('\n')}
    keepalive 32;
    # Below the instances' grace (1 s): nginx closes an idle connection itself before an
    # instance that is stopping does, so none is reused as it closes.
    keepalive_timeout 500ms;
  }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://council;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_503;
      proxy_buffering off;
      # Which instance answered, for the test to count.
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`,
    );
    const checked = spawnSync(NGINX, ['-t', '-c', conf, '-p', prefix], { encoding: 'utf8' });
    assert.equal(checked.status, 0, checked.stderr);
    nginx = spawn(NGINX, ['-c', conf, '-p', prefix, '-g', 'daemon off;'], { stdio: 'ignore' });
    base = `http://127.0.0.1:${listen}`;
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`${base}/notes?limit=1`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await sleep(50);
    }
  });
  after(async () => {
    nginx?.kill('SIGTERM');
    for (const instance of instances) instance?.child.kill('SIGKILL');
    project?.remove();
  });

  const stored = async (ids: readonly string[]) => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select id::text from notes where id = any(${ids as string[]}::uuid[])`;
      return rows.length;
    } finally {
      await sql.end();
    }
  };

  const notesWith = async (text: string) => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`select id::text from notes where text = ${text}`;
      return rows.length;
    } finally {
      await sql.end();
    }
  };

  test('the rate limit holds within 1% across the three instances, through nginx', async () => {
    const SENT = 3600; // over three times the burst: instances counting on their own would allow 3,000 and more
    const allowed = new Map<string, number>();
    const statuses = new Map<number, number>();
    let sent = 0;
    // What each instance printed so far: the lines it prints from now on are this test's.
    const printed = instances.map((i) => i?.output().length ?? 0);
    // The window starts when the limiter first answers: until then the burst is full and time adds nothing to it.
    let started: number | undefined;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (sent < SENT) {
          sent++;
          const response = await fetch(`${base}/${LIMITED}?limit=1`);
          await response.arrayBuffer();
          started ??= performance.now();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const upstream = response.headers.get('x-upstream') ?? '?';
          if (response.status === 200) allowed.set(upstream, (allowed.get(upstream) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - (started ?? 0)) / 1000;
    const total = [...allowed.values()].reduce((a, b) => a + b, 0);
    // GCRA: the burst at once, then one request every perSeconds / requests.
    const expected = RATE.requests + (RATE.requests / RATE.perSeconds) * seconds;
    const outages = instances.flatMap((instance, i) =>
      (instance?.output().slice(printed[i]) ?? '').split('\n').filter((line) => line.includes('rate limits cannot reach redis')),
    );
    const report = `allowed ${total} (${[...allowed.values()].join(' + ')}) of ${sent} sent in ${seconds.toFixed(2)} s; expected ${expected.toFixed(0)}; statuses ${JSON.stringify([...statuses])}`;
    console.log(
      `# rate limit ${RATE.requests} per ${RATE.perSeconds} s in Redis, through nginx over 3 instances: ${report}, ${(((total - expected) / expected) * 100).toFixed(2)}% off`,
    );
    assert.deepEqual(outages, [], `every request was decided in Redis: ${report}`);
    assert.deepEqual([...statuses.keys()].sort(), [200, 429], report);
    assert.ok(Math.abs(total - expected) <= expected * 0.01, report);
    assert.equal(allowed.size, 3, `all three instances allowed some: ${report}`);
    assert.ok(
      [...allowed.values()].every((n) => n > total / 5),
      `round robin spread them: ${report}`,
    );
  });

  test('an Idempotency-Key retried on other instances writes once; another body with it is a 422', async () => {
    const text = `idem-${randomBytes(4).toString('hex')}`;
    const key = { 'idempotency-key': `fleet-${randomBytes(8).toString('hex')}` };
    const first = await call(direct(0), 'POST', '/notes', { text }, key);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    for (const [where, url] of [
      ['B', direct(1)],
      ['C', direct(2)],
      ['nginx', base],
    ] as const) {
      const again = await call(url, 'POST', '/notes', { text }, key);
      assert.equal(again.status, 201, `${where}: ${again.text}`);
      assert.equal(again.headers.get('idempotent-replayed'), 'true', where);
      assert.equal(again.text, first.text, `${where} answers the first body`);
      assert.equal(again.headers.get('location'), first.headers.get('location'), where);
    }
    const reused = await call(direct(2), 'POST', '/notes', { text: `${text}-other` }, key);
    assert.equal(reused.status, 422, reused.text);
    assert.equal(reused.json.code, 'idempotency-key-reused');
    assert.equal(await notesWith(text), 1, 'one record written');
    assert.equal(await notesWith(`${text}-other`), 0, 'the other body wrote nothing');

    // Sent to all three at once: one writes; the others replay it, or say it still runs and replay it when retried.
    const raced = `race-${randomBytes(4).toString('hex')}`;
    const raceKey = { 'idempotency-key': `fleet-${randomBytes(8).toString('hex')}` };
    const answers = await Promise.all([0, 1, 2].map((i) => call(direct(i), 'POST', '/notes', { text: raced }, raceKey)));
    const written = answers.filter((a) => a.status === 201 && a.headers.get('idempotent-replayed') === null);
    assert.equal(written.length, 1, answers.map((a) => `${a.status} ${a.headers.get('idempotent-replayed')}`).join(', '));
    for (const [i, answer] of answers.entries()) {
      if (answer === written[0]) continue;
      let replay = answer;
      for (let tries = 0; replay.status === 409 && tries < 20; tries++) {
        assert.equal(replay.json.code, 'idempotency-in-progress');
        await sleep(100);
        replay = await call(direct(i), 'POST', '/notes', { text: raced }, raceKey);
      }
      assert.equal(replay.status, 201, replay.text);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.text, written[0]?.text);
    }
    assert.equal(await notesWith(raced), 1, 'one record written by the race');
    console.log(`# Idempotency-Key sent to 3 instances at once: ${answers.map((a) => a.status).join(', ')}; 1 record stored`);
  });

  test('a key revoked on one instance is refused by all three within 5 s', async () => {
    const made = await call(direct(0), 'POST', '/admin/keys', { name: 'fleet revoked', scopes: ['guarded:read'] }, admin);
    assert.equal(made.status, 201, made.text);
    const key = { authorization: `Bearer ${made.json.secret}` };
    // Each instance asked in turn, every 20 ms: what it answered, and when the request left (ms after the revoke was sent).
    const answers: { sent: number; status: number }[][] = [[], [], []];
    let asked: number | undefined;
    let until = Number.POSITIVE_INFINITY;
    const polls = [0, 1, 2].map(async (i) => {
      while (performance.now() < until) {
        const sent = performance.now();
        const { status } = await call(direct(i), 'GET', '/guarded?limit=1', undefined, key);
        answers[i]?.push({ sent: sent - (asked ?? Number.POSITIVE_INFINITY), status });
        await sleep(20);
      }
    });
    // Revoked as soon as every instance has accepted the key: each looked it up in the store
    // just before, and trusts it for the whole window after, the longest a revoked key can
    // live: every request sent 5 s after the revoke must be refused.
    for (let tries = 0; !answers.every((a) => a.some((r) => r.status === 200)); tries++) {
      assert.ok(tries < 1000, `not accepted everywhere: ${JSON.stringify(answers.map((a) => a.slice(-3)))}`);
      await sleep(2);
    }
    // A few ms between the last lookup and the revoke, for the clocks' granularity (lru-cache's TTL, ms timestamps).
    await sleep(10);
    asked = performance.now();
    const revoked = await call(direct(1), 'POST', '/admin/keys/revoke', { key: made.json.data.id }, admin);
    assert.equal(revoked.status, 200, revoked.text);
    const revokeMs = performance.now() - asked;
    until = asked + 5600;
    await Promise.all(polls);
    const after = answers.map((a) => a.filter((r) => r.sent >= 0));
    const firstRefusal = after.map((a) => a.find((r) => r.status === 401)?.sent ?? Number.NaN);
    const shown = after.map(
      (a, i) =>
        `${'ABC'[i]}: ${a
          .filter((r, j) => r.status !== a[j - 1]?.status)
          .map((r) => `${Math.round(r.sent)}:${r.status}`)
          .join(' ')}`,
    );
    console.log(
      `# key revoked through B (answered in ${revokeMs.toFixed(0)} ms): first refused by A, B, C ${firstRefusal.map((ms) => ms.toFixed(0)).join(', ')} ms after it was sent (requests every 20 ms; promise 5,000)`,
    );
    const onceAnswered = after[1]?.find((r) => r.sent >= revokeMs);
    assert.equal(onceAnswered?.status, 401, `refused at once where it was revoked: ${shown[1]}`);
    for (const [i, a] of after.entries()) {
      const refused = a.findIndex((r) => r.status === 401);
      assert.ok(refused >= 0, `${'ABC'[i]} never refused the key: ${shown[i]}`);
      assert.deepEqual(
        a.slice(refused).filter((r) => r.status !== 401),
        [],
        `once refused, never accepted again: ${shown[i]}`,
      );
      const late = a.filter((r) => r.sent >= 5000);
      assert.ok(late.length > 0, `${'ABC'[i]} was asked after 5 s: ${shown[i]}`);
      assert.ok(
        late.every((r) => r.status === 401),
        `${'ABC'[i]} accepted the revoked key 5 s after: ${shown[i]}`,
      );
      assert.ok(
        a.every((r) => r.status === 200 || r.status === 401),
        shown[i],
      );
    }
  });

  test('a manifest changed in the shared folder: every instance serves it within 2 s, and their fingerprints agree', async () => {
    const fleetOf = async (i: number): Promise<FleetReport> => (await call(direct(i), 'GET', '/health', undefined, admin)).json.fleet;
    // A POST version two validates (422); version one has no create.
    const servesTwo = async (i: number) => (await call(direct(i), 'POST', '/board', { text: 1 })).status === 422;
    const agreeing = async (i: number, not: string | undefined) => {
      const fleet = await fleetOf(i);
      return fleet.agree && fleet.instances.length === 3 && fleet.instances.every((f) => f.fingerprint !== not);
    };
    for (let tries = 0; !(await Promise.all([0, 1, 2].map((i) => agreeing(i, undefined)))).every(Boolean); tries++) {
      assert.ok(tries < 100, `the three do not agree before the change: ${JSON.stringify(await fleetOf(0))}`);
      await sleep(50);
    }
    assert.deepEqual(await Promise.all([0, 1, 2].map(servesTwo)), [false, false, false], 'version one is served before the change');
    const before = (await fleetOf(0)).instances[0]?.fingerprint;
    const written = performance.now();
    writeFileSync(join(project.automations, 'board.yaml'), board(['list', 'create']));
    const served: (number | undefined)[] = [undefined, undefined, undefined];
    const agreed: (number | undefined)[] = [undefined, undefined, undefined];
    while ([...served, ...agreed].includes(undefined) && performance.now() - written < 5000) {
      await Promise.all(
        [0, 1, 2].map(async (i) => {
          if (served[i] === undefined && (await servesTwo(i))) served[i] = performance.now() - written;
          if (agreed[i] === undefined && (await agreeing(i, before))) agreed[i] = performance.now() - written;
        }),
      );
      await sleep(10);
    }
    const ms = (list: (number | undefined)[]) => list.map((t) => (t === undefined ? 'never' : t.toFixed(0))).join(', ');
    console.log(
      `# board.yaml changed in the shared folder: served by A, B, C ${ms(served)} ms after the write; /health agreeing on the new fingerprints ${ms(agreed)} ms (heartbeat 0.5 s)`,
    );
    assert.ok(
      served.every((t) => t !== undefined && t <= 2000),
      `every instance serves it within 2 s: ${ms(served)}`,
    );
    assert.ok(
      agreed.every((t) => t !== undefined && t <= 2000),
      `every /health agrees within 2 s: ${ms(agreed)}`,
    );
  });

  test('a rolling restart under load: no request fails, no acknowledged write is lost', async () => {
    const stop = new AbortController();
    const running = load(base, stop.signal);
    const started = performance.now();
    const restarts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      const code = await instances[i]?.stop();
      assert.equal(code, 0, instances[i]?.output());
      const restarting = performance.now();
      await start(i);
      restarts.push((performance.now() - restarting) / 1000);
      // nginx leaves a failed instance alone for fail_timeout (10 s): wait it out before the next, as a rollout waits for readiness.
      await sleep(10_500);
    }
    stop.abort();
    const result = await running;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `# rolling restart of 3 instances behind nginx: ${result.ok} requests answered in ${seconds.toFixed(1)} s, ${result.failed.length} failed, ${result.written.length} writes acknowledged; each instance ready ${restarts.map((s) => s.toFixed(1)).join(', ')} s after it was started again`,
    );
    assert.deepEqual(result.failed.slice(0, 5), [], `${result.failed.length} failed`);
    assert.ok(result.ok > 1000, `only ${result.ok} requests answered`);
    assert.equal(await stored(result.written), result.written.length, 'every acknowledged write is stored');
  });

  test('SIGKILL of one instance under load: only what was in flight on it fails, nothing acknowledged is lost', async () => {
    const stop = new AbortController();
    const running = load(base, stop.signal);
    await sleep(1500);
    instances[1]?.child.kill('SIGKILL');
    await sleep(3000);
    stop.abort();
    const result = await running;
    console.log(
      `# SIGKILL of one of 3 instances under 10 connections: ${result.ok} answered, ${result.failed.length} failed (in flight on it), ${result.written.length} writes acknowledged`,
    );
    assert.ok(result.failed.length <= 10, `at most one request per connection was in flight on it; ${result.failed.length} failed`);
    assert.equal(await stored(result.written), result.written.length, 'every acknowledged write is stored');
    await start(1);
  });
});
