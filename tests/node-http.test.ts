import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { contactsManifest } from './support/contacts.ts';
import { call, makeProject, type TestProject } from './support/project.ts';

/** One response read off a raw connection. */
interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Sends `bytes` on a new TCP connection and reads until the server closes it (or 10 s
 * pass), then splits what came back into responses by their Content-Length.
 */
function exchange(url: string, bytes: string): Promise<{ responses: RawResponse[]; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const timer = setTimeout(() => finish(false), 10_000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: parseResponses(received), closed });
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`not an HTTP response: ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

function assertProblem(response: RawResponse | undefined, status: number, code: string): void {
  assert.ok(response, `a ${status} response`);
  assert.equal(response.status, status, response.body);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  assert.equal(response.headers.connection, 'close');
  const problem = JSON.parse(response.body);
  assert.deepEqual([problem.type, problem.status, problem.code], [`/problems/${code}`, status, code]);
  assert.equal(typeof problem.title, 'string');
  assert.ok(problem.detail.length > 20, problem.detail);
}

const logged: { level: string; message: string }[] = [];
const capture: Logger = {
  info: (message) => logged.push({ level: 'info', message }),
  warn: (message) => logged.push({ level: 'warn', message }),
  error: (message) => logged.push({ level: 'error', message }),
};

describe("Node's HTTP layer answers in problem+json, and a write is applied only when its request was read correctly", () => {
  let project: TestProject;
  let server: RunningServer;
  const body = JSON.stringify({ name: 'a', email: 'a@example.com' });
  const post = (payload = body) =>
    `POST /contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
  const count = async () => (await call(server.url, 'GET', '/contacts?count=true')).json.meta.count as number;

  before(async () => {
    project = makeProject({ 'contacts.yaml': contactsManifest('contacts', '  backend: memory') });
    server = await listen(project.config(), capture);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('bytes after a complete POST: its 201 arrives, then a problem+json 400, then the connection closes; the record exists once', async () => {
    const before = await count();
    const { responses, closed } = await exchange(server.url, `${post()}garbage that is not a request\r\n\r\n`);
    assert.ok(closed, 'the server closes the connection');
    assert.equal(responses.length, 2, JSON.stringify(responses));
    assert.equal(responses[0]?.status, 201, responses[0]?.body);
    const created = JSON.parse(responses[0]?.body ?? '{}').data;
    assert.equal(responses[0]?.headers.location, `/contacts/${created.id}`);
    assertProblem(responses[1], 400, 'malformed-request');
    assert.match(JSON.parse(responses[1]?.body ?? '{}').detail, /Invalid method/);
    assert.equal(await count(), before + 1);
    assert.equal((await call(server.url, 'GET', `/contacts/${created.id}`)).status, 200);
  });

  it('pipelined requests before the bad bytes are all answered, in order, before the 400', async () => {
    const before = await count();
    const { responses } = await exchange(server.url, `${post()}GET /contacts?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n${post()}\x01\x02\r\n\r\n`);
    assert.deepEqual(
      responses.map((r) => r.status),
      [201, 200, 201, 400],
    );
    assertProblem(responses[3], 400, 'malformed-request');
    assert.equal(await count(), before + 2);
  });

  it('Content-Length with Transfer-Encoding (request smuggling): 400 problem+json, nothing written', async () => {
    const before = await count();
    const { responses, closed } = await exchange(
      server.url,
      `POST /contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    assert.ok(closed);
    assert.equal(responses.length, 1);
    assertProblem(responses[0], 400, 'malformed-request');
    assert.match(JSON.parse(responses[0]?.body ?? '{}').detail, /Content-Length/);
    assert.equal(await count(), before);
  });

  it('a bad chunk inside a body: 400 problem+json, and that write is never applied', async () => {
    const before = await count();
    const half = body.slice(0, 10);
    const { responses, closed } = await exchange(
      server.url,
      `POST /contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${half.length.toString(16)}\r\n${half}\r\nzz\r\n${body.slice(10)}\r\n0\r\n\r\n`,
    );
    assert.ok(closed);
    assert.equal(responses.length, 1, JSON.stringify(responses));
    assertProblem(responses[0], 400, 'malformed-request');
    assert.equal(await count(), before);
  });

  it('a query string past 16 KiB: 431 problem+json', async () => {
    const { responses, closed } = await exchange(
      server.url,
      `GET /contacts?plan[in]=${'free,'.repeat(5000)}free HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.ok(closed);
    assert.equal(responses.length, 1);
    assertProblem(responses[0], 431, 'headers-too-large');
  });

  it('a path the URL cannot be built from (a backslash): 400 problem+json instead of an empty body', async () => {
    const { responses } = await exchange(server.url, 'GET /contacts\\..\\x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(responses.length, 1);
    assert.equal(responses[0]?.status, 400);
    assert.equal(responses[0]?.headers['content-type'], 'application/problem+json');
    assert.equal(JSON.parse(responses[0]?.body ?? '{}').code, 'malformed-request');
  });

  it('a client that sends half a body and goes away: nothing written, nothing logged as an error, the server serves on', async () => {
    const before = await count();
    logged.length = 0;
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `POST /contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      setTimeout(() => {
        socket.resetAndDestroy();
        setTimeout(resolve, 500);
      }, 200);
    });
    assert.equal(await count(), before);
    assert.deepEqual(
      logged.filter((l) => l.level === 'error'),
      [],
    );
  });
});

describe('a stopping server answers a request that arrives on a connection it had just accepted', () => {
  it('a POST written 50 ms after close began, on a connection opened before, gets its 201 with Connection: close (not a reset a load balancer would turn into a 502)', async () => {
    const project = makeProject({ 'contacts.yaml': contactsManifest('contacts', '  backend: memory') });
    const server = await listen(project.config(), capture);
    try {
      const { hostname, port } = new URL(server.url);
      const socket = connect(Number(port), hostname);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        received += chunk;
      });
      const reset = new Promise<string>((resolve) => {
        socket.on('error', (error) => resolve(String(error)));
        socket.on('close', () => resolve('closed'));
      });
      const closing = server.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const payload = JSON.stringify({ name: 'late', email: 'late@example.com' });
      socket.write(
        `POST /contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
      );
      assert.equal(await reset, 'closed');
      const [response] = parseResponses(received);
      assert.equal(response?.status, 201, received.slice(0, 300));
      assert.equal(response?.headers.connection, 'close');
      await closing;
    } finally {
      project.remove();
    }
  });
});
