import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DataDirLock, DataDirLockedError, LOCK_FILE, type LockHolder } from '../engine/registry/data-dir-lock.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { runNode } from './support/process.ts';
import { type ServeProcess, serveProcess } from './support/serve-process.ts';

/**
 * One process per embedded data directory, through real `council serve` processes: a
 * second server on the same data directory (or the same port) exits 1 at once with one
 * line naming the first; commands go through the running server or refuse; a lock left
 * by a killed process is taken over; the lock never lets two owners in, even racing.
 */
const BIN = fileURLToPath(new URL('../bin/council.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LINUX = existsSync('/proc/self/stat');
// Variables the shipped config reads are cleared, so the caller's environment cannot change the outcome.
const env = { ...process.env, PORT: '', DATABASE_URL: '', NODE_OPTIONS: '', NODE_ENV: '' };

const roots: string[] = [];
const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await sleep(100);
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A locked postgres automation: serving it opens the embedded automation store and the system store (API keys). */
const TICKETS = `name: tickets
description: Support tickets, to exercise the embedded store.
storage:
  backend: postgres
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, description: Short title. }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;

function project(port = 0): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'council-lock-'));
  roots.push(root);
  mkdirSync(join(root, 'automations'));
  writeFileSync(join(root, 'automations', 'tickets.yaml'), TICKETS);
  writeFileSync(
    join(root, 'council.config.yaml'),
    `server:\n  port: ${port}\n  host: 127.0.0.1\nautomations: automations\ndataDir: data\n`,
  );
  return { root, data: join(root, 'data') };
}

/** `council serve` as `npm start` runs it, in `root`. */
function serve(root: string, args: string[] = []): Promise<ServeProcess> {
  return serveProcess(args, { cwd: root, env, nodeArgs: ['--max-semi-space-size=32'] });
}

/** Runs a command to its end: exit code, output, and how long it took from spawn to exit. */
async function timed(args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  const started = performance.now();
  const run = await runNode(args, { cwd, env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
  return { ...run, ms: performance.now() - started };
}

const stop = (served: ServeProcess) => served.stop();
/** Why a server stopped as it did, for an assertion's message: a signal that ended it, and all it printed. */
const ended = (served: ServeProcess) => `signal ${served.child.signalCode}; output:\n${served.output()}`;

const holderOf = (data: string) => JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8')) as LockHolder;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('a second server on one data directory', { timeout: 240_000 }, () => {
  it('exits 1 at once with one line naming the pid and port of the first, which keeps serving and keeps its lock', async (t) => {
    const { root, data } = project();
    const first = await serve(root);
    try {
      const second = await timed([BIN, 'serve', '--port', '0'], root);
      t.diagnostic(`second server on the same data directory exited ${second.status} after ${second.ms.toFixed(0)} ms`);
      assert.equal(second.status, 1, second.stderr);
      const lines = second.stderr.trim().split('\n');
      assert.equal(lines.length, 1, second.stderr);
      assert.match(
        lines[0] as string,
        new RegExp(
          `^council serve: data directory ${data} is in use by council serve \\(pid ${first.child.pid}, port ${first.port}, since [^)]+\\); stop it first, or give this server a data directory of its own with --data$`,
        ),
      );
      assert.equal(second.stdout, '', 'it served nothing');
      assert.match(
        first.output(),
        /\/tickets {2}\(postgres: embedded PGlite in data; automations\/tickets\.yaml\)$/m,
        'the start-up list says where the data lives',
      );
      assert.ok(second.ms < 5000, `exited within seconds, before opening any store: ${second.ms.toFixed(0)} ms`);
      // The first is untouched: still serving, still holding its lock file (the second never removed it).
      assert.equal((await fetch(`${first.url}/health`)).status, 200);
      assert.equal(holderOf(data).pid, first.child.pid);
      assert.equal(statSync(join(data, LOCK_FILE)).mode & 0o777, 0o600, 'the lock holds the admin token: owner only');

      // What used to be lost: a key made beside the running server is the server's own, and survives its restart.
      const made = await timed([BIN, 'keys', 'create', '--name', 'beside', '--scopes', 'tickets:*'], root);
      assert.equal(made.status, 0, made.stderr);
      const key = made.stdout.trim();
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/tickets`, { method: 'POST', headers, body: JSON.stringify({ title: 'kept' }) });
      assert.equal(created.status, 201, 'the key works at once on the running server');
      assert.equal(await stop(first), 0, ended(first));
      assert.equal(existsSync(join(data, LOCK_FILE)), false, 'released on stop');
      const again = await serve(root);
      try {
        const listed = await fetch(`${again.url}/tickets`, { headers });
        assert.equal(listed.status, 200, 'the key survived the restart');
        assert.deepEqual(
          ((await listed.json()) as { data: { title: string }[] }).data.map((r) => r.title),
          ['kept'],
        );
      } finally {
        await stop(again);
      }
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('npm start twice on one port fails in well under a second, before opening any store', async (t) => {
    const port = await freePort();
    const { root, data } = project(port);
    const first = await serve(root);
    try {
      const same: number[] = [];
      for (let i = 0; i < 5; i++) {
        const run = await timed(['--max-semi-space-size=32', BIN, 'serve'], root);
        assert.equal(run.status, 1, run.stderr);
        assert.match(
          run.stderr.trim(),
          new RegExp(`^council serve: data directory ${data} is in use by council serve \\(pid ${first.child.pid}, port ${port}, `),
        );
        same.push(run.ms);
      }
      // Another data directory, the same port: the port is checked before any store opens.
      const other = join(root, 'other-data');
      const elsewhere: number[] = [];
      for (let i = 0; i < 5; i++) {
        const run = await timed(['--max-semi-space-size=32', BIN, 'serve', '--data', other], root);
        assert.equal(run.status, 1, run.stderr);
        assert.equal(
          run.stderr.trim(),
          `council serve: cannot listen on 127.0.0.1:${port}: the port is already in use; stop the other server or pick another port with --port or PORT`,
        );
        elsewhere.push(run.ms);
      }
      assert.equal(existsSync(join(other, 'postgres')), false, 'no store was opened');
      assert.equal(existsSync(join(other, LOCK_FILE)), false, 'its lock was released');
      const baseline = await timed([BIN, '--version'], root);
      t.diagnostic(
        `second npm start, same data directory: ${same.map((ms) => ms.toFixed(0)).join(', ')} ms; other data directory: ${elsewhere.map((ms) => ms.toFixed(0)).join(', ')} ms (spawn to exit; council --version alone: ${baseline.ms.toFixed(0)} ms)`,
      );
      // The best of five: on a machine other processes share, noise only ever adds time.
      assert.ok(Math.min(...same) < 1000, `best ${Math.min(...same).toFixed(0)} ms`);
      assert.ok(Math.min(...elsewhere) < 1000, `best ${Math.min(...elsewhere).toFixed(0)} ms`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, 'the first still serves');
    } finally {
      await stop(first);
    }
  });

  it('a killed server leaves a stale lock, which the next server takes over; SIGINT while starting releases it', async (t) => {
    const { root, data } = project();
    const first = await serve(root);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    assert.equal(holderOf(data).pid, first.child.pid, 'SIGKILL leaves the lock file behind');
    const listed = await timed([BIN, 'keys', 'list'], root);
    assert.equal(listed.status, 0, `a stale lock does not block commands: ${listed.stderr}`);
    const next = await serve(root);
    assert.equal(holderOf(data).pid, next.child.pid);
    assert.equal(await stop(next), 0, ended(next));

    // Interrupted while starting (the engine still opening its stores): the lock goes with the process.
    const { root: fresh, data: freshData } = project();
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: fresh, env });
    children.add(child);
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(freshData, LOCK_FILE))) {
      assert.ok(Date.now() < deadline, 'the lock appears');
      await sleep(10);
    }
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    t.diagnostic(`SIGINT while starting: exit ${code}`);
    assert.ok(code === 130 || code === 0, `exit ${code}`);
    assert.equal(existsSync(join(freshData, LOCK_FILE)), false, 'released');
  });

  it('answers 503 server-starting until ready; a command run meanwhile waits for it', async (t) => {
    const { root } = project();
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { cwd: root, env });
    children.add(child);
    try {
      const statuses: number[] = [];
      let starting: Response | undefined;
      let keys: ReturnType<typeof timed> | undefined;
      const deadline = Date.now() + 60_000;
      for (;;) {
        assert.ok(Date.now() < deadline, `ready within 60 s: ${statuses.join(',')}`);
        const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (response) {
          statuses.push(response.status);
          if (response.status === 200) break;
          starting ??= response;
          keys ??= timed([BIN, 'keys', 'list'], root);
        }
        await sleep(20);
      }
      t.diagnostic(`answers before ready: ${statuses.filter((s) => s === 503).length} x 503, then 200`);
      assert.ok(starting, 'the port answered before the engine was ready');
      assert.equal(starting.status, 503);
      assert.equal(starting.headers.get('content-type'), 'application/problem+json');
      assert.equal(starting.headers.get('retry-after'), '1');
      assert.equal(((await starting.json()) as { code: string }).code, 'server-starting');
      const listed = await (keys as ReturnType<typeof timed>);
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(listed.stdout, /"bootstrap admin"/, 'the command waited for the server and went through it');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});

describe('commands beside a running server', { timeout: 240_000 }, () => {
  it('migrate refuses in one line naming the server; migrate --dry-run, validate and audit go through it', async () => {
    const { root, data } = project();
    const first = await serve(root);
    try {
      const migrate = await timed([BIN, 'migrate'], root);
      assert.equal(migrate.status, 1);
      assert.match(
        migrate.stderr.trim(),
        new RegExp(
          `^council migrate: data directory ${data} is in use by council serve \\(pid ${first.child.pid}, port ${first.port}, [^\\n]*--dry-run shows them through it$`,
        ),
      );
      const dry = await timed([BIN, 'migrate', '--dry-run'], root);
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(
        dry.stdout,
        new RegExp(
          `^tickets \\(postgres, table tickets\\): up to date \\(asked the server at http://127\\.0\\.0\\.1:${first.port}\\)$`,
          'm',
        ),
      );
      const validated = await timed([BIN, 'validate'], root);
      assert.equal(validated.status, 0, validated.stderr);
      assert.match(
        validated.stdout,
        new RegExp(`^stores: asked tickets \\(through the server at http://127\\.0\\.0\\.1:${first.port}\\)$`, 'm'),
      );
      const audit = await timed([BIN, 'audit'], root);
      assert.equal(audit.status, 0, audit.stderr);
      assert.equal(holderOf(data).pid, first.child.pid, 'none of them took the lock');
    } finally {
      await stop(first);
    }
  });

  it('a command holding the data directory: a server exits 1 naming it, keys and migrate refuse in one line', async () => {
    const { root, data } = project();
    const lock = new DataDirLock(data, 'council migrate');
    lock.acquire();
    try {
      const served = await timed([BIN, 'serve'], root);
      assert.equal(served.status, 1);
      assert.match(
        served.stderr.trim(),
        new RegExp(
          `^council serve: data directory ${data} is in use by council migrate \\(pid ${process.pid}, since [^)]+\\); stop it first`,
        ),
      );
      for (const args of [['keys', 'list'], ['migrate']]) {
        const run = await timed([BIN, ...args], root);
        assert.equal(run.status, 1, args.join(' '));
        assert.match(
          run.stderr.trim(),
          new RegExp(
            `^council ${args[0]}: data directory ${data} is in use by council migrate \\(pid ${process.pid}, since [^)]+\\); try again once it has finished$`,
          ),
        );
      }
    } finally {
      lock.release();
    }
  });
});

const pg = await postgresServerGate();

describe('servers with no embedded store share a data directory', { skip: pg.skip, timeout: 120_000 }, () => {
  it('two servers whose connections all have URLs run side by side on one data directory, and no lock file is written', async () => {
    const root = mkdtempSync(join(tmpdir(), 'council-lock-'));
    roots.push(root);
    mkdirSync(join(root, 'automations'));
    writeFileSync(
      join(root, 'automations', 'notes.yaml'),
      TICKETS.replace('name: tickets', 'name: notes').replace('backend: postgres', 'backend: memory').concat('access: { public: true }\n'),
    );
    writeFileSync(
      join(root, 'council.config.yaml'),
      `server:\n  port: 0\n  host: 127.0.0.1\ndataDir: data\nconnections:\n  postgres:\n    backend: postgres\n    url: "${pg.url}"\n`,
    );
    const a = await serve(root);
    const b = await serve(root);
    try {
      assert.notEqual(a.port, b.port);
      assert.equal((await fetch(`${a.url}/notes`)).status, 200);
      assert.equal((await fetch(`${b.url}/notes`)).status, 200);
      assert.equal(existsSync(join(root, 'data', LOCK_FILE)), false);
    } finally {
      await stop(a);
      await stop(b);
    }
  });
});

describe('DataDirLock', () => {
  const dir = () => {
    const root = mkdtempSync(join(tmpdir(), 'council-lock-unit-'));
    roots.push(root);
    return join(root, 'data');
  };

  it('one owner at a time, in this process too; releasing never removes another owner’s lock', () => {
    const data = dir();
    const first = new DataDirLock(data, 'council serve');
    first.acquire({ port: 8080 });
    const second = new DataDirLock(data, 'council keys');
    assert.throws(
      () => second.acquire(),
      (error: unknown) =>
        error instanceof DataDirLockedError &&
        new RegExp(`^data directory ${data} is in use by council serve in this process \\(pid ${process.pid}, port 8080, since `).test(
          error.message,
        ),
    );
    second.release();
    assert.equal(holderOf(data).command, 'council serve', 'the refused owner removed nothing');
    first.release();
    assert.equal(existsSync(join(data, LOCK_FILE)), false);
    second.acquire();
    assert.equal(holderOf(data).command, 'council keys');
    second.release();

    // A server that takes the lock late (a connection became embedded on a config reload) still says where it listens.
    const late = new DataDirLock(data, 'council serve');
    late.publish({ port: 8080, url: 'http://127.0.0.1:8080', token: 'secret' });
    assert.equal(existsSync(join(data, LOCK_FILE)), false, 'publishing takes nothing');
    late.acquire();
    assert.deepEqual([holderOf(data).port, holderOf(data).url], [8080, 'http://127.0.0.1:8080']);
    late.release();
  });

  it('a lock whose process is gone, whose pid now belongs to another process, or that is not a lock at all, is taken over', async () => {
    const data = dir();
    mkdirSync(data, { recursive: true });
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    const stale = (holder: Partial<LockHolder>) =>
      writeFileSync(
        join(data, LOCK_FILE),
        JSON.stringify({ command: 'council serve', nonce: 'old', startedAt: '2026-01-01T00:00:00Z', ...holder }),
      );
    const cases: [string, () => void][] = [
      ['dead pid', () => stale({ pid: gone.pid as number })],
      ['truncated file', () => writeFileSync(join(data, LOCK_FILE), '{"pid": 12')],
    ];
    // A live pid that started at another time is another process: the holder's pid was reused.
    if (LINUX) cases.push(['reused pid', () => stale({ pid: process.pid, startTime: '1' })]);
    for (const [label, write] of cases) {
      write();
      const lock = new DataDirLock(data, 'council serve');
      lock.acquire();
      assert.equal(holderOf(data).nonce !== 'old' && holderOf(data).pid === process.pid, true, label);
      lock.release();
    }
  });

  it('a live process keeps its lock until it exits, whatever way it exits', async () => {
    const data = dir();
    const hold = (exit: string) =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { DataDirLock } = await import(${JSON.stringify(join(ROOT, 'engine/registry/data-dir-lock.ts'))});
           new DataDirLock(${JSON.stringify(data)}, 'council migrate').acquire();
           console.log('held');
           setTimeout(() => { ${exit} }, 400);`,
        ],
        { cwd: ROOT, env },
      );
    for (const exit of ['throw new Error("crash")', 'process.exit(3)', 'undefined']) {
      const child = hold(exit);
      children.add(child);
      await once(child.stdout, 'data');
      assert.throws(() => new DataDirLock(data).acquire(), new RegExp(`in use by council migrate \\(pid ${child.pid}, `), exit);
      await once(child, 'exit');
      assert.equal(existsSync(join(data, LOCK_FILE)), false, `released after ${exit}`);
    }
  });

  it('processes racing for a free or a stale lock: exactly one wins', async (t) => {
    const data = dir();
    mkdirSync(data, { recursive: true });
    // Each racer says "ready" once loaded, tries the lock when told "go", and holds what it
    // won until its stdin ends: no racer can come late and find the winner already gone,
    // however slowly the machine starts processes.
    const racer = `const { DataDirLock } = await import(${JSON.stringify(join(ROOT, 'engine/registry/data-dir-lock.ts'))});
      const lock = new DataDirLock(${JSON.stringify(data)}, 'racer');
      process.stdin.once('data', () => {
        try { lock.acquire(); console.log('won'); } catch (e) { console.log(e.name === 'DataDirLockedError' ? 'lost' : 'error ' + e.message); }
      });
      process.stdin.once('end', () => process.exit(0));
      console.log('ready');`;
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    for (const round of ['free', 'stale']) {
      if (round === 'stale')
        writeFileSync(join(data, LOCK_FILE), JSON.stringify({ pid: gone.pid, nonce: 'old', command: 'x', startedAt: 'then' }));
      const racers = Array.from({ length: 6 }, () => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', racer], { cwd: ROOT, env });
        children.add(child);
        const lines: string[] = [];
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk;
          const parts = text.split('\n');
          text = parts.pop() ?? '';
          lines.push(...parts);
        });
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk;
        });
        const exited = once(child, 'exit');
        return { child, lines, exited, err: () => err };
      });
      const said = async (count: number) => {
        const deadline = Date.now() + 60_000;
        while (racers.some((r) => r.lines.length < count && r.child.exitCode === null)) {
          assert.ok(Date.now() < deadline, `racers did not answer: ${racers.map((r) => r.err()).join('\n')}`);
          await sleep(20);
        }
      };
      await said(1);
      for (const r of racers) r.child.stdin.write('go\n');
      await said(2);
      const outcomes = racers.map((r) => r.lines[1] ?? `no answer: ${r.err().trim()}`);
      for (const r of racers) r.child.stdin.end();
      await Promise.all(racers.map((r) => r.exited));
      t.diagnostic(`${round}: ${outcomes.join(', ')}`);
      assert.equal(outcomes.filter((o) => o === 'won').length, 1, outcomes.join('\n'));
      assert.equal(outcomes.filter((o) => o === 'lost').length, 5, outcomes.join('\n'));
      assert.equal(existsSync(join(data, LOCK_FILE)), false, 'the winner released it on exit');
    }
  });
});
