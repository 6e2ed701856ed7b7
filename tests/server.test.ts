import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { silentLogger } from '../engine/log.ts';
import { listen } from '../engine/server/listen.ts';
import { contactsManifest } from './support/contacts.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from './support/project.ts';

/** The server as an operator sees it: start-up with bad manifests, health, OpenAPI, restarts. */
describe('server', () => {
  const projects: TestProject[] = [];
  const project = (manifests: Record<string, string>, connections = {}) => {
    const p = makeProject(manifests, connections);
    projects.push(p);
    return p;
  };
  after(() => {
    for (const p of projects) p.remove();
  });

  it('restart keeps embedded (PGlite) data', async () => {
    const p = project({ 'contacts.yaml': contactsManifest('contacts', '  backend: postgres') });
    const first = await startServer(p);
    const created = await call(first.url, 'POST', '/contacts', { name: 'Persisted', email: 'p@example.com', tags: ['kept'] });
    assert.equal(created.status, 201);
    await first.close();
    const second = await startServer(p);
    try {
      const got = await call(second.url, 'GET', `/contacts/${created.json.data.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.json.data, created.json.data);
    } finally {
      await second.close();
    }
  });

  it('an invalid manifest is reported and skipped; the valid ones serve; /health tells which', async () => {
    const p = project({
      'good.yaml': contactsManifest('good', '  backend: memory'),
      'bad.yaml': contactsManifest('bad', '  backend: memory').replace('filters: [plan, age, vip, score]', 'filters: [plna]'),
      'broken.yaml': 'name: [unclosed\n',
    });
    const server = await startServer(p);
    try {
      assert.equal((await call(server.url, 'GET', '/good')).status, 200);
      assert.equal((await call(server.url, 'GET', '/bad')).status, 404);
      const health = await call(server.url, 'GET', '/health', undefined, adminHeaders(server));
      assert.equal(health.status, 200);
      assert.equal(health.json.status, 'degraded');
      const byFile = new Map(health.json.automations.map((a: { file: string }) => [a.file.split('/').at(-1), a]));
      assert.equal((byFile.get('good.yaml') as { state: string }).state, 'serving');
      const bad = byFile.get('bad.yaml') as { state: string; errors: string[] };
      assert.equal(bad.state, 'invalid');
      assert.match(bad.errors[0] ?? '', /bad\.yaml:\d+:\d+: .*filter "plna" is not a property of the schema \(did you mean "plan"\?\)/);
      assert.equal((byFile.get('broken.yaml') as { state: string }).state, 'invalid');
    } finally {
      await server.close();
    }
  });

  it('a store that is down at start marks its automations unavailable; the others serve; no secret leaks', async () => {
    const secretUrl = 'postgres://admin:hunter2-secret@127.0.0.1:1/db';
    const p = project(
      {
        'up.yaml': contactsManifest('up', '  backend: memory'),
        'down.yaml': contactsManifest('down', '  backend: postgres\n  connection: remote'),
      },
      { remote: { backend: 'postgres', url: secretUrl } },
    );
    const server = await startServer(p);
    try {
      assert.equal((await call(server.url, 'GET', '/up')).status, 200);
      const health = await call(server.url, 'GET', '/health', undefined, adminHeaders(server));
      assert.equal(health.json.status, 'degraded');
      const down = health.json.automations.find((a: { name?: string }) => a.name === 'down');
      assert.equal(down.state, 'unavailable');
      const remote = health.json.connections.find((c: { name: string }) => c.name === 'remote');
      assert.equal(remote.state, 'down', 'a connection that failed to open is down, not unused');
      assert.equal(typeof remote.error, 'string');
      assert.doesNotMatch(health.text, /hunter2|admin:/);
      const openapi = await call(server.url, 'GET', '/openapi.json');
      assert.doesNotMatch(openapi.text, /hunter2/);
      assert.deepEqual(Object.keys(openapi.json.paths).sort(), ['/up', '/up/{id}']);
    } finally {
      await server.close();
    }
  });

  it('a redis connection without a url serves from memory and says so; strict mode refuses it', async () => {
    const p = project(
      { 'sessions.yaml': contactsManifest('sessions', '  backend: redis\n  connection: cache') },
      { cache: { backend: 'redis', url: '' } },
    );
    const lenient = await startServer(p);
    try {
      assert.equal((await call(lenient.url, 'POST', '/sessions', { name: 'a', email: 'a@example.com' })).status, 201);
      const cache = (await call(lenient.url, 'GET', '/health', undefined, adminHeaders(lenient))).json.connections.find(
        (c: { name: string }) => c.name === 'cache',
      );
      assert.deepEqual([cache.mode, cache.state], ['embedded: memory', 'up']);
    } finally {
      await lenient.close();
    }
    const strict = await listen(p.config(), silentLogger, { strict: true });
    try {
      const refused = await call(strict.url, 'GET', '/sessions');
      assert.equal(refused.status, 503, 'its path says the store is unavailable, not that the route does not exist');
      assert.equal(refused.headers.get('retry-after'), null, 'no retry helps until the config changes');
      const health = (await call(strict.url, 'GET', '/health', undefined, adminHeaders(strict))).json;
      const sessions = health.automations.find((a: { name?: string }) => a.name === 'sessions');
      assert.equal(sessions.state, 'unavailable');
      assert.match(sessions.errors[0], /has no url \(strict mode serves no redis automation from memory\)/);
    } finally {
      await strict.close();
    }
  });

  it('unique fields: a repeated value is a 409 naming the field, on memory and embedded postgres; OpenAPI documents it', async () => {
    for (const backend of ['memory', 'postgres']) {
      const manifest = contactsManifest(`members${backend}`, `  backend: ${backend}\n  unique: [email]`);
      const server = await startServer(project({ 'members.yaml': manifest }));
      try {
        const path = `/members${backend}`;
        assert.equal((await call(server.url, 'POST', path, { name: 'a', email: 'same@example.com' })).status, 201);
        const other = await call(server.url, 'POST', path, { name: 'b', email: 'other@example.com' });
        for (const [method, target] of [
          ['POST', path],
          ['PATCH', `${path}/${other.json.data.id}`],
        ] as const) {
          const repeated = await call(
            server.url,
            method,
            target,
            method === 'POST' ? { name: 'c', email: 'same@example.com' } : { email: 'same@example.com' },
          );
          assert.equal(repeated.status, 409, `${backend} ${method}: ${repeated.text}`);
          assert.equal(repeated.json.code, 'conflict');
          assert.deepEqual(
            repeated.json.errors.map((e: { pointer: string }) => e.pointer),
            ['/email'],
          );
        }
        const doc = (await call(server.url, 'GET', '/openapi.json')).json;
        assert.ok(doc.paths[path].post.responses['409'], 'create documents 409');
      } finally {
        await server.close();
      }
    }
  });

  it('requireIfMatch: writes without If-Match get 428 and change nothing; with the ETag they pass', async () => {
    const manifest = contactsManifest('guarded', '  backend: memory').replace('schema:', 'requireIfMatch: true\nschema:');
    const server = await startServer(project({ 'guarded.yaml': manifest }));
    try {
      const created = await call(server.url, 'POST', '/guarded', { name: 'g', email: 'g@example.com' });
      assert.equal(created.status, 201, 'create needs no If-Match: there is nothing to overwrite');
      const path = `/guarded/${created.json.data.id}`;
      for (const [method, body] of [
        ['PATCH', { age: 1 }],
        ['PUT', { name: 'h', email: 'h@example.com' }],
        ['DELETE', undefined],
      ] as const) {
        const refused = await call(server.url, method, path, body);
        assert.equal(refused.status, 428, `${method}: ${refused.text}`);
        assert.equal(refused.json.code, 'precondition-required');
      }
      assert.equal((await call(server.url, 'GET', path)).json.data.name, 'g');
      const tag = created.headers.get('etag') as string;
      assert.equal((await call(server.url, 'PATCH', path, { age: 2 }, { 'if-match': tag })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('GET /openapi.json describes what serves and passes an independent OpenAPI 3.1 validator', async () => {
    const examples = join(import.meta.dirname, '..', 'automations');
    const p = project({
      'accounts.yaml': readFileSync(join(examples, 'accounts.yaml'), 'utf8'),
      'notes.yaml': readFileSync(join(examples, 'notes.yaml'), 'utf8'),
    });
    const server = await startServer(p);
    try {
      const { status, json } = await call(server.url, 'GET', '/openapi.json');
      assert.equal(status, 200);
      assert.equal(json.openapi, '3.1.0');
      const result = await new Validator().validate(json);
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
      const ids = Object.values(json.paths).flatMap((item) =>
        Object.values(item as object).map((op: { operationId: string }) => op.operationId),
      );
      assert.deepEqual(ids.sort(), [
        'createAccount',
        'createNote',
        'deleteAccount',
        'deleteNote',
        'getAccount',
        'getNote',
        'listAccounts',
        'listNotes',
        'replaceAccount',
        'updateAccount',
        'updateNote',
        'upsertAccount',
      ]);
    } finally {
      await server.close();
    }
  });

  it('engine routes answer problem+json for unknown paths and document problem types', async () => {
    const server = await startServer(project({}));
    try {
      const missing = await call(server.url, 'GET', '/nothing/here');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('content-type'), 'application/problem+json');
      const type = await call(server.url, 'GET', missing.json.type);
      assert.equal(type.status, 200);
      assert.equal(type.json.code, 'not-found');
      assert.equal(type.json.status, 404);
    } finally {
      await server.close();
    }
  });
});
