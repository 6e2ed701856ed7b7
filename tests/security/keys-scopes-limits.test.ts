import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../engine/log.ts';
import { loadManifests } from '../../engine/manifest/load.ts';
import { generateKey, isWellFormedKey } from '../../engine/security/api-key.ts';
import { MemoryRateLimiter } from '../../engine/security/rate-limit.ts';
import { listen, type RunningServer } from '../../engine/server/listen.ts';
import { makeKeys } from '../support/keys.ts';
import { runNode } from '../support/process.ts';
import { adminHeaders, call, makeProject, type TestProject } from '../support/project.ts';
import { redisServerGate } from '../support/redis-server.ts';

const BIN = fileURLToPath(new URL('../../bin/council.mjs', import.meta.url));

function ticketsManifest(access = ''): string {
  return `name: tickets
description: Support tickets for the security tests.
${access}storage:
  backend: memory
schema:
  type: object
  required: [title]
  properties:
    title: { type: string }
endpoints:
  - operation: list
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
`;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys', () => {
  it('a key has the ck_ shape and a checksum: a changed character is refused without a lookup', () => {
    const { secret, hash, display } = generateKey();
    assert.match(secret, /^ck_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
    assert.ok(isWellFormedKey(secret));
    assert.equal(hash.length, 64);
    assert.ok(!display.includes(secret.slice(8, -4)), 'the display shows only the ends of the key');
    const flipped = secret.slice(0, 10) + (secret[10] === 'a' ? 'b' : 'a') + secret.slice(11);
    assert.equal(isWellFormedKey(flipped), false);
    assert.equal(isWellFormedKey(`${secret}x`), false);
    assert.equal(isWellFormedKey('Bearer'), false);
  });
});

describe('locked by default', () => {
  let project: TestProject;
  let server: RunningServer;
  let admin: string;
  let reader: string;
  let writer: string;
  let revoked: string;
  let expired: string;
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call(server.url, method, path, body, headers);

  before(async () => {
    project = makeProject({ 'tickets.yaml': ticketsManifest() });
    [reader, writer, expired, revoked] = (await makeKeys(
      project,
      [
        { scopes: ['tickets:read'] },
        { scopes: ['tickets:*'] },
        { scopes: ['*'], expiresAt: '2020-01-01T00:00:00.000Z' },
        { scopes: ['*'] },
      ],
      async (store) => {
        const keys = await store.list();
        await store.revoke(keys.at(-1)?.id as string);
      },
    )) as [string, string, string, string];
    server = await listen(project.config(), silentLogger);
    admin = writer;
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('no key, a malformed, unknown, revoked or expired key: the same 401 with WWW-Authenticate', async () => {
    const unknown = generateKey().secret;
    const answers = [];
    for (const headers of <Record<string, string>[]>[
      {},
      bearer('nope'),
      bearer(unknown),
      { 'x-api-key': unknown },
      bearer(revoked),
      bearer(expired),
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    ]) {
      const r = await req('GET', '/tickets', undefined, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="theCouncil"');
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      answers.push(r.text);
    }
    assert.equal(new Set(answers).size, 1, 'every failure reads the same');
    assert.equal(JSON.parse(answers[0] as string).code, 'unauthorized');
  });

  it('a key is accepted as Bearer or X-API-Key, never from the query string', async () => {
    assert.equal((await req('GET', '/tickets', undefined, bearer(reader))).status, 200);
    assert.equal((await req('GET', '/tickets', undefined, { 'x-api-key': reader })).status, 200);
    assert.equal((await req('GET', '/tickets', undefined, { authorization: `bearer   ${reader}` })).status, 200);
    assert.equal((await req('GET', `/tickets?api_key=${reader}`)).status, 401);
    assert.equal((await req('GET', `/tickets?key=${reader}`)).status, 401);
  });

  it('scopes: read keys read; a write without the scope is a 403 naming it, and writes nothing', async () => {
    const created = await req('POST', '/tickets', { title: 'by writer' }, bearer(writer));
    assert.equal(created.status, 201, created.text);
    const denied = await req('POST', '/tickets', { title: 'by reader' }, bearer(reader));
    assert.equal(denied.status, 403);
    assert.equal(denied.json.code, 'forbidden');
    assert.match(denied.json.detail, /lacks the scope tickets:write/);
    const patch = await req('PATCH', `/tickets/${created.json.data.id}`, { title: 'changed' }, bearer(reader));
    assert.equal(patch.status, 403);
    const del = await req('DELETE', `/tickets/${created.json.data.id}`, undefined, bearer(reader));
    assert.equal(del.status, 403);
    assert.match(del.json.detail, /tickets:delete/);
    const list = await req('GET', '/tickets', undefined, bearer(reader));
    assert.deepEqual(
      list.json.data.map((t: { title: string }) => t.title),
      ['by writer'],
      'the denied requests changed nothing',
    );
    assert.equal((await req('DELETE', `/tickets/${created.json.data.id}`, undefined, bearer(admin))).status, 204);
  });

  it('engine routes stay open: health, OpenAPI and problem types need no key', async () => {
    assert.equal((await req('GET', '/health')).status, 200);
    assert.equal((await req('GET', '/openapi.json')).status, 200);
    assert.equal((await req('GET', '/problems/unauthorized')).status, 200);
  });
});

describe('access in the manifest', () => {
  it('public operations answer without a key; scopes can be overridden; validate warns for each public endpoint', async () => {
    const access = 'access:\n  public: [list, get]\n  scopes:\n    create: [tickets:author]\n';
    const project = makeProject({ 'tickets.yaml': ticketsManifest(access) });
    const [author, writer] = (await makeKeys(project, [{ scopes: ['tickets:author'] }, { scopes: ['tickets:write'] }])) as [string, string];
    const server = await listen(project.config(), silentLogger);
    try {
      assert.equal((await call(server.url, 'GET', '/tickets')).status, 200);
      assert.equal((await call(server.url, 'POST', '/tickets', { title: 'x' })).status, 401);
      assert.equal((await call(server.url, 'POST', '/tickets', { title: 'x' }, bearer(writer))).status, 403);
      const created = await call(server.url, 'POST', '/tickets', { title: 'x' }, bearer(author));
      assert.equal(created.status, 201);
      assert.equal((await call(server.url, 'GET', `/tickets/${created.json.data.id}`)).status, 200);
      assert.equal(server.engine.bootstrapKey, undefined, 'keys existed: no bootstrap key');
    } finally {
      await server.close();
    }
    const { issues } = loadManifests([join(project.automations, 'tickets.yaml')], new Map([['memory', 'memory']]));
    assert.deepEqual(
      issues.map((i) => [i.code, i.severity, i.line]),
      [
        ['access-public', 'warning', 4],
        ['access-public', 'warning', 4],
      ],
    );
    assert.match(issues[0]?.message ?? '', /list on \/tickets answers without an API key/);
    project.remove();
  });
});

describe('bootstrap key', () => {
  it('the first start of a locked project makes one admin key, shown once; later starts make none', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest() });
    try {
      const first = await listen(project.config(), silentLogger);
      const key = first.engine.bootstrapKey;
      try {
        assert.ok(key && isWellFormedKey(key));
        assert.equal((await call(first.url, 'POST', '/tickets', { title: 'boot' }, bearer(key))).status, 201);
      } finally {
        await first.close();
      }
      const second = await listen(project.config(), silentLogger);
      try {
        assert.equal(second.engine.bootstrapKey, undefined);
        assert.equal((await call(second.url, 'GET', '/tickets', undefined, bearer(key))).status, 200, 'the key survives a restart');
      } finally {
        await second.close();
      }
    } finally {
      project.remove();
    }
  });

  it('a project whose endpoints are all public never opens the system store', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest('access: { public: true }\n') });
    const server = await listen(project.config(), silentLogger);
    try {
      assert.equal(server.engine.bootstrapKey, undefined);
      const health = (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json;
      assert.equal(health.connections.find((c: { name: string }) => c.name === 'postgres').state, 'unused');
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('council keys', () => {
  it('create prints the key once, list shows it without the secret, revoke stops it', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest() });
    writeFileSync(join(project.root, 'council.config.yaml'), 'automations: automations\ndataDir: data\n');
    const council = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, 'keys', ...args, '--config', join(project.root, 'council.config.yaml')], { encoding: 'utf8' });
    try {
      const created = council('create', '--name', 'support GPT', '--scopes', 'tickets:read,tickets:write', '--expires', '30d');
      assert.equal(created.status, 0, created.stderr);
      const key = created.stdout.trim();
      assert.ok(isWellFormedKey(key), created.stdout);
      assert.match(created.stderr, /shown only now/);
      const listed = council('list');
      assert.equal(listed.status, 0, listed.stderr);
      assert.ok(!listed.stdout.includes(key), 'list never shows a key');
      assert.match(listed.stdout, /"support GPT" {2}tickets:read,tickets:write .* last used never .* active/);
      const display = listed.stdout.split(' ')[0] as string;
      assert.equal(council('create', '--name', 'x', '--scopes', 'tickets:read;drop').status, 2);
      assert.equal(council('create', '--scopes', 'tickets:read').status, 2);

      const config = { ...project.config(), dataDir: join(project.root, 'data') };
      const server = await listen(config, silentLogger);
      try {
        assert.equal((await call(server.url, 'GET', '/tickets', undefined, bearer(key))).status, 200);
      } finally {
        await server.close();
      }
      const revoked = council('revoke', display);
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.match(council('list').stdout, /revoked 20/);
      assert.equal(council('revoke', 'ck_nothing').status, 1);
      const after = await listen(config, silentLogger);
      try {
        assert.equal((await call(after.url, 'GET', '/tickets', undefined, bearer(key))).status, 401);
      } finally {
        await after.close();
      }
    } finally {
      project.remove();
    }
  });
});

describe('council keys with a server running on the same data directory', () => {
  it('goes through the server: a key created works at once, a revoked one fails at once', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest() });
    writeFileSync(join(project.root, 'council.config.yaml'), 'automations: automations\ndataDir: data\n');
    const council = (...args: string[]) => runNode([BIN, 'keys', ...args, '--config', join(project.root, 'council.config.yaml')]);
    const server = await listen(project.config(), silentLogger);
    try {
      const created = await council('create', '--name', 'live', '--scopes', 'tickets:read');
      assert.equal(created.status, 0, created.stderr);
      const key = created.stdout.trim();
      assert.ok(isWellFormedKey(key));
      assert.equal((await call(server.url, 'GET', '/tickets', undefined, bearer(key))).status, 200);
      const listed = await council('list');
      assert.match(listed.stdout, /"live" {2}tickets:read/);
      assert.match(listed.stdout, /"bootstrap admin" {2}\*/);
      assert.ok(!listed.stdout.includes(key));
      const revoked = await council(
        'revoke',
        listed.stdout
          .split('\n')
          .find((l) => l.includes('"live"'))
          ?.split(' ')[0] as string,
      );
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.equal((await call(server.url, 'GET', '/tickets', undefined, bearer(key))).status, 401, 'refused from the next request on');

      assert.equal((await call(server.url, 'GET', '/admin/keys')).status, 401, 'the admin API is locked');
      const reader = (await call(server.url, 'POST', '/admin/keys', { name: 'x', scopes: ['*'] }, bearer(key))).status;
      assert.equal(reader, 401);
      const boot = server.engine.bootstrapKey as string;
      const viaKey = await call(server.url, 'POST', '/admin/keys', { name: 'by admin', scopes: ['tickets:write'] }, bearer(boot));
      assert.equal(viaKey.status, 201, viaKey.text);
      assert.equal(viaKey.json.data.hash, undefined, 'the admin API never returns hashes');
      const writer = viaKey.json.secret as string;
      assert.equal((await call(server.url, 'GET', '/admin/keys', undefined, bearer(writer))).status, 403, 'only * administers keys');
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('hostile bodies', () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'tickets.yaml': ticketsManifest('access: { public: true }\n') });
    server = await listen(project.config(), silentLogger);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('nesting deeper than 32 levels is a 422, never a crash', async () => {
    const deep = `{"title":"x","extra":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await call(server.url, 'POST', '/tickets', deep);
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.detail, /deeper than 32 levels/);
    const fine = `{"title":"x","extra":${'['.repeat(30)}${']'.repeat(30)},"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`;
    assert.equal((await call(server.url, 'POST', '/tickets', fine)).status, 201, 'brackets inside strings do not count');
  });

  it('a __proto__ key is refused wherever it is, on create and on patch; nothing reaches a prototype', async () => {
    for (const body of ['{"title":"x","__proto__":{"admin":true}}', '{"title":"x","meta":{"a":[{"__proto__":{"admin":true}}]}}']) {
      const r = await call(server.url, 'POST', '/tickets', body);
      assert.equal(r.status, 422, r.text);
      assert.match(r.json.errors[0].pointer, /__proto__$/);
    }
    const created = await call(server.url, 'POST', '/tickets', { title: 'plain', constructor: { name: 'kept as data' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.data.constructor, { name: 'kept as data' });
    const patched = await call(server.url, 'PATCH', `/tickets/${created.json.data.id}`, '{"__proto__":{"title":"hacked"}}');
    assert.equal(patched.status, 422);
    const got = await call(server.url, 'GET', `/tickets/${created.json.data.id}`);
    assert.equal(got.json.data.title, 'plain');
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });
});

describe('CORS', () => {
  const allowed = 'https://chat.openai.com';
  const request = (url: string, method: string, headers: Record<string, string>) => fetch(`${url}/tickets`, { method, headers });

  it('off unless configured: no CORS header for any origin', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest('access: { public: true }\n') });
    const server = await listen(project.config(), silentLogger);
    try {
      const r = await request(server.url, 'GET', { origin: allowed });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await server.close();
      project.remove();
    }
  });

  it('configured origins get their own origin back (never *), preflights get 204; others get nothing', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest() });
    const config = project.config();
    const server = await listen({ ...config, server: { ...config.server, corsOrigins: [allowed] } }, silentLogger);
    try {
      const preflight = await request(server.url, 'OPTIONS', {
        origin: allowed,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), allowed);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /PATCH/);
      const denied = await request(server.url, 'GET', { origin: allowed });
      assert.equal(denied.status, 401, 'CORS opens nothing: the key is still needed');
      assert.equal(denied.headers.get('access-control-allow-origin'), allowed, 'the page can read why');
      assert.match(denied.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/);
      assert.match(denied.headers.get('vary') ?? '', /Origin/);
      for (const origin of ['https://evil.example', 'https://chat.openai.com.evil.example', 'null']) {
        const other = await request(server.url, 'GET', { origin });
        assert.equal(other.headers.get('access-control-allow-origin'), null, origin);
        const otherPreflight = await request(server.url, 'OPTIONS', { origin, 'access-control-request-method': 'GET' });
        assert.equal(otherPreflight.headers.get('access-control-allow-origin'), null, origin);
      }
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('audit log', () => {
  it('records writes, denied requests, key and manifest events, with the key id and never a secret or a body', async () => {
    const project = makeProject({ 'tickets.yaml': ticketsManifest() });
    writeFileSync(join(project.root, 'council.config.yaml'), 'automations: automations\ndataDir: data\n');
    const [writer, reader] = (await makeKeys(project, [{ scopes: ['tickets:*'] }, { scopes: ['tickets:read'] }])) as [string, string];
    const config = { ...project.config(), audit: { enabled: true } };
    const server = await listen(config, silentLogger);
    let writerId = '';
    try {
      const created = await call(server.url, 'POST', '/tickets', { title: 'secret body text' }, bearer(writer));
      assert.equal(created.status, 201);
      assert.match(created.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const id = created.json.data.id as string;
      assert.equal((await call(server.url, 'PATCH', `/tickets/${id}`, { title: 'x' }, bearer(reader))).status, 403);
      assert.equal((await call(server.url, 'GET', '/tickets')).status, 401);
      assert.equal((await call(server.url, 'GET', '/tickets', undefined, bearer(reader))).status, 200);
      const traced = await call(server.url, 'DELETE', `/tickets/${id}`, undefined, { ...bearer(writer), 'x-request-id': 'trace-42' });
      assert.equal(traced.status, 204);
      assert.equal((await call(server.url, 'DELETE', `/tickets/${id}`, undefined, bearer(writer))).status, 404);

      const entries = (await server.engine.audit.list({ automation: 'tickets' })).reverse();
      writerId = entries[1]?.actor ?? '';
      assert.deepEqual(
        entries.map((e) => [e.action, e.outcome, e.status ?? null]),
        [
          ['manifest.loaded', 'ok', null],
          ['create', 'ok', 201],
          ['update', 'denied', 403],
          ['list', 'denied', 401],
          ['delete', 'ok', 204],
          ['delete', 'failed', 404],
        ],
        'the successful read is not audited',
      );
      assert.equal(entries[0]?.actor, 'engine');
      assert.equal(entries[1]?.recordId, id);
      assert.equal(entries[2]?.detail, 'forbidden');
      assert.equal(entries[3]?.actor, 'anonymous');
      assert.equal(entries[4]?.requestId, 'trace-42');
      assert.notEqual(entries[1]?.actor, entries[2]?.actor, 'each entry names the key that acted');
      const text = JSON.stringify(entries);
      for (const secret of [writer, reader, 'secret body text']) assert.ok(!text.includes(secret));
    } finally {
      await server.close();
    }
    const council = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args, '--config', join(project.root, 'council.config.yaml')], { encoding: 'utf8' });
    try {
      assert.equal(council('keys', 'create', '--name', 'later', '--scopes', 'tickets:read').status, 0);
      const printed = council('audit', '--since', '1h');
      assert.equal(printed.status, 0, printed.stderr);
      const lines = printed.stdout.trim().split('\n');
      assert.match(lines[0] ?? '', /cli {2}key\.create {2}- {2}ok/, 'newest first');
      assert.ok(lines.some((l) => l.includes(`${writerId}  create  tickets/`)));
      assert.ok(lines.some((l) => /anonymous {2}list {2}tickets {2}denied {2}401/.test(l)));
      const only = council('audit', '--automation', 'nothing');
      assert.equal(only.stdout, '');
      assert.equal(council('audit', '--since', 'yesterday-ish').status, 2);
    } finally {
      project.remove();
    }
  });
});

describe('rate limits', () => {
  it('GCRA: a burst of `requests`, then one per interval, with an exact Retry-After', () => {
    const limiter = new MemoryRateLimiter();
    const limit = { requests: 3, perSeconds: 3 };
    const t = 1_000_000;
    const taken = [0, 0, 0, 0].map(() => limiter.take('k', limit, t));
    assert.deepEqual(
      taken.map((d) => [d.allowed, d.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.equal(taken[3]?.retryAfterSeconds, 1);
    assert.equal(limiter.take('k', limit, t + 999).allowed, false, 'not before the interval');
    assert.equal(limiter.take('k', limit, t + 1000).allowed, true, 'one more after it');
    assert.equal(limiter.take('other', limit, t).allowed, true, 'clients are counted apart');
  });

  it('over a 20 s run at ten times the limit, the allowed rate is within 1% of the configured one', () => {
    for (const limit of [
      { requests: 100, perSeconds: 1 },
      { requests: 600, perSeconds: 60 },
      { requests: 7, perSeconds: 0.5 },
    ]) {
      const limiter = new MemoryRateLimiter();
      const start = 1_700_000_000_000;
      const every = (limit.perSeconds * 1000) / limit.requests / 10;
      let allowed = 0;
      for (let t = 0; t < 20_000; t += every) if (limiter.take('client', limit, start + t).allowed) allowed++;
      // The first window's burst, then the configured rate for the rest of the run.
      const rate = (allowed - limit.requests) / 20;
      const configured = limit.requests / limit.perSeconds;
      assert.ok(Math.abs(rate - configured) / configured <= 0.01, `${JSON.stringify(limit)}: ${rate}/s against ${configured}/s`);
    }
  });

  it('429 with Retry-After and RateLimit headers per key and automation; refused requests do nothing; guessing keys is limited too', async () => {
    const access = 'rateLimit: { requests: 3, perSeconds: 60 }\n';
    const project = makeProject({
      'tickets.yaml': ticketsManifest(access),
      'notes.yaml': ticketsManifest(access).replace('name: tickets', 'name: notes'),
    });
    const [first, second] = (await makeKeys(project, [{ scopes: ['*'] }, { scopes: ['*'] }])) as [string, string];
    const server = await listen(project.config(), silentLogger);
    try {
      const post = (key: string, path = '/tickets') => call(server.url, 'POST', path, { title: 'x' }, bearer(key));
      const answers = [await post(first), await post(first), await post(first), await post(first)];
      assert.deepEqual(
        answers.map((r) => r.status),
        [201, 201, 201, 429],
      );
      assert.deepEqual(
        answers.map((r) => r.headers.get('ratelimit-remaining')),
        [null, '1', '0', '0'],
        'the headers come once half the budget is used',
      );
      const refused = answers[3] as Awaited<ReturnType<typeof call>>;
      assert.equal(refused.json.code, 'rate-limited');
      assert.equal(refused.headers.get('ratelimit-limit'), '3');
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.equal((await post(second)).status, 201, 'another key has its own budget');
      assert.equal((await post(first, '/notes')).status, 201, 'another automation has its own budget');
      const list = await call(server.url, 'GET', '/tickets?limit=100', undefined, bearer(second));
      assert.equal(list.json.data.length, 4, 'the refused POST wrote nothing');
      const guesses = [];
      for (let i = 0; i < 5; i++) guesses.push((await call(server.url, 'GET', '/notes', undefined, bearer(generateKey().secret))).status);
      assert.deepEqual(guesses, [401, 401, 401, 429, 429], 'bad keys count against the address');
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('rate limits shared through redis', async () => {
  const redis = await redisServerGate();
  const name = `shared${Math.random().toString(36).slice(2, 8)}`;
  const manifest = ticketsManifest('access: { public: true }\nrateLimit: { requests: 3, perSeconds: 60 }\n').replace(
    'name: tickets',
    `name: ${name}`,
  );

  it('two instances draw on one budget per client', { skip: redis.skip }, async () => {
    const servers: RunningServer[] = [];
    const projects = [
      makeProject({ 'a.yaml': manifest }, { rl: { backend: 'redis', url: redis.url } }),
      makeProject({ 'a.yaml': manifest }, { rl: { backend: 'redis', url: redis.url } }),
    ];
    try {
      for (const project of projects) {
        const config = project.config();
        servers.push(await listen({ ...config, rateLimit: { requests: 100_000, perSeconds: 1, store: 'rl' } }, silentLogger));
      }
      const statuses = [];
      for (const server of [...servers, ...servers]) statuses.push((await call(server.url, 'GET', `/${name}`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429], 'the fourth request is refused, whichever instance gets it');
    } finally {
      for (const server of servers) await server.close();
      for (const project of projects) project.remove();
    }
  });

  it('when redis cannot be reached, each instance limits on its own: never a 500, never everyone refused', async () => {
    const project = makeProject({ 'a.yaml': manifest }, { rl: { backend: 'redis', url: 'redis://127.0.0.1:1' } });
    const config = project.config();
    const server = await listen({ ...config, rateLimit: { requests: 100_000, perSeconds: 1, store: 'rl' } }, silentLogger);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(server.url, 'GET', `/${name}`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('client address behind proxies', () => {
  const manifest = ticketsManifest('access: { public: true }\nrateLimit: { requests: 2, perSeconds: 60 }\n');
  const run = async (trustedProxies: string[], forwarded: string[]) => {
    const project = makeProject({ 'tickets.yaml': manifest });
    const config = project.config();
    const server = await listen({ ...config, server: { ...config.server, trustedProxies } }, silentLogger);
    try {
      const statuses = [];
      for (const chain of forwarded)
        statuses.push((await call(server.url, 'GET', '/tickets', undefined, { 'x-forwarded-for': chain })).status);
      return statuses;
    } finally {
      await server.close();
      project.remove();
    }
  };

  it('without trusted proxies X-Forwarded-For is ignored: one budget for the peer', async () => {
    assert.deepEqual(await run([], ['1.1.1.1', '2.2.2.2', '3.3.3.3']), [200, 200, 429]);
  });

  it('behind a trusted proxy the rightmost untrusted address is the client; a forged leftmost entry changes nothing', async () => {
    const statuses = await run(['127.0.0.1', '10.0.0.2'], ['1.1.1.1', '9.9.9.9, 1.1.1.1', '8.8.8.8, 1.1.1.1, 10.0.0.2', '2.2.2.2']);
    assert.deepEqual(statuses, [200, 200, 429, 200]);
  });
});
