import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { makeProject, type TestProject } from './support/project.ts';
import { redisServerGate } from './support/redis-server.ts';
import { type ServeProcess, serveProcess } from './support/serve-process.ts';

/**
 * SIGTERM with requests in flight (cli.md: `council serve` "runs until SIGINT or SIGTERM,
 * then closes its connections, releases its data directory and exits 0"): it stops taking
 * connections at once, lets the requests it has finish with their answers, and exits 0
 * soon after, even while a client keeps an idle keep-alive connection open.
 */
const manifest = `name: notes
description: Notes.
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  required: [text]
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: create
`;

/** GET over `agent`, so the connection stays open afterwards when the agent keeps it alive. */
function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A POST whose body is held back after 5 bytes, on `agent` (which keeps its connection open
 * after the answer, as an SDK or load balancer does); `release` sends the rest and resolves
 * with the answer. Resolves once the request's first bytes are written.
 */
async function holdPost(url: string, agent: Agent, body: unknown) {
  const text = JSON.stringify(body);
  let rest: () => void = () => {};
  const answer = new Promise<{ status: number; text: string; connection: string | undefined }>((resolve, reject) => {
    const req = httpRequest(`${url}/notes`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let received = '';
      res.on('data', (chunk) => {
        received += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: received, connection: res.headers.connection }));
    });
    req.on('error', reject);
    rest = () => req.end(text.slice(5));
    req.write(text.slice(0, 5));
  });
  answer.catch(() => {});
  // The server has the request once the agent's socket is connected and its head written.
  while (!Object.values(agent.sockets).some((list) => list?.some((socket) => socket.bytesWritten > 0))) await sleep(10);
  return {
    release() {
      rest();
      return answer;
    },
  };
}

describe('council serve: SIGTERM while requests are in flight', () => {
  let project: TestProject | undefined;
  let serving: ServeProcess | undefined;
  after(async () => {
    serving?.child.kill('SIGKILL');
    project?.remove();
  });

  it('answers the requests in flight, refuses new connections, and exits 0 without waiting on idle connections', {
    timeout: 90_000,
  }, async () => {
    project = makeProject({ 'notes.yaml': manifest });
    // No audit: its embedded store, opened at start, would make the exit wait for that instead.
    writeFileSync(join(project.root, 'council.config.yaml'), 'automations: automations\naudit: { enabled: false }\n');
    serving = await serveProcess(['--port', '0', '--no-watch'], { cwd: project.root, env: { ...process.env, NODE_ENV: 'test' } });
    const { url, child } = serving;
    // An idle keep-alive connection, as a load balancer or an SDK keeps one.
    const idle = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal(await get(`${url}/notes`, idle), 200);
    // Two writes whose bodies are still coming when the signal arrives.
    const first = await holdPost(url, new Agent({ keepAlive: true }), { text: 'first in flight' });
    const second = await holdPost(url, new Agent({ keepAlive: true }), { text: 'second in flight' });

    const exited = once(child, 'exit');
    const signalled = performance.now();
    child.kill('SIGTERM');
    // The port closes: a new connection is refused.
    let refused = false;
    while (!refused && performance.now() - signalled < 10_000) {
      refused = await fetch(`${url}/notes`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => {
          await r.body?.cancel();
          return false;
        },
        (error: Error) => /ECONNREFUSED/.test(String((error.cause as Error | undefined)?.message ?? error.message)),
      );
      if (!refused) await sleep(20);
    }
    assert.ok(refused, 'the server still took new connections 10 s after SIGTERM');
    assert.equal(child.exitCode, null, 'still running: it waits for the requests in flight');
    // A SIGHUP meanwhile (an operator's reload, a closing terminal) changes nothing.
    child.kill('SIGHUP');
    await sleep(100);
    assert.equal(child.signalCode, null, `a SIGHUP while closing ended it:\n${serving.output()}`);

    const answers = await Promise.all([first.release(), second.release()]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [201, 201],
      answers.map((a) => a.text).join('\n'),
    );
    assert.deepEqual(
      answers.map((a) => JSON.parse(a.text).data.text),
      ['first in flight', 'second in flight'],
    );
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    const took = performance.now() - signalled;
    assert.equal(code, 0, `exit ${code} (signal ${signal}):\n${serving.output()}`);
    assert.ok(took < 10_000, `exited ${Math.round(took)} ms after SIGTERM: it waited on an idle connection`);
    assert.doesNotMatch(serving.output(), / error /, serving.output());
    idle.destroy();
  });

  it('exits 0 at once while an MCP client holds its event stream open', { timeout: 90_000 }, async () => {
    const mcpProject = makeProject({ 'notes.yaml': manifest });
    writeFileSync(join(mcpProject.root, 'council.config.yaml'), 'automations: automations\naudit: { enabled: false }\n');
    const mcpServing = await serveProcess(['--port', '0', '--no-watch'], {
      cwd: mcpProject.root,
      env: { ...process.env, NODE_ENV: 'test' },
    });
    const client = new Client({ name: 'council-test', version: '1.0.0' });
    try {
      const transport = new StreamableHTTPClientTransport(new URL(`${mcpServing.url}/mcp`));
      await client.connect(transport);
      assert.deepEqual(
        (await client.listTools()).tools.map((t) => t.name),
        ['listNotes', 'createNote'],
      );
      const exited = once(mcpServing.child, 'exit');
      const signalled = performance.now();
      mcpServing.child.kill('SIGTERM');
      const stopped = await Promise.race([exited, sleep(15_000).then(() => undefined)]);
      const took = performance.now() - signalled;
      assert.ok(stopped, `still running 15 s after SIGTERM: the open MCP stream held it:\n${mcpServing.output()}`);
      assert.equal(stopped[0], 0);
      assert.ok(took < 10_000, `exited ${Math.round(took)} ms after SIGTERM`);
    } finally {
      mcpServing.child.kill('SIGKILL');
      await client.close().catch(() => {});
      mcpProject.remove();
    }
  });
});

/** A GET's status and `Connection` header, over `agent`. */
function getWith(url: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('council serve: SIGTERM with a grace period (server.shutdownGraceSeconds)', () => {
  const started: { project: TestProject; serving: ServeProcess }[] = [];
  after(() => {
    for (const { project, serving } of started) {
      serving.child.kill('SIGKILL');
      project.remove();
    }
  });
  const start = async (grace: number, timeout = 30) => {
    const project = makeProject({ 'notes.yaml': manifest });
    writeFileSync(
      join(project.root, 'council.config.yaml'),
      `automations: automations\naudit: { enabled: false }\nserver: { shutdownGraceSeconds: ${grace}, shutdownTimeoutSeconds: ${timeout} }\n`,
    );
    const serving = await serveProcess(['--port', '0', '--no-watch'], { cwd: project.root, env: { ...process.env, NODE_ENV: 'test' } });
    started.push({ project, serving });
    return serving;
  };

  it('turns /readyz 503 at once, keeps answering (each answer closing its connection) through the grace, then stops and exits 0', {
    timeout: 60_000,
  }, async () => {
    const { url, child, output } = await start(1.5);
    const kept = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await getWith(`${url}/readyz`, kept)).status, 200);
    const exited = once(child, 'exit');
    const signalled = performance.now();
    child.kill('SIGTERM');
    // /readyz turns at once (within a poll), while requests are still answered.
    let ready = 200;
    while (ready === 200 && performance.now() - signalled < 1000) {
      const probe = await getWith(`${url}/readyz`, kept);
      ready = probe.status;
      if (ready !== 200) assert.equal(JSON.parse(probe.body).code, 'server-stopping');
    }
    assert.equal(ready, 503, 'readyz still 200 a second after SIGTERM');
    const during = await getWith(`${url}/notes`, kept);
    assert.equal(during.status, 200, 'requests are still answered in the grace period');
    assert.equal(during.connection, 'close', 'each answer in the grace period closes its connection');
    assert.ok(performance.now() - signalled < 1500, 'checked within the grace period');
    const [code] = (await exited) as [number | null];
    const took = performance.now() - signalled;
    assert.equal(code, 0, output());
    assert.ok(took >= 1400, `exited ${Math.round(took)} ms after SIGTERM: before its grace period ended`);
    assert.ok(took < 8000, `exited ${Math.round(took)} ms after SIGTERM`);
    assert.match(output(), /SIGTERM: not ready \(\/readyz 503\); serving 1\.5 s more/);
    kept.destroy();
  });

  it('waits for a request in flight no longer than server.shutdownTimeoutSeconds', { timeout: 60_000 }, async () => {
    const { url, child, output } = await start(0, 1);
    // A request whose body never comes: it would hold the shutdown for ever.
    const stuck = await holdPost(url, new Agent({ keepAlive: true }), { text: 'never finished' });
    const answer = stuck.release.bind(stuck);
    const exited = once(child, 'exit');
    const signalled = performance.now();
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    const took = performance.now() - signalled;
    assert.equal(code, 0, output());
    assert.ok(took >= 900 && took < 6000, `exited ${Math.round(took)} ms after SIGTERM (bound: 1 s)`);
    await assert.rejects(answer(), 'its connection was closed under it');
  });

  it('exits at once on a second SIGTERM, and SIGINT skips the grace', { timeout: 60_000 }, async () => {
    const twice = await start(30);
    const exited = once(twice.child, 'exit');
    const signalled = performance.now();
    twice.child.kill('SIGTERM');
    await sleep(300);
    assert.equal(twice.child.exitCode, null, 'still serving its grace period');
    twice.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 143);
    assert.ok(performance.now() - signalled < 5000);
    assert.match(twice.output(), /SIGTERM again: exiting at once/);

    const interrupted = await start(30);
    const stopped = once(interrupted.child, 'exit');
    const at = performance.now();
    interrupted.child.kill('SIGINT');
    const [status] = (await stopped) as [number | null];
    assert.equal(status, 0);
    assert.ok(performance.now() - at < 5000, 'SIGINT waited for the grace period');
  });
});

const redis = await redisServerGate();

describe('listen() in a program of its own: close() leaves nothing running', { skip: redis.skip }, () => {
  it('a process that served a write to Redis and closed its server exits by itself, long before the request timeout', {
    timeout: 90_000,
  }, async () => {
    // Each request to a store outside the process waits for its deadline in a queue with one
    // timer. That timer outlived the requests (armed for the request timeout, 20 s here) and
    // kept the process up for that long after close().
    const redisManifest = manifest
      .replace('name: notes', `name: notes-${process.pid}`)
      .replace('storage: { backend: memory }', 'storage: { backend: redis, connection: cache }');
    const program = `
      import { startServer, makeProject } from ${JSON.stringify(new URL('./support/project.ts', import.meta.url).href)};
      const project = makeProject({ 'notes.yaml': ${JSON.stringify(redisManifest)} }, { cache: { backend: 'redis', url: ${JSON.stringify(redis.url)} } });
      const server = await startServer(project);
      const created = await fetch(server.url + '/notes-${process.pid}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"one"}' });
      await created.text();
      await server.close();
      project.remove();
      console.log('closed', created.status);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = once(child, 'exit');
    const waiting = new AbortController();
    try {
      while (!output.includes('closed') && child.exitCode === null) await sleep(20);
      assert.match(output, /closed 201/);
      const closedAt = performance.now();
      const stopped = await Promise.race([exited, sleep(10_000, undefined, { signal: waiting.signal }).catch(() => undefined)]);
      assert.ok(stopped, `still running 10 s after close() (the request timeout is 20 s):\n${output}`);
      assert.equal(stopped[0], 0, output);
      assert.ok(performance.now() - closedAt < 5_000, `exited ${Math.round(performance.now() - closedAt)} ms after close()`);
    } finally {
      waiting.abort();
      child.kill('SIGKILL');
    }
  });
});
