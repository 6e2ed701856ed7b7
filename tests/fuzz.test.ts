import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadConfig } from '../engine/config/load.ts';
import { fuzzApi } from '../engine/testing/fuzz.ts';
import { invalidBodies, Random, validValue } from '../engine/testing/fuzz-values.ts';
import type { Send, TestResult } from '../engine/testing/run-tests.ts';
import { type EngineUnderTest, startEngineUnderTest } from '../engine/testing/test-engine.ts';
import { runCouncil } from './support/council-command.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { makeProject } from './support/project.ts';
import { serveProcess } from './support/serve-process.ts';

/**
 * `council test --fuzz`: requests generated from the OpenAPI document find no 5xx, no
 * undocumented status and no body off its schema in the shipped examples (in process on
 * PGlite and memory, and on a PostgreSQL server), and do find defects planted in front
 * of the engine, the same ones for the same seed.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const env = { ...process.env, PORT: '', DATABASE_URL: '', REDIS_URL: '', NODE_OPTIONS: '', COUNCIL_API_KEY: '' };
const BASE = 'http://council.test';

function council(args: readonly string[], extraEnv: Record<string, string> = {}) {
  return runCouncil(ROOT, args, { ...env, ...extraEnv }, 120_000);
}

const failures = (results: readonly TestResult[]) => results.filter((r) => r.failure).map((r) => r.failure?.message);

/** Any string in a JSON body that is empty, however deep. */
function holdsEmptyString(value: unknown): boolean {
  if (value === '') return true;
  if (Array.isArray(value)) return value.some(holdsEmptyString);
  return value !== null && typeof value === 'object' && Object.values(value).some(holdsEmptyString);
}

describe('council test --fuzz', () => {
  let engine: EngineUnderTest;
  let document: Record<string, unknown>;

  before(async () => {
    const { config } = loadConfig(`${ROOT}council.config.yaml`);
    assert.ok(config);
    engine = await startEngineUnderTest(config);
    document = (await (await engine.send(new Request(`${BASE}/openapi.json`))).json()) as Record<string, unknown>;
  });

  after(async () => {
    await engine?.close();
  });

  const fuzz = (send: Send, seed: number, budget = 1000) =>
    fuzzApi(document, send, { base: BASE, key: engine.key, seed, budget, stepTimeoutMs: 30_000, fileOf: () => 'automations/x.yaml' });

  test('the shipped examples answer every generated request as documented (three seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      const results = await fuzz(engine.send, seed);
      assert.ok(results.length >= 40, `${results.length} operations`);
      assert.deepEqual(failures(results), [], `seed ${seed}`);
    }
  });

  test('finds a handler that answers 500 on an empty string, within the default budget, the same request for the same seed', async () => {
    const planted: Send = async (request) => {
      const text = request.body ? await request.clone().text() : '';
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {}
      if (holdsEmptyString(body)) return new Response('{"error":"boom"}', { status: 500, headers: { 'content-type': 'application/json' } });
      return engine.send(request);
    };
    const first = failures(await fuzz(planted, 11));
    assert.ok(first.length > 0, 'the planted defect is found');
    assert.match(first[0] as string, /: answered 500: \{"error":"boom"\}; run again with --seed 11$/);
    assert.match(first[0] as string, /""/, 'the request shown holds the empty string');
    const again = failures(await fuzz(planted, 11));
    assert.deepEqual(again[0], first[0], 'the same seed makes the same requests');
  });

  test('finds an answer its documented schema refuses, and a 2xx to a request that breaks a rule', async () => {
    const withoutId: Send = async (request) => {
      const response = await engine.send(request);
      if (request.method !== 'GET' || response.status !== 200) return response;
      const body = (await response.json()) as { data?: Record<string, unknown> };
      if (body.data && !Array.isArray(body.data)) delete body.data.id;
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    assert.match(
      failures(await fuzz(withoutId, 5))[0] as string,
      /answered 200 with a body its documented schema refuses \(\/data must have required property 'id'\)/,
    );
    const lenient: Send = async (request) => {
      const response = await engine.send(request);
      return response.status === 422 ? new Response(null, { status: 204 }) : response;
    };
    assert.match(
      failures(await fuzz(lenient, 5)).join('\n'),
      /\((the body is not an object|required "[^"]+" left out|"[^"]+" (of the wrong type|outside its enum|longer than maxLength \d+|over its maximum|under its minimum))\): accepted it with 204/,
    );
  });

  test('values: valid ones pass their schema, invalid ones break the rule they name', () => {
    const schema = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 5 },
        plan: { type: 'string', enum: ['free', 'pro'] },
        seats: { type: 'integer', minimum: 1, maximum: 9 },
        tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
      },
    };
    const random = new Random(3);
    for (let i = 0; i < 200; i++) {
      const value = validValue(schema, {}, random) as Record<string, unknown>;
      assert.equal(typeof value.name, 'string');
      assert.ok([...(value.name as string)].length >= 1 && [...(value.name as string)].length <= 5, JSON.stringify(value));
      if ('seats' in value) assert.ok(Number.isInteger(value.seats) && (value.seats as number) >= 1 && (value.seats as number) <= 9);
      if ('plan' in value) assert.ok(['free', 'pro'].includes(value.plan as string));
      if ('tags' in value) assert.ok((value.tags as unknown[]).length <= 2);
    }
    const whys = invalidBodies(schema, {}, new Random(3)).map((b) => b.why);
    assert.deepEqual(whys, [
      'the body is not an object',
      'required "name" left out',
      '"name" of the wrong type',
      '"name" longer than maxLength 5',
      '"plan" outside its enum',
      '"seats" of the wrong type',
      '"seats" over its maximum',
      '"seats" under its minimum',
      '"tags" of the wrong type',
    ]);
    assert.deepEqual(
      Array.from({ length: 5 }, () => new Random(9).next()),
      Array.from({ length: 5 }, () => new Random(9).next()),
    );
  });
});

describe('council test --fuzz over two versions of one automation', () => {
  test('the example of documents/versioning.md answers as documented at /accounts and /v1/accounts (PGlite)', async () => {
    const text = readFileSync(join(ROOT, 'documents/versioning.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
    assert.ok(yaml);
    const project = makeProject({ 'accounts.yaml': yaml });
    const engine = await startEngineUnderTest(project.config());
    try {
      const doc = (await (await engine.send(new Request(`${BASE}/openapi.json`))).json()) as { paths: Record<string, unknown> };
      assert.ok(doc.paths['/v1/accounts'], 'version 1 is in the document the fuzzer reads');
      for (const seed of [1, 2]) {
        const results = await fuzzApi(doc, engine.send, {
          base: BASE,
          key: engine.key,
          seed,
          budget: 600,
          stepTimeoutMs: 30_000,
          fileOf: () => 'automations/accounts.yaml',
        });
        assert.deepEqual(failures(results), [], `seed ${seed}`);
      }
    } finally {
      await engine.close();
      project.remove();
    }
  });
});

describe('council test --fuzz from the command line', { concurrency: true }, () => {
  test('prints its seed and TAP, exit 0 on the shipped examples', async () => {
    const run = await council(['test', '--fuzz', '--seed', '7', '--budget', '300']);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^# fuzz: seed 7, budget 300 requests$/m);
    assert.match(run.stdout, /^ok \d+ - automations\/accounts\.yaml: fuzz POST \/accounts \(\d+ requests\)$/m);
    assert.match(run.stdout, /^# fail 0$/m);
    const bad = await council(['test', '--fuzz', '--budget', 'lots']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--budget takes a whole number, got "lots"/);
  });

  test('against the examples served on a PostgreSQL server (--url)', async (t) => {
    const pg = await postgresServerGate();
    if (pg.skip) return t.skip(pg.skip);
    // This file's database, emptied: the server's first start then prints an admin key.
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql`drop schema if exists public cascade`;
    await sql`create schema public`;
    await sql.end();
    const data = mkdtempSync(join(tmpdir(), 'council-fuzz-'));
    const served = await serveProcess(['--port', '0', '--no-watch', '--data', data], {
      cwd: ROOT,
      env: { ...env, DATABASE_URL: pg.url },
    });
    try {
      assert.ok(served.key, served.output());
      const run = await council(['test', '--fuzz', '--seed', '8', '--budget', '400', '--url', served.url], { COUNCIL_API_KEY: served.key });
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^# fail 0$/m);
    } finally {
      await served.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
