import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../engine/log.ts';
import { loadManifests } from '../../engine/manifest/load.ts';
import { ConnectionPool } from '../../engine/registry/connections.ts';
import { generateKey } from '../../engine/security/api-key.ts';
import { KeyStore, SYSTEM_CONNECTION } from '../../engine/security/key-store.ts';
import { listen, type RunningServer } from '../../engine/server/listen.ts';
import { postgresServerGate } from '../support/postgres-server.ts';
import { call, makeProject, type TestProject } from '../support/project.ts';
import { redisServerGate } from '../support/redis-server.ts';

/**
 * A catalogue of hostile requests, each through a real server on each available store.
 * For every one: the status and problem code, a problem+json body, nothing written, the
 * server still answering, and Object.prototype untouched.
 */
function manifest(name: string, storage: string, search: boolean): string {
  return `name: ${name}
description: Tickets the hostile-input catalogue attacks.
storage:
${storage}
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, maxLength: 200 }
    status: { type: string, enum: [open, closed] }
    priority: { type: integer, minimum: 1, maximum: 5 }
    code: { type: string, maxLength: 200, pattern: "^(a+)+$" }
    score: { type: number }
    meta: { type: object }
endpoints:
  - operation: list
    filters: [status, priority, title]
    sort: [title, priority]
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
${search ? '  - operation: search\n    fields: [title]\n' : ''}`;
}

type Keys = Record<'writer' | 'reader' | 'other' | 'revoked' | 'expired', string>;

interface Case {
  readonly name: string;
  readonly method?: string;
  /** Relative to /<automation>. */
  readonly path: string;
  readonly key?: keyof Keys | 'none' | ((keys: Keys) => Record<string, string>);
  readonly body?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code?: string;
  /** Only where the backend can search. */
  readonly search?: boolean;
  /** Only where the backend has every filter operator (not redis). */
  readonly allOperators?: boolean;
}

const deep = `{"title":"x","n":${'['.repeat(100)}${']'.repeat(100)}}`;
const forge = (payload: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(payload)).toString('base64url'));
const id = '00000000-0000-4000-8000-000000000000';

const CASES: readonly Case[] = [
  // Keys: missing, malformed, forged, unknown, revoked, expired, in the wrong place.
  { name: 'no key', path: '', key: 'none', status: 401, code: 'unauthorized' },
  { name: 'malformed key', path: '', key: () => ({ authorization: 'Bearer ck_abc' }), status: 401, code: 'unauthorized' },
  {
    name: 'forged checksum',
    path: '',
    key: (k) => ({ authorization: `Bearer ${k.reader.slice(0, -1)}${k.reader.endsWith('x') ? 'y' : 'x'}` }),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'unknown well-formed key',
    path: '',
    key: () => ({ authorization: `Bearer ${generateKey().secret}` }),
    status: 401,
    code: 'unauthorized',
  },
  { name: 'revoked key', path: '', key: 'revoked', status: 401, code: 'unauthorized' },
  { name: 'expired key', path: '', key: 'expired', status: 401, code: 'unauthorized' },
  { name: 'key in the query string', path: '?api_key=KEY', key: 'none', status: 401, code: 'unauthorized' },
  { name: 'basic auth', path: '', key: () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' }), status: 401, code: 'unauthorized' },
  {
    name: 'two bearer tokens',
    path: '',
    key: (k) => ({ authorization: `Bearer ${k.reader} ${k.writer}` }),
    status: 401,
    code: 'unauthorized',
  },
  { name: 'key with a NUL appended', path: '', key: (k) => ({ 'x-api-key': `${k.reader}%00` }), status: 401, code: 'unauthorized' },
  // Scope escalation.
  { name: 'read key writes', method: 'POST', path: '', key: 'reader', body: '{"title":"x"}', status: 403, code: 'forbidden' },
  { name: 'read key deletes', method: 'DELETE', path: `/${id}`, key: 'reader', status: 403, code: 'forbidden' },
  { name: 'key of another automation', path: '', key: 'other', status: 403, code: 'forbidden' },
  { name: 'read key patches', method: 'PATCH', path: `/${id}`, key: 'reader', body: '{"title":"x"}', status: 403, code: 'forbidden' },
  // Bodies.
  { name: 'invalid JSON', method: 'POST', path: '', body: '{"title":', status: 400, code: 'malformed-json' },
  {
    name: 'invalid UTF-8',
    method: 'POST',
    path: '',
    body: new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    status: 400,
    code: 'malformed-json',
  },
  { name: 'NUL escape', method: 'POST', path: '', body: '{"title":"a\\u0000b"}', status: 400, code: 'malformed-json' },
  { name: 'lone surrogate', method: 'POST', path: '', body: '{"title":"\\ud800"}', status: 400, code: 'malformed-json' },
  {
    // Exponential on a backtracking engine (2^40 steps); patterns run on RE2, so this is an instant 422.
    name: 'ReDoS input against a nested-quantifier pattern',
    method: 'POST',
    path: '',
    body: `{"title":"x","code":"${'a'.repeat(40)}!"}`,
    status: 422,
    code: 'validation-failed',
  },
  { name: 'nesting 100 deep', method: 'POST', path: '', body: deep, status: 422, code: 'validation-failed' },
  {
    name: '__proto__ at the top',
    method: 'POST',
    path: '',
    body: '{"title":"x","__proto__":{"polluted":true}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: '__proto__ nested',
    method: 'POST',
    path: '',
    body: '{"title":"x","a":{"b":[{"__proto__":{"polluted":true}}]}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: '__proto__ in a patch',
    method: 'PATCH',
    path: `/${id}`,
    body: '{"__proto__":{"polluted":true}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'constructor.prototype',
    method: 'POST',
    path: '',
    body: '{"title":"x","constructor":{"prototype":{"polluted":true}}}',
    status: 422,
    code: 'validation-failed',
  },
  { name: 'an array body', method: 'POST', path: '', body: '[{"title":"x"}]', status: 422, code: 'validation-failed' },
  {
    name: 'a body over the limit',
    method: 'POST',
    path: '',
    body: `{"title":"${'x'.repeat(70_000)}"}`,
    status: 413,
    code: 'payload-too-large',
  },
  {
    name: 'text/plain',
    method: 'POST',
    path: '',
    body: '{"title":"x"}',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'JSON Patch',
    method: 'PATCH',
    path: `/${id}`,
    body: '[{"op":"remove","path":"/title"}]',
    headers: { 'content-type': 'application/json-patch+json' },
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'a number JSON cannot hold',
    method: 'POST',
    path: '',
    body: '{"title":"x","priority":1e999}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'an unsafe integer',
    method: 'POST',
    path: '',
    body: '{"title":"x","priority":9007199254740993}',
    status: 422,
    code: 'validation-failed',
  },
  // Keys and numbers as JSON.parse reads them, not as the text spells them.
  {
    name: '__proto__ spelled with an escape, at the top',
    method: 'POST',
    path: '',
    body: '{"title":"x","\\u005f_proto__":{"title":"from the prototype"}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: '__proto__ spelled with an escape, in a free-form object',
    method: 'POST',
    path: '',
    body: '{"title":"x","meta":{"a":[{"\\u005f_proto__":{"polluted":true}}]}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: '__proto__ spelled with an escape, in a patch',
    method: 'PATCH',
    path: `/${id}`,
    body: '{"meta":{"__pro\\u0074o__":{"polluted":true}}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: "a number field beyond a double's precision",
    method: 'POST',
    path: '',
    body: '{"title":"x","score":9007199254740993}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'a number with more digits than a double keeps',
    method: 'POST',
    path: '',
    body: '{"title":"x","score":0.10000000000000000001}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'an unsafe integer in a free-form object',
    method: 'POST',
    path: '',
    body: '{"title":"x","meta":{"n":[1,9007199254740993]}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'an infinite number in a free-form object',
    method: 'POST',
    path: '',
    body: '{"title":"x","meta":{"n":1e400}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'a number that underflows to 0',
    method: 'POST',
    path: '',
    body: '{"title":"x","meta":{"n":-1e-400}}',
    status: 422,
    code: 'validation-failed',
  },
  {
    name: 'an inexact number in a patch',
    method: 'PATCH',
    path: `/${id}`,
    body: '{"meta":{"n":12345678901234567890123}}',
    status: 422,
    code: 'validation-failed',
  },
  { name: 'an engine field', method: 'POST', path: '', body: `{"title":"x","id":"${id}"}`, status: 422, code: 'validation-failed' },
  { name: 'an undeclared field', method: 'POST', path: '', body: '{"title":"x","role":"admin"}', status: 422, code: 'validation-failed' },
  {
    name: 'a string for an integer',
    method: 'POST',
    path: '',
    body: '{"title":"x","priority":"1; drop table"}',
    status: 422,
    code: 'validation-failed',
  },
  // Query strings: injection through filters, sort, fields, limit, cursor.
  { name: 'a filter operator as a name', path: '?status[$ne]=open', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'a filter repeated', path: '?status[in]=open&status[in]=closed', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'a value outside the enum', path: "?status=' OR 1=1 --", key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'SQL in sort', path: '?sort=title;drop%20table%20x', key: 'reader', status: 400, code: 'invalid-query' },
  { name: '__proto__ in sort', path: '?sort=-__proto__', key: 'reader', status: 400, code: 'invalid-query' },
  { name: '__proto__ in fields', path: '?fields=__proto__', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'constructor in fields', path: '?fields=title,constructor', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'a negative limit', path: '?limit=-1', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'a limit in exponent form', path: '?limit=1e3', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'an infinite number', path: '?priority[gt]=1e999', key: 'reader', status: 400, code: 'invalid-query' },
  { name: 'a garbled cursor', path: '?cursor=%%%', key: 'reader', status: 400, code: 'invalid-query' },
  {
    name: 'a forged cursor with an operator object',
    path: `?cursor=${forge({ s: 'title', f: { status: { $ne: null } }, l: 5, v: null, i: id })}`,
    key: 'reader',
    status: 400,
    code: 'invalid-query',
  },
  {
    name: 'a forged cursor with an undeclared filter',
    path: `?cursor=${forge({ s: 'title', f: [['role', 'eq', 'admin']], l: 5, v: null, i: id })}`,
    key: 'reader',
    status: 400,
    code: 'invalid-query',
  },
  {
    name: 'a forged cursor with a huge limit',
    path: `?cursor=${forge({ s: 'title', f: [], l: 1e9, v: null, i: id })}`,
    key: 'reader',
    status: 400,
    code: 'invalid-query',
  },
  { name: 'SQL in a text filter is only text', path: "?title=x'%3B%20drop%20table%20t%3B--", key: 'reader', status: 200 },
  { name: 'a LIKE wildcard in contains is only text', path: '?title[contains]=%25', key: 'reader', status: 200, allOperators: true },
  { name: 'a query on a write', method: 'DELETE', path: `/${id}?cascade=true`, status: 400, code: 'invalid-query' },
  // Ids and paths.
  { name: 'path traversal as an id', path: '/..%2F..%2Fetc%2Fpasswd', key: 'reader', status: 404, code: 'not-found' },
  { name: 'SQL as an id', path: "/1'%20or%20'1'%3D'1", key: 'reader', status: 404, code: 'not-found' },
  { name: 'NUL as an id', method: 'DELETE', path: '/%00', status: 404, code: 'not-found' },
  { name: 'a trailing slash', path: '/', key: 'reader', status: 404, code: 'not-found' },
  { name: 'a method the path does not take', method: 'PUT', path: '', body: '{"title":"x"}', status: 405, code: 'method-not-allowed' },
  // Search.
  { name: 'tsquery syntax in q is only words', path: '/search?q=a%20%26%20!b%20%7C%20c%3A*', key: 'reader', status: 200, search: true },
  {
    name: 'a q longer than 500 characters',
    path: `/search?q=${'a'.repeat(501)}`,
    key: 'reader',
    status: 400,
    code: 'invalid-query',
    search: true,
  },
  { name: 'a q without words', path: '/search?q=%26%26%7C%7C', key: 'reader', status: 400, code: 'invalid-query', search: true },
  // Headers.
  { name: 'a garbage If-Match', method: 'DELETE', path: `/${id}`, headers: { 'if-match': '"*", W/"x"' }, status: 404, code: 'not-found' },
];

function catalogue(
  label: string,
  storage: string,
  options: { search: boolean; skip?: string | false; connections?: Record<string, { backend: string; url?: string }> },
) {
  describe(`hostile inputs on ${label}`, { skip: options.skip ?? false }, () => {
    const name = `hostile${Math.random().toString(36).slice(2, 8)}`;
    let project: TestProject;
    let server: RunningServer;
    let keys: Keys;

    before(async () => {
      project = makeProject({ 'tickets.yaml': manifest(name, storage, options.search) }, options.connections ?? {});
      const config = project.config();
      const pool = new ConnectionPool(config.connections, config.dataDir);
      const store = await KeyStore.open(await pool.get(SYSTEM_CONNECTION));
      const make = async (scopes: string[], expiresAt?: string) =>
        (await store.create({ name: scopes.join(','), scopes, ...(expiresAt ? { expiresAt } : {}) })).secret;
      keys = {
        writer: await make([`${name}:*`]),
        reader: await make([`${name}:read`]),
        other: await make(['elsewhere:*']),
        revoked: await make(['*']),
        expired: await make(['*'], '2020-01-01T00:00:00.000Z'),
      };
      await store.revoke((await store.list()).find((k) => k.name === '*' && !k.expiresAt)?.id as string);
      await pool.closeAll();
      server = await listen(config, silentLogger);
      const seeded = await call(
        server.url,
        'POST',
        `/${name}`,
        { title: 'seed', status: 'open', priority: 3 },
        { authorization: `Bearer ${keys.writer}` },
      );
      assert.equal(seeded.status, 201, seeded.text);
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    const snapshot = async () =>
      (await call(server.url, 'GET', `/${name}?limit=100&sort=title`, undefined, { authorization: `Bearer ${keys.writer}` })).text;

    for (const c of CASES.filter((x) => (!x.search || options.search) && (!x.allOperators || options.search))) {
      it(`${c.name}: ${c.status}${c.code ? ` ${c.code}` : ''}, nothing written, nothing harmed`, async () => {
        const before = await snapshot();
        const auth =
          c.key === 'none' ? {} : typeof c.key === 'function' ? c.key(keys) : { authorization: `Bearer ${keys[c.key ?? 'writer']}` };
        const path = `/${name}${c.path.replace('KEY', keys.reader)}`;
        const headers: Record<string, string> = {
          ...auth,
          ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...c.headers,
        };
        const response = await fetch(`${server.url}${path}`, {
          method: c.method ?? 'GET',
          headers,
          ...(c.body !== undefined ? { body: c.body as BodyInit } : {}),
        });
        const text = await response.text();
        assert.equal(response.status, c.status, `${c.name}: ${text}`);
        if (c.status >= 400) {
          assert.equal(response.headers.get('content-type'), 'application/problem+json');
          const problem = JSON.parse(text);
          assert.equal(problem.code, c.code);
          assert.equal(problem.status, c.status);
          assert.equal(typeof problem.detail, 'string');
          for (const secret of Object.values(keys)) assert.ok(!text.includes(secret), 'no key is echoed');
        }
        assert.equal(await snapshot(), before, 'nothing was written');
        assert.deepEqual(Object.keys(Object.prototype), []);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal((await call(server.url, 'GET', '/health')).status, 200, 'the server still answers');
      });
    }
  });
}

/**
 * What a body holds is what is stored and served: keys as JSON.parse reads them (an
 * escaped `__proto__` is refused, and a store holding one never makes it a prototype),
 * numbers exactly as sent or refused with the pointer of each.
 */
function fidelity(
  label: string,
  storage: string,
  options: { skip?: string | false; connections?: Record<string, { backend: string; url?: string }> },
) {
  describe(`JSON keys and numbers on ${label}`, { skip: options.skip ?? false }, () => {
    const name = `exact${Math.random().toString(36).slice(2, 8)}`;
    // No `additionalProperties: false`: undeclared properties are kept (in PostgreSQL's `@extra` column).
    const open = `name: ${name}
description: Records that keep undeclared properties.
access: { public: true }
storage:
${storage}
schema:
  type: object
  required: [title]
  properties:
    title: { type: string }
    status: { type: string }
    score: { type: number }
    meta: { type: object }
endpoints:
  - operation: list
  - operation: get
  - operation: create
  - operation: update
`;
    let project: TestProject;
    let server: RunningServer;
    before(async () => {
      project = makeProject({ 'open.yaml': open }, options.connections ?? {});
      server = await listen(project.config(), silentLogger);
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it('an escaped __proto__ at the top is a 422 at /__proto__, nothing stored, and no record gets a prototype', async () => {
      const body = '{"title":"t","\\u005f_proto__":{"title":"from the prototype","status":"pwned"}}';
      const response = await call(server.url, 'POST', `/${name}`, body);
      assert.equal(response.status, 422, response.text);
      assert.deepEqual(
        response.json.errors.map((e: { pointer: string }) => e.pointer),
        ['/__proto__'],
      );
      assert.deepEqual((await call(server.url, 'GET', `/${name}`)).json.data, [], 'nothing was stored');
      const created = await call(server.url, 'POST', `/${name}`, { title: 'plain' });
      assert.equal(created.status, 201);
      const read = await call(server.url, 'GET', `/${name}/${created.json.data.id}?fields=title,status`);
      assert.deepEqual(read.json.data, { id: created.json.data.id, title: 'plain' });
    });

    it('numbers a double cannot carry are a 422 naming each; exact ones are stored as sent', async () => {
      const refused = await call(
        server.url,
        'POST',
        `/${name}`,
        '{"title":"n","score":9007199254740993,"meta":{"a/b":[0.1,1e400],"c":0.30000000000000000001,"d":1e-400}}',
      );
      assert.equal(refused.status, 422, refused.text);
      assert.equal(refused.json.code, 'validation-failed');
      assert.deepEqual(
        refused.json.errors.map((e: { pointer: string }) => e.pointer),
        ['/score', '/meta/a~1b/1', '/meta/c', '/meta/d'],
      );
      assert.match(refused.json.errors[0].message, /would be stored as 9007199254740992/);
      const patched = await call(
        server.url,
        'PATCH',
        `/${name}/00000000-0000-4000-8000-000000000000`,
        '{"meta":{"n":18446744073709551616}}',
      );
      assert.equal(patched.status, 422, patched.text);
      assert.equal(patched.json.errors[0].pointer, '/meta/n');

      const exact =
        '{"title":"e","score":1e2,"meta":{"one":1.0,"tenth":0.1,"zero":-0,"big":123456789012345680000,"safe":9007199254740991,"neg":-2.5E-3}}';
      const created = await call(server.url, 'POST', `/${name}`, exact);
      assert.equal(created.status, 201, created.text);
      const read = await call(server.url, 'GET', `/${name}/${created.json.data.id}`);
      assert.equal(read.json.data.score, 100);
      assert.deepEqual(read.json.data.meta, {
        one: 1,
        tenth: 0.1,
        zero: 0,
        big: 123456789012345680000,
        safe: 9007199254740991,
        neg: -0.0025,
      });
    });
  });
}

/** A store handed a record with an own `__proto__` key (written by something other than this engine) reads it back plain. */
function protoAtRest(label: string, settings: { backend: string; url?: string }, skip: string | false) {
  it(`${label}: a stored __proto__ key never becomes a record's prototype, and is not served`, { skip }, async () => {
    const project = makeProject({});
    const pool = new ConnectionPool(new Map([['store', { name: 'store', ...settings }]]), project.dataDir);
    try {
      const connection = await pool.get('store');
      const store = await connection.open({
        automation: 'proto-at-rest',
        collection: `proto_at_rest_${Math.random().toString(36).slice(2, 8)}`,
        fields: [
          { name: 'title', kind: 'string' },
          { name: 'status', kind: 'string' },
        ],
        filterable: [],
        sortable: ['createdAt'],
      });
      const id = '00000000-0000-4000-8000-00000000000a';
      const now = new Date().toISOString();
      // A computed key defines an own property named __proto__, as JSON.parse does.
      await store.create({ id, createdAt: now, updatedAt: now, title: 't', ['__proto__']: { status: 'pwned', polluted: true } });
      const record = await store.get(id);
      assert.ok(record);
      assert.equal(Object.getPrototypeOf(record), Object.prototype, "the prototype is a plain object's");
      assert.equal(record.status, undefined, 'no value shows through from a prototype');
      assert.equal(Object.hasOwn(record, '__proto__'), false, 'the key is not served');
      assert.equal(record.title, 't');
    } finally {
      await pool.closeAll();
      project.remove();
    }
  });
}

const pg = await postgresServerGate();
const redis = await redisServerGate();
catalogue('memory', '  backend: memory', { search: true });
catalogue('postgres (embedded PGlite)', '  backend: postgres', { search: true });
catalogue('postgres (server)', '  backend: postgres\n  connection: pgserver', {
  search: true,
  skip: pg.skip,
  connections: { pgserver: { backend: 'postgres', url: pg.url } },
});
catalogue('redis', '  backend: redis\n  connection: rds', {
  search: false,
  skip: redis.skip,
  connections: { rds: { backend: 'redis', url: redis.url } },
});

fidelity('memory', '  backend: memory', {});
fidelity('postgres (embedded PGlite)', '  backend: postgres', {});
fidelity('postgres (server)', '  backend: postgres\n  connection: pgserver', {
  skip: pg.skip,
  connections: { pgserver: { backend: 'postgres', url: pg.url } },
});
fidelity('redis', '  backend: redis\n  connection: rds', { skip: redis.skip, connections: { rds: { backend: 'redis', url: redis.url } } });
describe('stored prototype keys', () => {
  protoAtRest('memory', { backend: 'memory' }, false);
  protoAtRest('postgres (embedded PGlite)', { backend: 'postgres', url: '' }, false);
  protoAtRest('postgres (server)', { backend: 'postgres', url: pg.url }, pg.skip);
});

describe('hostile manifests through the real loader', () => {
  const valid = (extra = '', schema = '  type: object\n  properties:\n    title: { type: string }\n') =>
    `name: tickets\ndescription: Tickets.\nstorage: { backend: memory }\n${extra}schema:\n${schema}endpoints:\n  - operation: list\n`;
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 12; i++)
    laughs.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const MANIFESTS: Record<string, string | Buffer> = {
    'billion laughs': `${laughs.join('\n')}\n${valid()}`,
    'duplicate keys': `name: tickets\nname: other\n${valid().split('\n').slice(1).join('\n')}`,
    'NUL bytes': Buffer.from(`name: tickets\0\ndescription: \0\n`),
    'invalid UTF-8': Buffer.concat([Buffer.from('name: ticke'), Buffer.from([0xc3, 0x28]), Buffer.from('ts\n')]),
    'YAML nested 5000 deep': `name: tickets\ndescription: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    'a $ref cycle in the schema': valid('', '  $ref: "#/$defs/a"\n  $defs:\n    a: { $ref: "#/$defs/b" }\n    b: { $ref: "#/$defs/a" }\n'),
    'a remote $ref': valid('', '  $ref: https://evil.example/schema.json\n'),
    'a $data reference': valid('', '  type: object\n  properties:\n    a: { type: integer }\n    b: { maximum: { $data: "1/a" } }\n'),
    '__proto__ as the name': valid().replace('name: tickets', 'name: __proto__'),
    '__proto__ as a property': valid('', '  type: object\n  properties:\n    __proto__: { type: string }\n'),
    'a schema keyword ajv would run as code': valid(
      '',
      '  type: object\n  properties:\n    title: { type: string, format: "); process.exit(1); (" }\n',
    ),
    'an unknown backend': valid().replace('backend: memory', 'backend: "../../etc"'),
    'a name that is an engine route': valid().replace('name: tickets', 'name: admin'),
    'a lookahead pattern (RE2 cannot run it in linear time)': valid(
      '',
      '  type: object\n  properties:\n    code: { type: string, pattern: "^(?=a)a+$" }\n',
    ),
    'a backreference in a patternProperties key': valid(
      '',
      '  type: object\n  properties:\n    meta:\n      type: object\n      patternProperties:\n        "^(x)\\\\1$": { type: string }\n',
    ),
    'a 5000-character pattern': valid('', `  type: object\n  properties:\n    code: { type: string, pattern: "${'a'.repeat(5000)}" }\n`),
    'a YAML tag that would build an object': `name: !!js/function "function () { process.exit(1) }"\n${valid().split('\n').slice(1).join('\n')}`,
  };
  const PRECISE: Record<string, { text: string | Buffer; code: string; line: number; col: number }> = {
    'a 600 KB manifest': { text: valid(`# ${'x'.repeat(600 * 1024)}\n`), code: 'manifest-too-large', line: 1, col: 1 },
    'invalid UTF-8 inside a description': {
      text: Buffer.concat([Buffer.from('name: tickets\ndescription: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      code: 'file-encoding',
      line: 2,
      col: 17,
    },
  };
  for (const [label, { text, code, line, col }] of Object.entries(PRECISE)) {
    it(`${label}: ${code} at ${line}:${col}`, () => {
      const project = makeProject({ 'tickets.yaml': '' });
      try {
        writeFileSync(join(project.automations, 'tickets.yaml'), text);
        const { issues, manifests } = loadManifests([project.automations], new Map([['memory', 'memory']]));
        assert.deepEqual(
          issues.map((i) => [i.code, i.line, i.col]),
          [[code, line, col]],
        );
        assert.deepEqual(manifests, []);
      } finally {
        project.remove();
      }
    });
  }
  for (const [label, text] of Object.entries(MANIFESTS)) {
    it(`${label}: reported as manifest errors, never thrown, nothing harmed`, () => {
      const project = makeProject({ 'tickets.yaml': '' });
      try {
        writeFileSync(join(project.automations, 'tickets.yaml'), text);
        const { issues, manifests } = loadManifests([project.automations], new Map([['memory', 'memory']]));
        assert.ok(
          issues.some((i) => i.severity === 'error'),
          `${label}: ${JSON.stringify(issues.map((i) => i.message))}`,
        );
        assert.deepEqual(manifests, [], 'a manifest with errors is never handed on');
        for (const issue of issues) assert.ok(issue.line >= 1 && issue.col >= 1);
        assert.deepEqual(Object.keys(Object.prototype), []);
      } finally {
        project.remove();
      }
    });
  }
});
