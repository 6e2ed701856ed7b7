import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { runNode } from './support/process.ts';
import { call, makeProject, type TestProject } from './support/project.ts';

/**
 * The per-automation document is good enough to generate a client from: openapi-typescript
 * turns it into types, a client written against them (openapi-fetch) compiles under
 * strict TypeScript, a typo in a field does not, and the client does CRUD against the
 * running server with an API key.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const TICKETS = `name: tickets
description: Support tickets customers open.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, description: One-line summary. }
    status: { type: string, enum: [open, closed], default: open, description: Where it stands. }
    priority: { type: integer, minimum: 1, maximum: 5, description: Urgency. }
endpoints:
  - operation: list
    filters: [status]
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
`;

const CLIENT = `import createClient from 'openapi-fetch';
import type { paths } from './api.mts';

const client = createClient<paths>({
  baseUrl: process.env.BASE as string,
  headers: { authorization: \`Bearer \${process.env.KEY}\` },
});
const created = await client.POST('/tickets', { body: { title: 'Printer on fire', priority: 2 } });
if (!created.data) throw new Error(\`create: \${JSON.stringify(created.error)}\`);
const id: string = created.data.data.id;
const got = await client.GET('/tickets/{id}', { params: { path: { id } } });
const title: string | undefined = got.data?.data.title;
const updated = await client.PATCH('/tickets/{id}', { params: { path: { id } }, body: { status: 'closed' } });
const status: 'open' | 'closed' | undefined = updated.data?.data.status;
const listed = await client.GET('/tickets', { params: { query: { status: 'closed', limit: 10 } } });
const ids: string[] = listed.data?.data.map((t) => t.id) ?? [];
const deleted = await client.DELETE('/tickets/{id}', { params: { path: { id } } });
const gone = await client.GET('/tickets/{id}', { params: { path: { id } } });
console.log(JSON.stringify({ id, title, status, ids, deleted: deleted.response.status, gone: gone.error?.code }));
`;

describe('a typed client generated from the per-automation spec', () => {
  let project: TestProject;
  let server: RunningServer;
  let dir: string;
  let key: string;
  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS });
    server = await listen(project.config(), silentLogger);
    key = (await (await server.engine.auth.store()).create({ name: 'typed client', scopes: ['tickets:*'] })).secret;
    // Inside the checkout, so the client resolves openapi-fetch from its node_modules.
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'council-typed-client-'));
    const spec = await call(server.url, 'GET', '/automations/tickets/openapi.json');
    assert.equal(spec.status, 200);
    // Through openapi-typescript's own command, as a team would run it. Without
    // --default-non-nullable false it makes every property with a default required,
    // request bodies included, where the spec says it may be left out.
    writeFileSync(join(dir, 'openapi.json'), spec.text);
    const generated = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'),
        'openapi.json',
        '-o',
        'api.mts',
        '--default-non-nullable',
        'false',
      ],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    assert.equal(generated.status, 0, generated.stderr);
    writeFileSync(join(dir, 'client.mts'), CLIENT);
    writeFileSync(
      join(dir, 'typo.mts'),
      `${CLIENT.replace("body: { title: 'Printer on fire', priority: 2 }", "body: { titel: 'Printer on fire' }")}`,
    );
  });
  after(async () => {
    await server.close();
    project.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const tsc = (file: string) =>
    spawnSync(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--allowImportingTsExtensions',
        '--skipLibCheck',
        file,
      ],
      { cwd: dir, encoding: 'utf8' },
    );

  it('compiles under strict TypeScript; a misspelled field does not', () => {
    const ok = tsc('client.mts');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const typo = tsc('typo.mts');
    assert.notEqual(typo.status, 0);
    assert.match(typo.stdout, /titel/);
  });

  it('performs create, get, update, list and delete against the running server', async () => {
    // Not spawnSync: the server answering the client runs in this process.
    const run = await runNode(['--import', 'tsx', 'client.mts'], { cwd: dir, env: { ...process.env, BASE: server.url, KEY: key } });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.title, 'Printer on fire');
    assert.equal(result.status, 'closed');
    assert.deepEqual(result.ids, [result.id]);
    assert.equal(result.deleted, 204);
    assert.equal(result.gone, 'not-found');
  });
});
