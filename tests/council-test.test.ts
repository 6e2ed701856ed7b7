import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { firstMismatch, interpolate } from '../engine/testing/expectations.ts';
import { COUNCIL_BIN as BIN, type Run, runCouncil } from './support/council-command.ts';
import { serveProcess } from './support/serve-process.ts';

/**
 * `council test`: declared tests pass and fail as declared, through the command line,
 * against an engine in process on empty stores and against a running server (--url).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const env = { ...process.env, PORT: '', DATABASE_URL: '', REDIS_URL: '', NODE_OPTIONS: '', COUNCIL_API_KEY: '' };

function council(cwd: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return runCouncil(cwd, args, { ...env, ...extraEnv }, 120_000);
}

const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** A project with the shipped accounts and support-tickets manifests, the default config, and `tests` as test files. */
function project(tests: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'council-test-cmd-'));
  projects.push(root);
  mkdirSync(join(root, 'automations'));
  for (const name of ['accounts.yaml', 'support-tickets.yaml']) cpSync(join(ROOT, 'automations', name), join(root, 'automations', name));
  for (const [name, text] of Object.entries(tests)) writeFileSync(join(root, 'automations', name), text);
  return root;
}

/** Two tests: the first fails at its second step (the status), the second passes. */
const FAILING = `tests:
  - name: an account is made, then read with the wrong status
    steps:
      - request: POST /accounts
        body: { name: Initech, email: it@initech.test }
        capture: { id: /data/id }
      - request: GET /accounts/\${id}
        expect:
          status: 201
  - name: an account is listed
    steps:
      - request: GET /accounts?plan=free
        expect:
          body: { data: [{ name: Initech }] }
`;

describe('council test', { concurrency: true }, () => {
  test('the shipped example tests pass on empty stores, whatever the databases configured', async () => {
    // DATABASE_URL names a server that does not exist: a test run never uses it.
    const run = await council(ROOT, ['test'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^TAP version 13$/m);
    assert.match(run.stdout, /^ok 1 - automations\/support-tickets\.test\.yaml: /m);
    assert.match(run.stdout, /^# fail 0$/m);
  });

  test('a failing step is not ok at its line, stops its test, and the next test runs; exit 1, JUnit and annotations', async () => {
    const root = project({ 'accounts.test.yaml': FAILING });
    const run = await council(root, ['test', '--junit', 'report.xml', '--format', 'github']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^not ok 1 - automations\/accounts\.test\.yaml: an account is made, then read with the wrong status$/m);
    assert.match(run.stdout, /^ {2}at: "automations\/accounts\.test\.yaml:9:19"$/m, 'the line of the expected status');
    assert.match(run.stdout, /^ {2}step: 2$/m);
    assert.match(run.stdout, /message: "GET \/accounts\/[0-9a-f-]{36}: expected 201, got 200: /);
    assert.match(
      run.stdout,
      /^ok 2 - automations\/accounts\.test\.yaml: an account is listed$/m,
      'the account of the failed test is still there',
    );
    assert.match(run.stdout, /^# pass 1$/m);
    assert.match(run.stdout, /^::error file=automations\/accounts\.test\.yaml,line=9,col=19,title=test-failed::an account is made/m);
    const junit = readFileSync(join(root, 'report.xml'), 'utf8');
    assert.match(junit, /<testsuite name="automations\/accounts\.test\.yaml" tests="2" failures="1"/);
    assert.match(junit, /<failure message="GET \/accounts\/[0-9a-f-]{36}: expected 201, got 200: /);
  });

  test('a body that differs is reported at its pointer, with what was expected and got', async () => {
    const root = project({
      'accounts.test.yaml': `tests:
  - name: defaults
    steps:
      - request: POST /accounts
        body: { name: Hooli, email: a@hooli.test }
        expect:
          status: 201
          body: { data: { plan: pro, tags: [] } }
`,
    });
    const run = await council(root, ['test']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /at: "automations\/accounts\.test\.yaml:8:17"/);
    assert.match(run.stdout, /body at \/data\/plan: not equal: expected \\"pro\\", got \\"free\\"/);
  });

  test('an invalid test file is reported at FILE:LINE:COL and does not run; the others do', async () => {
    const root = project({
      'accounts.test.yaml': 'tests:\n  - name: typo\n    steps:\n      - request: GET /accounts\n        expect: { satus: 200 }\n',
      'support-tickets.test.yaml':
        'tests:\n  - name: uncaptured\n    steps:\n      - request: GET /support-tickets/${ticket}\n  - name: fine\n    steps:\n      - request: GET /support-tickets\n',
      'more.test.yaml':
        'tests:\n  - name: lists\n    steps:\n      - request: GET /accounts\n        expect: { status: 200, body: { data: [] } }\n',
    });
    const run = await council(root, ['test']);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^automations\/accounts\.test\.yaml:5:19: tests\.0\.steps\.0\.expect: unknown property "satus" \(did you mean "status"\?\)$/m,
    );
    assert.match(
      run.stderr,
      /^automations\/support-tickets\.test\.yaml:4:18: \$\{ticket\} is not captured by an earlier step of this test/m,
    );
    assert.match(run.stdout, /^ok 1 - automations\/more\.test\.yaml: lists$/m);
    assert.match(run.stdout, /^1\.\.1$/m);
    assert.match(run.stdout, /^# 2 problem\(s\) in test files: those files did not run$/m);
  });

  test('--url runs against a running server with the key in COUNCIL_API_KEY; each file there shares its records', async () => {
    const root = project({ 'accounts.test.yaml': FAILING.replace('status: 201', 'status: 200') });
    const served = await serveProcess(['--port', '0', '--data', 'data'], { cwd: root, env });
    try {
      assert.ok(served.key);
      assert.match(served.output(), /serving 2 automation\(s\)/);
      assert.doesNotMatch(served.output(), /skipped/, 'the test file beside the manifests is not loaded as one');
      const run = await council(root, ['test', '--url', served.url], { COUNCIL_API_KEY: served.key });
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^# pass 2$/m);
      const unauthorized = await council(root, ['test', '--url', served.url]);
      assert.equal(unauthorized.code, 1);
      assert.match(unauthorized.stdout, /POST \/accounts: expected a 2xx status \(none given\), got 401/);
      // A test file saved while the server watches the folder is not loaded as a manifest either.
      writeFileSync(join(root, 'automations', 'saved-later.test.yaml'), FAILING);
      writeFileSync(join(root, 'automations', 'notes.yaml'), readFileSync(join(ROOT, 'automations', 'notes.yaml'), 'utf8'));
      let health: { automations: { name: string; state: string }[] } = { automations: [] };
      for (let waited = 0; waited < 20_000 && health.automations.length < 3; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = (await (await fetch(`${served.url}/health`)).json()) as typeof health;
      }
      assert.deepEqual(
        health.automations.map((a) => `${a.name} ${a.state}`).sort(),
        ['accounts serving', 'notes serving', 'support-tickets serving'],
        'the manifest saved with it is served; the test file is nowhere',
      );
    } finally {
      await served.stop();
    }
  });

  test('--watch runs again when a test file changes, with what it now says', async () => {
    const root = project({ 'accounts.test.yaml': FAILING });
    const child = spawn(process.execPath, [BIN, 'test', '--watch'], { cwd: root, env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    const until = async (pattern: RegExp) => {
      for (let waited = 0; !pattern.test(out); waited += 50) {
        if (waited > 60_000 || child.exitCode !== null) throw new Error(`never printed ${pattern}:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await until(/# watching for changes/);
      await until(/^# fail 1$/m);
      writeFileSync(join(root, 'automations', 'accounts.test.yaml'), FAILING.replace('status: 201', 'status: 200'));
      await until(/a file changed; running again[\s\S]*^# fail 0$/m);
    } finally {
      child.kill('SIGINT');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });

  test('no test file: a note and exit 0 for the default folder, exit 1 for paths given', async () => {
    const root = project({});
    const quiet = await council(root, ['test']);
    assert.equal(quiet.code, 0);
    assert.match(quiet.stdout, /^# no test file \(\*\.test\.yaml\) under /m);
    const named = await council(root, ['test', 'automations']);
    assert.equal(named.code, 1);
  });

  test('validate leaves test files alone: they are no manifests (serve too: see --url)', async () => {
    const root = project({ 'accounts.test.yaml': FAILING });
    const run = await council(root, ['validate', '--no-store']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2 manifest\(s\) checked: 0 error\(s\)/m);
    assert.ok(!existsSync(join(root, 'data')));
  });
});

describe('test expectations (pure)', () => {
  test('a body holds the expected one: keys given, arrays item by item and of the same length, values equal', () => {
    const answer = { data: { id: 'a', tags: ['x', 'y'], n: 1, nested: { deep: null } }, meta: { next: null } };
    assert.equal(firstMismatch({ data: { id: 'a' } }, answer), undefined);
    assert.equal(firstMismatch({ data: { tags: ['x', 'y'], nested: { deep: null } } }, answer), undefined);
    assert.deepEqual(firstMismatch({ data: { tags: ['x'] } }, answer), {
      pointer: '/data/tags',
      expected: ['x'],
      actual: ['x', 'y'],
      why: 'expected 1 item(s), got 2',
    });
    assert.equal(firstMismatch({ data: { n: '1' } }, answer)?.why, 'not equal');
    assert.equal(firstMismatch({ data: { missing: 1 } }, answer)?.pointer, '/data/missing');
    assert.equal(firstMismatch({ data: { id: { a: 1 } } }, answer)?.why, 'expected an object, got string "a"');
    assert.equal(firstMismatch({ 'a/b': 1 }, { 'a/b': 2 })?.pointer, '/a~1b');
  });

  test('${name} alone keeps the captured value; inside text it is written as text', () => {
    const captured = new Map<string, unknown>([
      ['id', 'abc'],
      ['n', 3],
    ]);
    assert.deepEqual(interpolate({ path: '/x/${id}', count: '${n}', list: ['${id}', 'n=${n}'] }, captured), {
      path: '/x/abc',
      count: 3,
      list: ['abc', 'n=3'],
    });
  });
});
