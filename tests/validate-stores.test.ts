import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../engine/log.ts';
import { LOCK_FILE } from '../engine/registry/data-dir-lock.ts';
import { listen } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { runNode } from './support/process.ts';
import { call, makeProject, type TestProject } from './support/project.ts';

/**
 * `council validate` asks each store what it would refuse for the manifests as they are
 * now (the way `council migrate --dry-run` does): a type change on a column holding
 * values, a dropped column holding values. On embedded PGlite (directly, or through the
 * server that holds it), on a PostgreSQL server; a store it cannot reach is said plainly,
 * within seconds, and is no error.
 */
const BIN = fileURLToPath(new URL('../bin/council.mjs', import.meta.url));
const env = { ...process.env, PORT: '', DATABASE_URL: '', NODE_OPTIONS: '' };

function manifest(name: string, properties: string): string {
  return `name: ${name}
description: What validate asks the store.
storage:
  backend: postgres
  connection: pg
schema:
  type: object
  additionalProperties: false
  properties:
    title: { type: string, description: Title. }
${properties}endpoints:
  - operation: list
  - operation: get
  - operation: create
access: { public: true }
`;
}

const BEFORE = '    legacy: { type: string, description: Old. }\n    count: { type: integer, description: How many. }\n';
// legacy removed, count now a string: both columns hold values.
const AFTER = '    count: { type: string, description: How many. }\n';

const projects: TestProject[] = [];
after(() => {
  for (const p of projects) p.remove();
});

/**
 * A project whose table holds a record with legacy and count set, then a manifest on disk
 * that drops one and retypes the other. With `keep`, the server that wrote the record
 * still runs (serving the manifest it loaded: it does not watch).
 */
async function changedProject(pgUrl = '', keep = false) {
  const name = `vs${Math.random().toString(36).slice(2, 8)}`;
  const project = makeProject({ 'tasks.yaml': manifest(name, BEFORE) }, { pg: { backend: 'postgres', url: pgUrl } });
  projects.push(project);
  const server = await listen(project.config(), silentLogger);
  try {
    assert.equal((await call(server.url, 'POST', `/${name}`, { title: 't', legacy: 'v', count: 3 })).status, 201);
  } finally {
    if (!keep) await server.close();
  }
  project.write('tasks.yaml', manifest(name, AFTER));
  const config = join(project.root, 'council.config.yaml');
  const url = pgUrl ? `"${pgUrl}"` : '""';
  writeFileSync(
    config,
    `automations: automations\ndataDir: data\naudit: { enabled: false }\nconnections:\n  pg: { backend: postgres, url: ${url} }\n`,
  );
  return { project, name, config, server };
}

async function validate(config: string, extra: string[] = [], extraEnv: Record<string, string> = {}) {
  const started = performance.now();
  const run = await runNode([BIN, 'validate', '--config', config, ...extra], { env: { ...env, ...extraEnv } });
  return { ...run, ms: performance.now() - started };
}

/** The two refusals, at the manifest's lines: count's type (line 11) and the removed legacy (at `storage:`, line 3). */
function assertRefusals(stderr: string, file: string): void {
  assert.match(
    stderr,
    new RegExp(
      `^${file}:11:5: storage "pg" refuses: property "count" is now text COLLATE "C" but its column is bigint and holds values; to convert them, list count under storage.migrations.retype`,
      'm',
    ),
  );
  assert.match(
    stderr,
    new RegExp(
      `^${file}:3:1: storage "pg" refuses: property "legacy" was removed but its column still holds values; to delete them, list legacy under storage.migrations.drop`,
      'm',
    ),
  );
}

describe('council validate asks the store', { timeout: 180_000 }, () => {
  it('on embedded PGlite, directly when no server holds it, taking and releasing the data directory', async (t) => {
    const { project, name, config } = await changedProject();
    const run = await validate(config);
    t.diagnostic(`validate with a PGlite store: ${run.ms.toFixed(0)} ms`);
    assert.equal(run.status, 1, run.stderr);
    assertRefusals(run.stderr, join(project.automations, 'tasks.yaml'));
    assert.match(run.stdout, new RegExp(`^stores: asked ${name}$`, 'm'));
    assert.match(run.stdout, /^1 manifest\(s\) checked: 2 error\(s\), \d+ warning\(s\)$/m);
    assert.equal(existsSync(join(project.dataDir, LOCK_FILE)), false);

    const offline = await validate(config, ['--no-store']);
    assert.equal(offline.status, 0, offline.stderr);
    assert.doesNotMatch(offline.stdout, /^stores:/m);
  });

  it('through the server that holds the embedded store, never opening it behind its back', async () => {
    const { project, name, config, server } = await changedProject('', true);
    try {
      const run = await validate(config);
      assert.equal(run.status, 1, run.stderr);
      assertRefusals(run.stderr, join(project.automations, 'tasks.yaml'));
      assert.match(run.stdout, new RegExp(`^stores: asked ${name} \\(through the server at ${server.url.replace(/\./g, '\\.')}\\)$`, 'm'));
      const after = await call(server.url, 'GET', `/${name}`);
      assert.equal(after.status, 200, `the server serves on, unchanged: ${after.text}`);
    } finally {
      await server.close();
    }
  });

  it('a store that cannot be reached is said plainly within seconds, and is no error', async (t) => {
    const { project } = await changedProject();
    const config = join(project.root, 'unreachable.yaml');
    for (const [label, url, within] of [
      ['refused', 'postgres://postgres:secret-pw@127.0.0.1:1/x', /postgres connection "pg" is unavailable/],
      // A routable address nothing answers: the deadline speaks.
      ['silent', 'postgres://postgres:secret-pw@10.255.255.1:5432/x', /postgres connection "pg" gave no answer within 3 s/],
    ] as const) {
      writeFileSync(config, `automations: automations\ndataDir: data\nconnections:\n  pg: { backend: postgres, url: "${url}" }\n`);
      const run = await validate(config);
      t.diagnostic(`${label}: ${run.ms.toFixed(0)} ms`);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^stores: none asked; could not ask vs\w+ \(.*\), so what they would refuse is not checked$/m);
      assert.match(run.stdout, within);
      assert.ok(!`${run.stdout}${run.stderr}`.includes('secret-pw'), 'the URL is never printed');
      assert.ok(run.ms < 15_000, `bounded: ${run.ms.toFixed(0)} ms`);
    }
  });
});

const pg = await postgresServerGate();

describe('council validate asks a PostgreSQL server', { skip: pg.skip, timeout: 120_000 }, () => {
  it('reports the refusals of a server table holding values', async () => {
    const { project, name, config } = await changedProject(pg.url);
    const run = await validate(config);
    assert.equal(run.status, 1, run.stderr);
    assertRefusals(run.stderr, join(project.automations, 'tasks.yaml'));
    assert.match(run.stdout, new RegExp(`^stores: asked ${name}$`, 'm'));
  });
});
