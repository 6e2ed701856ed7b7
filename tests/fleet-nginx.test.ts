import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { postgresServerGate } from './support/postgres-server.ts';
import { makeProject, type TestProject } from './support/project.ts';
import { freePort, redisServerGate } from './support/redis-server.ts';
import { type ServeProcess, serveProcess } from './support/serve-process.ts';

/**
 * Three `council serve` processes on one PostgreSQL and one Redis, behind a real nginx
 * (Debian's package) as the load balancer: a rolling restart under 10 connections of
 * reads and writes fails no request and loses no acknowledged write; one instance killed
 * with SIGKILL under load fails only what was in flight on it, and loses nothing
 * acknowledged.
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

describe('three instances behind nginx', { skip, timeout: 180_000 }, () => {
  let project: TestProject;
  let nginx: ChildProcess | undefined;
  let base = '';
  const ports: number[] = [];
  const instances: (ServeProcess | undefined)[] = [];
  const env = { ...process.env, NODE_ENV: 'test', DATABASE_URL: pg.url, REDIS_URL: redis.url };
  const start = async (i: number) => {
    instances[i] = await serveProcess(['--port', String(ports[i]), '--no-watch'], { cwd: project.root, env });
  };

  before(async () => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql`drop table if exists notes`;
    await sql.end();
    project = makeProject({ 'notes.yaml': notes });
    writeFileSync(
      join(project.root, 'council.config.yaml'),
      `automations: automations
dataDir: data
audit: { enabled: false }
analytics: { enabled: false }
server: { shutdownGraceSeconds: 1, shutdownTimeoutSeconds: 10 }
rateLimit: { requests: 1000000, perSeconds: 1, store: redis }
idempotency: { store: redis }
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

  test('a rolling restart under load: no request fails, no acknowledged write is lost', async () => {
    const stop = new AbortController();
    const running = load(base, stop.signal);
    const started = performance.now();
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      const code = await instances[i]?.stop();
      assert.equal(code, 0, instances[i]?.output());
      await start(i);
      // nginx leaves a failed instance alone for fail_timeout (10 s): wait it out before the next, as a rollout waits for readiness.
      await sleep(10_500);
    }
    stop.abort();
    const result = await running;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `# rolling restart of 3 instances behind nginx: ${result.ok} requests answered in ${seconds.toFixed(1)} s, ${result.failed.length} failed, ${result.written.length} writes acknowledged`,
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
