import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

/**
 * X-Request-Id (security.md, the audit log): a write, and any audited answer, carries
 * one; the caller's own is kept when it is plain (letters, digits, `_ . : -`, at most 128),
 * and anything else, however hostile, is replaced by a new id, never echoed into the
 * response or the audit log. Bytes HTTP does not allow in a header never reach a handler.
 */
const pg = await postgresServerGate();
const NAME = `traced-${process.pid}`;
const manifest = `name: ${NAME}
description: Records whose writes are traced.
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
/** What the engine makes: a record id (UUID). */
const MADE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Entry {
  readonly action: string;
  readonly outcome: string;
  readonly requestId?: string;
  readonly status?: number;
}

/** One raw HTTP/1.1 request, header bytes as given (latin1); the status line and headers of the answer. */
function rawRequest(url: string, head: string, body: string): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [top = '', rest = ''] = received.split('\r\n\r\n', 2);
      resolve({ status: Number(top.split(' ')[1]), head: top, body: rest });
    });
    socket.write(Buffer.from(`${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, 'latin1'));
  });
}

describe('X-Request-Id', () => {
  let project: TestProject;
  let server: RunningServer;
  let key: Record<string, string>;
  before(async () => {
    project = makeProject({ [`${NAME}.yaml`]: manifest }, pg.skip ? {} : { postgres: { backend: 'postgres', url: pg.url } });
    server = await listen(project.config({ audit: { enabled: true } }), silentLogger);
    const made = await call(server.url, 'POST', '/admin/keys', { name: 'request ids', scopes: [`${NAME}:*`] }, adminHeaders(server));
    key = { authorization: `Bearer ${made.json.secret}` };
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });
  const entries = async (): Promise<Entry[]> =>
    (await call(server.url, 'GET', `/admin/audit?automation=${NAME}&limit=1000`, undefined, adminHeaders(server))).json.data;

  it('a plain id is kept: on the answer and in the audit entry', async () => {
    for (const id of ['req-42', 'trace.7f3a:span_9', 'a'.repeat(128)]) {
      const created = await call(server.url, 'POST', `/${NAME}`, { text: 'plain' }, { ...key, 'x-request-id': id });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('x-request-id'), id);
      const entry = (await entries()).find((e) => e.requestId === id);
      assert.equal(entry?.action, 'create');
    }
  });

  it('a hostile id is replaced by a new one, never echoed into the answer or the log', async () => {
    const hostile = [
      'a'.repeat(129),
      'two words',
      '<script>alert(1)</script>',
      '"},"outcome":"ok',
      'id\twith\ttabs',
      '../../etc/passwd',
      'x%0d%0aSet-Cookie:%20a=b',
      '${jndi:ldap://x/a}',
    ];
    for (const id of hostile) {
      const created = await call(server.url, 'POST', `/${NAME}`, { text: 'hostile' }, { ...key, 'x-request-id': id });
      assert.equal(created.status, 201, id);
      const given = created.headers.get('x-request-id') ?? '';
      assert.match(given, MADE, `${JSON.stringify(id)} answered with ${JSON.stringify(given)}`);
    }
    // Bytes beyond ASCII (latin1 é, UTF-8 of ü): the same.
    for (const bytes of ['caf\xe9', 'gr\xc3\xbcn']) {
      const answer = await rawRequest(
        server.url,
        `POST /${NAME} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${key.authorization}\r\nX-Request-Id: ${bytes}`,
        '{"text":"bytes"}',
      );
      assert.equal(answer.status, 201, answer.head);
      assert.match(/^x-request-id: (.*)$/im.exec(answer.head)?.[1] ?? '', MADE, answer.head);
    }
    const logged = (await entries()).flatMap((e) => (e.requestId === undefined ? [] : [e.requestId]));
    for (const id of hostile) assert.equal(logged.includes(id), false, `${JSON.stringify(id)} reached the audit log`);
    assert.equal(
      logged.filter((id) => !MADE.test(id) && !/^(req-42|trace\.7f3a:span_9|a{128})$/.test(id)).length,
      0,
      `every other id in the log is one the engine made: ${logged.join(' ')}`,
    );
  });

  it('control characters in the header are a 400 before any handler runs: nothing is written', async () => {
    const before = (await call(server.url, 'GET', `/${NAME}?limit=100`, undefined, key)).json.data.length;
    for (const bytes of ['a\x1b[31mred', 'a\x00b', 'a\rb', 'a\x7fb']) {
      const answer = await rawRequest(
        server.url,
        `POST /${NAME} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${key.authorization}\r\nX-Request-Id: ${bytes}`,
        '{"text":"control"}',
      );
      assert.equal(answer.status, 400, `${JSON.stringify(bytes)}: ${answer.head}`);
      assert.match(answer.head, /content-type: application\/problem\+json/i);
      assert.equal(JSON.parse(answer.body).code, 'malformed-request');
    }
    assert.equal((await call(server.url, 'GET', `/${NAME}?limit=100`, undefined, key)).json.data.length, before);
  });

  it('a refused write and a denied read carry the id they are audited under', async () => {
    const invalid = await call(server.url, 'POST', `/${NAME}`, { text: 7 }, { ...key, 'x-request-id': 'bad-write-1' });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.headers.get('x-request-id'), 'bad-write-1');
    const denied = await call(server.url, 'GET', `/${NAME}`, undefined, { 'x-request-id': 'no-key-1' });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('x-request-id'), 'no-key-1');
    const hostile = await call(server.url, 'GET', `/${NAME}`, undefined, { 'x-request-id': '<b>' });
    const made = hostile.headers.get('x-request-id') ?? '';
    assert.match(made, MADE);
    const log = await entries();
    assert.equal(log.find((e) => e.requestId === 'bad-write-1')?.outcome, 'failed');
    assert.equal(log.find((e) => e.requestId === 'no-key-1')?.outcome, 'denied');
    assert.equal(log.find((e) => e.requestId === made)?.status, 401, 'the made id is the one audited');
  });

  it('a path or method the automation does not serve (404, 405) carries one too', async () => {
    const path = await call(server.url, 'GET', `/${NAME}/a/b`, undefined, { 'x-request-id': 'no-route-1' });
    assert.equal(path.status, 404);
    assert.equal(path.headers.get('x-request-id'), 'no-route-1');
    const method = await call(server.url, 'PATCH', `/${NAME}`, undefined, { 'x-request-id': 'no-method-1' });
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('x-request-id'), 'no-method-1');
    assert.equal(method.headers.get('allow'), 'GET, HEAD, POST');
    const slash = await call(server.url, 'GET', `/${NAME}/`);
    assert.equal(slash.status, 404);
    assert.match(slash.headers.get('x-request-id') ?? '', MADE);
  });
});
