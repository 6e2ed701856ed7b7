// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the config syntax under test
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Log as SarifLog } from 'sarif';
import { commands, usageLine } from '../engine/cli/commands.ts';
import { githubCommand } from '../engine/cli/issue-formats.ts';
import { COUNCIL_BIN as BIN, type Run, runCouncil } from './support/council-command.ts';
import { inotifyInstances } from './support/inotify.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { logLines, serveProcess } from './support/serve-process.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/manifests/', import.meta.url));
const TIMEOUT = 60_000;

/** A minimal council.config.yaml: the default connections plus `cache`, as the manifest tests use. */
const CONFIG = `server:
  port: \${PORT:-8080}
connections:
  postgres:
    backend: postgres
    url: \${DATABASE_URL:-}
  memory:
    backend: memory
  cache:
    backend: memory
`;

// Variables the config reads are cleared so that the caller's environment cannot change the outcome.
const env = { ...process.env, PORT: '', DATABASE_URL: '', NODE_OPTIONS: '' };

/** `council ...args` in `cwd`, with the environment above and `extraEnv`. */
function council(cwd: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return runCouncil(cwd, args, { ...env, ...extraEnv }, TIMEOUT);
}

const pg = await postgresServerGate();
const projects: string[] = [];
after(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/**
 * A throwaway project: council.config.yaml, the shared schema files in `schemas/` (so
 * `$ref: ../schemas/...` resolves as in the fixtures) and the given fixture manifests
 * (paths relative to tests/fixtures/manifests/) copied into `automations/`.
 */
function project(manifests: readonly string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'council-cli-'));
  projects.push(root);
  writeFileSync(join(root, 'council.config.yaml'), CONFIG);
  cpSync(join(FIXTURES, 'schemas'), join(root, 'schemas'), { recursive: true });
  mkdirSync(join(root, 'automations'));
  for (const fixture of manifests) cpSync(join(FIXTURES, fixture), join(root, 'automations', basename(fixture)));
  return root;
}

const VALID = readdirSync(join(FIXTURES, 'valid'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `valid/${f}`);

interface Reported {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  /** The two lines printed under the head: the source line and the caret. */
  readonly excerpt: readonly string[];
}

/**
 * The `FILE:LINE:COL: message` blocks on stderr (source lines are indented, heads are not).
 * Errors only, unless `warnings`: a fixture made for one error also draws GPT-profile warnings.
 */
function reported(stderr: string, warnings = false): Reported[] {
  const lines = stderr.split('\n');
  return lines.flatMap((text, index) => {
    const match = /^([^\s:][^:]*):(\d+):(\d+): (.+)$/.exec(text);
    if (!match || (!warnings && match[4]?.startsWith('warning: '))) return [];
    const [, file, line, col, message] = match;
    return [
      {
        file: file as string,
        line: Number(line),
        col: Number(col),
        message: message as string,
        excerpt: lines.slice(index + 1, index + 3),
      },
    ];
  });
}

/** `<basename>:line:col` of each issue a fixture's expected file lists for its own manifest. */
function expectedFor(fixture: string): string[] {
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'invalid', `${fixture}.expected.json`), 'utf8')) as {
    line: number;
    col: number;
    file?: string;
  }[];
  return expected.map((e) => `${basename(e.file ?? `${fixture}.yaml`)}:${e.line}:${e.col}`);
}

const positions = (issues: readonly Reported[]) => issues.map((i) => `${basename(i.file)}:${i.line}:${i.col}`).sort();

describe('council validate', { concurrency: true }, () => {
  test('exits 0 on valid manifests and prints a summary', async () => {
    const root = project(VALID);
    const run = await council(root, ['validate']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, new RegExp(`^${VALID.length} manifest\\(s\\) checked: 0 error\\(s\\), 0 warning\\(s\\)$`, 'm'));
  });

  test('exits 1 and prints FILE:LINE:COL: message with source and caret for every error in every file', async () => {
    const invalid = [
      'several-semantic-errors',
      'filter-unknown-field',
      'manifest-bad-operation',
      'yaml-duplicate-key',
      'schema-invalid-strict-keyword',
    ];
    const root = project(['valid/notes.yaml', ...invalid.map((f) => `invalid/${f}.yaml`)]);
    const run = await council(root, ['validate']);
    assert.equal(run.code, 1);
    const issues = reported(run.stderr);
    assert.deepEqual(positions(issues), invalid.flatMap(expectedFor).sort());
    for (const issue of issues) {
      assert.equal(issue.file, join(root, 'automations', basename(issue.file)));
      const source = readFileSync(issue.file, 'utf8').split('\n')[issue.line - 1];
      assert.deepEqual(issue.excerpt, [`  ${source}`, `  ${' '.repeat(issue.col - 1)}^`]);
    }
    assert.match(run.stdout, new RegExp(`^6 manifest\\(s\\) checked: ${issues.length} error\\(s\\), \\d+ warning\\(s\\)$`, 'm'));
  });

  test('reports cross-file errors: a duplicated name names the first file', async () => {
    const root = project();
    cpSync(join(FIXTURES, 'invalid', 'name-duplicate'), join(root, 'automations'), { recursive: true });
    const run = await council(root, ['validate']);
    assert.equal(run.code, 1);
    const [issue, ...rest] = reported(run.stderr);
    assert.deepEqual(rest, []);
    assert.deepEqual([issue?.file, issue?.line, issue?.col], [join(root, 'automations', 'b-tickets.yaml'), 3, 7]);
    assert.ok(issue?.message.includes(`${join(root, 'automations', 'a-tickets.yaml')}:2:7`), issue?.message);
  });

  test('validate PATH... checks only the files given, reported by the paths given', async () => {
    const root = project(['valid/notes.yaml', 'invalid/filter-not-scalar.yaml']);
    mkdirSync(join(root, 'elsewhere'));
    cpSync(join(FIXTURES, 'invalid', 'path-reserved.yaml'), join(root, 'elsewhere', 'health.yaml'));

    const valid = await council(root, ['validate', 'automations/notes.yaml']);
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /^1 manifest\(s\) checked: 0 error\(s\)/m);

    const mixed = await council(root, ['validate', 'automations/notes.yaml', 'elsewhere/health.yaml', 'missing.yaml']);
    assert.equal(mixed.code, 1);
    assert.deepEqual(
      reported(mixed.stderr).map((i) => [i.file, i.line, i.col]),
      [
        ['elsewhere/health.yaml', 2, 7],
        ['missing.yaml', 1, 1],
      ],
    );
    assert.match(mixed.stderr, /^missing\.yaml:1:1: cannot read file \(ENOENT\)$/m);
    assert.match(mixed.stdout, /^3 manifest\(s\) checked: 2 error\(s\)/m);
  });

  test('an error inside a $ref-ed schema file is named relative like its manifest, and counts one manifest', async () => {
    const root = project(['invalid/schema-invalid-in-ref-file.yaml']);
    const run = await council(root, ['validate', 'automations/schema-invalid-in-ref-file.yaml']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^schemas\/bad-type\.schema\.yaml:5:11: /m);
    assert.match(run.stdout, /^1 manifest\(s\) checked: 1 error\(s\)/m);
  });

  test('a config error stops the command with exit 1 and FILE:LINE:COL', async () => {
    const root = project(['valid/notes.yaml']);
    writeFileSync(join(root, 'needs-env.yaml'), 'server:\n  host: ${COUNCIL_CLI_TEST_HOST}\n');
    const missingVar = await council(root, ['validate', '--config', 'needs-env.yaml']);
    assert.equal(missingVar.code, 1);
    assert.match(missingVar.stderr, /^needs-env\.yaml:2:9: environment variable COUNCIL_CLI_TEST_HOST is not set/m);
    assert.match(missingVar.stderr, /\n {4}host: \$\{COUNCIL_CLI_TEST_HOST\}\n {10}\^/, 'the source line and a caret follow');

    const missingFile = await council(root, ['validate', '--config', 'nope.yaml']);
    assert.equal(missingFile.code, 1);
    assert.match(missingFile.stderr, /^nope\.yaml:1:1: /m);
  });

  test('--format json, github and sarif report the same issues as the human format, paths relative to the working directory', async () => {
    const invalid = ['several-semantic-errors', 'filter-unknown-field'];
    const root = project(['valid/notes.yaml', ...invalid.map((f) => `invalid/${f}.yaml`)]);
    const human = await council(root, ['validate', '--no-store']);
    const expected = reported(human.stderr, true)
      .map((i) => `automations/${basename(i.file)}:${i.line}:${i.col}: ${i.message.replace(/^warning: /, '')}`)
      .sort();
    assert.ok(expected.length > 2, human.stderr);

    const json = await council(root, ['validate', '--no-store', '--format', 'json']);
    assert.equal(json.code, 1);
    const document = JSON.parse(json.stdout) as { files: number; errors: number; warnings: number; issues: Record<string, string>[] };
    assert.equal(document.files, 3);
    assert.equal(document.errors + document.warnings, expected.length);
    assert.deepEqual(document.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).sort(), expected);
    assert.ok(document.issues.every((i) => typeof i.code === 'string' && typeof i.pointer === 'string'));
    assert.match(json.stderr, /^3 manifest\(s\) checked: /m, 'the summary goes to stderr, so stdout is the document alone');

    const github = await council(root, ['validate', '--no-store', '--format', 'github']);
    assert.equal(github.code, 1);
    const annotations = github.stdout.split('\n').filter((line) => line.startsWith('::'));
    assert.equal(annotations.length, expected.length);
    for (const line of annotations)
      assert.match(line, /^::(error|warning) file=automations\/[\w.-]+\.yaml,line=\d+,col=\d+,title=[a-z-]+::\S/);
    assert.match(github.stdout, /^3 manifest\(s\) checked: /m);

    const sarif = await council(root, ['validate', '--no-store', '--format', 'sarif']);
    assert.equal(sarif.code, 1);
    const log = JSON.parse(sarif.stdout) as SarifLog;
    assert.equal(log.version, '2.1.0');
    const [run] = log.runs;
    const results = run?.results ?? [];
    assert.deepEqual(
      results
        .map((r) => {
          const where = r.locations?.[0]?.physicalLocation;
          return `${where?.artifactLocation?.uri}:${where?.region?.startLine}:${where?.region?.startColumn}: ${r.message.text}`;
        })
        .sort(),
      expected,
    );
    for (const result of results) assert.equal(run?.tool.driver.rules?.[result.ruleIndex ?? -1]?.id, result.ruleId);
  });

  test('--format github annotates a config error too; an unknown format is a usage error', async () => {
    const root = project(['valid/notes.yaml']);
    writeFileSync(join(root, 'broken.yaml'), 'server:\n  port: [1, 2]\n');
    const run = await council(root, ['validate', '--config', 'broken.yaml', '--format', 'github']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^::error file=broken\.yaml,line=2,col=\d+,title=[a-z-]+::/m);
    const unknown = await council(root, ['validate', '--format', 'xml']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--format takes human, json, github, sarif; got "xml"/);
  });
});

describe('GitHub workflow commands', () => {
  test('escape %, CR and LF in the message, and : and , in properties too', () => {
    const line = githubCommand({
      code: 'yaml-syntax',
      severity: 'warning',
      file: 'automations/a,b:c%.yaml',
      line: 3,
      col: 7,
      pointer: '',
      message: '50% done: line one\r\nline two',
    });
    assert.equal(line, '::warning file=automations/a%2Cb%3Ac%25.yaml,line=3,col=7,title=yaml-syntax::50%25 done: line one%0D%0Aline two');
  });
});

describe('council serve', () => {
  /** A port some other process holds, for as long as the test runs. */
  async function occupiedPort(): Promise<{ port: number; release: () => Promise<void> }> {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
  }

  test('a port in use is one line that says what to do, exit 1; an empty PORT falls back to the config port', async () => {
    const { port, release } = await occupiedPort();
    try {
      const root = project(['valid/notes.yaml']);
      writeFileSync(join(root, 'council.config.yaml'), `server:\n  port: ${port}\n  host: 127.0.0.1\n`);
      const run = await council(root, ['serve', '--data', join(root, 'data')], { PORT: '' });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        run.stderr.trim().split('\n').at(-1),
        `council serve: cannot listen on 127.0.0.1:${port}: the port is already in use; stop the other server or pick another port with --port or PORT`,
      );
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await release();
    }
  });

  test('--no-watch ignores saves until SIGHUP reloads everything; the first start prints an admin key once', async () => {
    const root = project(['valid/notes.yaml']);
    writeFileSync(join(root, 'council.config.yaml'), 'server:\n  port: 0\n  host: 127.0.0.1\n');
    const child = spawn(process.execPath, [BIN, 'serve', '--no-watch', '--data', join(root, 'data')], { cwd: root, env });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    try {
      const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const found = /serving \d+ automation\(s\) at (\S+)/.exec(out);
          const key = /^ {4}(ck_[0-9A-Za-z]{32}_[0-9A-Za-z]{6})$/m.exec(out);
          if (found?.[1] && key?.[1]) resolve({ url: found[1], key: key[1] });
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const logged = logLines(out);
      assert.ok(logged.length > 0, out);
      assert.ok(
        !stderr.includes(key) && !logged.some((line) => JSON.stringify(line).includes(key)),
        'the key is printed in the start-up list, never logged',
      );
      const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal((await fetch(`${url}/notes`)).status, 401, 'locked without the key');
      const notes = join(root, 'automations', 'notes.yaml');
      writeFileSync(notes, readFileSync(notes, 'utf8').replace(/^name: notes$/m, 'name: memos'));
      assert.equal(inotifyInstances(child.pid as number), 0, 'not watching: no file watch at all');
      assert.equal((await get('/notes')).status, 200, 'the old version serves');
      child.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      // The admin key (scope *) is good for the renamed automation too.
      while ((await get('/memos')).status !== 200) {
        assert.ok(Date.now() < deadline, 'SIGHUP did not reload');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal((await get('/notes')).status, 404);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  test('a PORT or --port that is not a port is a usage error (exit 2) naming where it came from', async () => {
    const root = project();
    // The config does not read PORT here, so the command line check is the one that speaks.
    writeFileSync(join(root, 'council.config.yaml'), 'server:\n  host: 127.0.0.1\n');
    const fromEnv = await council(root, ['serve'], { PORT: 'eighty' });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /^council serve: PORT must be an integer from 0 to 65535, got "eighty"$/m);
    const fromFlag = await council(root, ['serve', '--port', '1e3']);
    assert.equal(fromFlag.code, 2);
    assert.match(fromFlag.stderr, /^council serve: --port must be an integer from 0 to 65535, got "1e3"$/m);
  });
});

describe('council serve: nothing to serve, and where the data lives', () => {
  test('an empty automations folder is a warning in the log, the start-up list and /health; a manifest saved then serves', async () => {
    const root = project();
    writeFileSync(join(root, 'council.config.yaml'), 'server:\n  port: 0\n  host: 127.0.0.1\n');
    const served = await serveProcess(['--data', 'data'], { cwd: root, env });
    try {
      const warning =
        'no manifest (*.yaml, *.yml) in automations: nothing to serve; add one (council new NAME writes one): it is served as soon as it is saved';
      assert.ok(served.output().includes(`\n  warning: ${warning}\n`), served.output());
      assert.ok(
        logLines(served.output()).some((line) => line.level === 'warn' && line.msg === warning),
        'logged',
      );
      const health = (await (await fetch(`${served.url}/health`)).json()) as { status: string; warnings?: string[] };
      assert.equal(health.status, 'degraded');
      assert.deepEqual(health.warnings, ['no automation is loaded: the automations folder has no manifest (*.yaml)']);
      cpSync(join(FIXTURES, 'valid', 'notes.yaml'), join(root, 'automations', 'notes.yaml'));
      const deadline = Date.now() + 20_000;
      for (;;) {
        const now = (await (await fetch(`${served.url}/health`)).json()) as { status: string; warnings?: string[] };
        if (now.status === 'ok') {
          assert.equal(now.warnings, undefined);
          break;
        }
        assert.ok(Date.now() < deadline, 'the saved manifest serves');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // What the --no-watch test counts: a watching server holds a watch.
      assert.ok(inotifyInstances(served.child.pid as number) >= 1);
    } finally {
      await served.stop();
    }
  });

  test('a missing or empty automations folder is an error with --strict or NODE_ENV=production: one line, exit 1, nothing started', async () => {
    const root = project();
    writeFileSync(join(root, 'council.config.yaml'), 'server:\n  port: 0\n  host: 127.0.0.1\n');
    const empty = await council(root, ['serve', '--strict', '--data', 'data']);
    assert.equal(empty.code, 1);
    assert.equal(
      empty.stderr,
      'council serve: no manifest (*.yaml, *.yml) in automations: nothing to serve, and --strict refuses to start so; add one (council new NAME writes one)\n',
    );
    const production = await council(root, ['serve', '--data', 'data'], { NODE_ENV: 'production' });
    assert.equal(production.code, 1);
    assert.equal(production.stderr, empty.stderr);
    const missing = await council(root, ['serve', '--strict', '--automations', 'nowhere', '--data', 'data']);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      'council serve: no automations folder at nowhere: nothing to serve, and --strict refuses to start so; point --automations (or automations: in the config) at your manifests, or create one with council new NAME and restart\n',
    );
    assert.equal(existsSync(join(root, 'data')), false, 'no store, no lock: nothing was started');
  });

  test("the start-up list names where each automation's data actually lives, never a URL", async () => {
    // The shipped project, as `npm start` serves it: no MONGODB_URL, OPENSEARCH_URL, DYNAMODB_ENDPOINT.
    const root = mkdtempSync(join(tmpdir(), 'council-cli-'));
    projects.push(root);
    cpSync(fileURLToPath(new URL('../automations', import.meta.url)), join(root, 'automations'), { recursive: true });
    cpSync(fileURLToPath(new URL('../council.config.yaml', import.meta.url)), join(root, 'council.config.yaml'));
    const bare = { ...env, HOST: '127.0.0.1', REDIS_URL: '', MONGODB_URL: '', OPENSEARCH_URL: '', DYNAMODB_ENDPOINT: '' };
    const served = await serveProcess(['--port', '0'], { cwd: root, env: bare });
    try {
      const where = (name: string) =>
        new RegExp(`^  ${served.url}/${name} {2}\\((.*); automations/${name}\\.yaml\\)$`, 'm').exec(served.output())?.[1];
      assert.equal(where('accounts'), 'postgres: embedded PGlite in .council/data');
      assert.equal(where('customer-profiles'), 'mongodb → memory: MONGODB_URL not set, lost on restart');
      assert.equal(where('help-articles'), 'opensearch → memory: OPENSEARCH_URL not set, lost on restart');
      assert.equal(where('sessions'), 'redis → memory: REDIS_URL not set, lost on restart');
      assert.equal(where('shopping-carts'), 'dynamodb → memory: DYNAMODB_ENDPOINT not set, lost on restart');
      assert.equal(where('notes'), 'memory: in this process, lost on restart');
    } finally {
      await served.stop();
    }
  });

  test('a store server is named by host and port only, never its URL or password', { skip: pg.skip }, async () => {
    const root = project(['valid/notes.yaml']);
    const url = new URL(pg.url);
    if (!url.password) url.password = 'never-shown';
    writeFileSync(
      join(root, 'council.config.yaml'),
      `server:\n  port: 0\n  host: 127.0.0.1\nconnections:\n  notesdb:\n    backend: postgres\n    url: \${NOTES_DB}\n`,
    );
    writeFileSync(
      join(root, 'automations', 'notes.yaml'),
      readFileSync(join(root, 'automations', 'notes.yaml'), 'utf8').replace('backend: memory', 'backend: postgres\n  connection: notesdb'),
    );
    const served = await serveProcess(['--data', 'data'], { cwd: root, env: { ...env, NOTES_DB: url.href } });
    try {
      assert.match(
        served.output(),
        new RegExp(`/notes {2}\\(postgres: server ${url.host.replace(/\./g, '\\.')}; automations/notes\\.yaml\\)$`, 'm'),
      );
      assert.ok(!served.output().includes(url.password), 'the password never shows');
    } finally {
      await served.stop();
    }
  });
});

describe('council keys create', () => {
  test('warns about scopes that name no automation or that no endpoint needs, and still makes the key', async () => {
    const root = project(['valid/tickets.yaml']);
    const run = await council(root, [
      'keys',
      'create',
      '--name',
      'typo',
      '--scopes',
      'tickts:read,tickets:frob,tickets:read',
      '--data',
      'data',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ck_\S+\n$/);
    const warnings = run.stderr.split('\n').filter((l) => l.includes('warning'));
    assert.deepEqual(warnings, [
      'council keys: warning: scope "tickts:read" names no automation (did you mean "tickets:read"?); the key is made anyway',
      'council keys: warning: scope "tickets:frob" grants nothing: no endpoint of tickets needs it (they need tickets:read, tickets:write, tickets:delete); the key is made anyway',
    ]);
    const clean = await council(root, ['keys', 'create', '--name', 'fine', '--scopes', 'tickets:read,tickets:*,*', '--data', 'data']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.doesNotMatch(clean.stderr, /warning/);
    const noted = await council(root, [
      'keys',
      'create',
      '--name',
      'noted',
      '--scopes',
      'tickets:read',
      '--note',
      'For the weekly report.',
      '--data',
      'data',
    ]);
    assert.equal(noted.code, 0, noted.stderr);
    const listed = await council(root, ['keys', 'list', '--data', 'data']);
    assert.match(listed.stdout, /"noted" {2}\(For the weekly report\.\) {2}tickets:read/);
    const long = await council(root, [
      'keys',
      'create',
      '--name',
      'wordy',
      '--scopes',
      'tickets:read',
      '--note',
      'x'.repeat(501),
      '--data',
      'data',
    ]);
    assert.equal(long.code, 2);
    assert.match(long.stderr, /--note takes at most 500 characters/);
  });

  test('with a server running, the server checks the scopes against what it serves (the CLI loads no manifest)', async () => {
    const root = project(['valid/tickets.yaml']);
    writeFileSync(join(root, 'council.config.yaml'), 'server:\n  port: 0\n  host: 127.0.0.1\n');
    const served = await serveProcess(['--data', 'data'], { cwd: root, env });
    try {
      // Pointed at an empty folder, a CLI that loaded manifests itself would find none to check against.
      mkdirSync(join(root, 'elsewhere'));
      const args = [
        'keys',
        'create',
        '--name',
        'typo',
        '--scopes',
        'tickts:read,tickets:read',
        '--data',
        'data',
        '--automations',
        'elsewhere',
      ];
      const run = await council(root, args);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^ck_\S+\n$/);
      assert.deepEqual(
        run.stderr.split('\n').filter((l) => l.includes('warning')),
        ['council keys: warning: scope "tickts:read" names no automation (did you mean "tickets:read"?); the key is made anyway'],
      );
    } finally {
      await served.stop();
    }
  });
});

describe('council new', { concurrency: true }, () => {
  test('creates automations/NAME.yaml that validates, and never overwrites it', async () => {
    const root = project();
    const file = join(root, 'automations', 'tickets.yaml');
    const created = await council(root, ['new', 'tickets', '--backend', 'memory']);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(existsSync(file));
    assert.match(readFileSync(file, 'utf8'), /^name: tickets\b/m);
    assert.match(readFileSync(file, 'utf8'), /^ {2}backend: memory\b/m);

    const validated = await council(root, ['validate']);
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, /^1 manifest\(s\) checked: 0 error\(s\), 0 warning\(s\)/m, 'the scaffold passes the GPT profile too');

    // Its starter tests beside it, which pass on the scaffold as written.
    const tests = join(root, 'automations', 'tickets.test.yaml');
    assert.match(created.stdout, /created .*tickets\.test\.yaml; run them with: council test /);
    const tested = await council(root, ['test']);
    assert.equal(tested.code, 0, tested.stdout);
    assert.match(tested.stdout, /^ok 1 - automations\/tickets\.test\.yaml: a ticket is created, read, updated, listed and deleted$/m);

    const edited = `${readFileSync(file, 'utf8')}# edited by hand\n`;
    writeFileSync(file, edited);
    writeFileSync(tests, `${readFileSync(tests, 'utf8')}# edited by hand\n`);
    const testsBefore = readFileSync(tests, 'utf8');
    const again = await council(root, ['new', 'tickets']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(readFileSync(file, 'utf8'), edited);
    assert.equal(readFileSync(tests, 'utf8'), testsBefore);
  });

  test('the redis scaffold validates too', async () => {
    const root = project();
    assert.equal((await council(root, ['new', 'chat-sessions', '--backend', 'redis'])).code, 0);
    assert.match(readFileSync(join(root, 'automations', 'chat-sessions.yaml'), 'utf8'), /^ {2}backend: redis\b/m);
    const validated = await council(root, ['validate']);
    assert.equal(validated.code, 0, validated.stderr);
  });

  test('the postgres scaffold validates too', async () => {
    const root = project();
    assert.equal((await council(root, ['new', 'support-tickets'])).code, 0);
    assert.match(readFileSync(join(root, 'automations', 'support-tickets.yaml'), 'utf8'), /^ {2}backend: postgres\b/m);
    const validated = await council(root, ['validate']);
    assert.equal(validated.code, 0, validated.stderr);
    // Its starter tests pass on embedded PGlite.
    const tested = await council(root, ['test']);
    assert.equal(tested.code, 0, tested.stdout);
  });

  test('--reference scaffolds a field that refers to another automation, declared under references:', async () => {
    const root = project();
    assert.equal((await council(root, ['new', 'accounts', '--backend', 'memory'])).code, 0);
    const created = await council(root, ['new', 'tickets', '--backend', 'memory', '--reference', 'account=accounts']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, '', 'accounts exists: no note');
    const text = readFileSync(join(root, 'automations', 'tickets.yaml'), 'utf8');
    assert.match(text, /^references:\n {2}account: \{field: accountId, automation: accounts\}/m);
    assert.match(text, /^ {4}accountId:\n {6}type: string\n {6}format: uuid\b/m);
    const validated = await council(root, ['validate']);
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, /^2 manifest\(s\) checked: 0 error\(s\), 0 warning\(s\)/m, 'the GPT profile too');
    const ahead = await council(root, ['new', 'orders', '--backend', 'memory', '--reference', 'customer=customers,account=accounts']);
    assert.equal(ahead.code, 0, ahead.stderr);
    assert.match(ahead.stderr, /no manifest in .* is named "customers" yet; validate reports reference-unknown/);
    assert.doesNotMatch(ahead.stderr, /"accounts"/);
    const bad = await council(root, ['new', 'notes', '--reference', 'Account=accounts']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--reference takes RELATION=AUTOMATION/);
    assert.equal(existsSync(join(root, 'automations', 'notes.yaml')), false);
  });

  test('a bad name or backend is a usage error (exit 2) and creates nothing', async () => {
    const root = project();
    const badName = await council(root, ['new', 'Bad_Name']);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /usage: council new NAME/);
    const badBackend = await council(root, ['new', 'tickets', '--backend', 'mongo']);
    assert.equal(badBackend.code, 2);
    const noName = await council(root, ['new']);
    assert.equal(noName.code, 2);
    assert.deepEqual(readdirSync(join(root, 'automations')), []);
  });
});

describe('council (no command, unknown command, help)', { concurrency: true }, () => {
  test('an unknown command says so and suggests the closest, exit 2', async () => {
    const root = project();
    const typo = await council(root, ['valdiate']);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr.trim(), 'council: unknown command "valdiate" (did you mean "validate"?); council help lists the commands');
    const far = await council(root, ['frobnicate']);
    assert.equal(far.code, 2);
    assert.equal(far.stderr.trim(), 'council: unknown command "frobnicate"; council help lists the commands');
    const option = await council(root, ['--config', 'x.yaml', 'validate']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /^council: unknown option --config before the command; options go after it/);
  });

  test('no command prints the commands on stderr, exit 2; --help and help print them on stdout, exit 0', async () => {
    const root = project();
    const none = await council(root, []);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^usage: council COMMAND \[OPTIONS\]$/m);
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await council(root, args);
      assert.equal(run.code, 0, args.join(' '));
      for (const name of Object.keys(commands))
        assert.match(run.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `${args.join(' ')} lists ${name}`);
    }
  });

  test('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-v', 'version']) {
      const run = await council(project(), [flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `${version}\n`);
    }
  });

  test('council help COMMAND and COMMAND --help print the usage and explain every option the command takes', async () => {
    const root = project();
    for (const [name, spec] of Object.entries(commands)) {
      const help = await council(root, ['help', name]);
      assert.equal(help.code, 0, name);
      assert.equal((await council(root, [name, '--help'])).stdout, help.stdout, `${name} --help is council help ${name}`);
      assert.ok(help.stdout.includes(`usage: ${usageLine(name, spec)}\n`), help.stdout);
      for (const [flag, option] of Object.entries(spec.options)) {
        const line = help.stdout
          .split('\n')
          .find((l) => l.includes(`--${flag}${option.value ? ` ${option.value}` : ''}   `) || l.endsWith(`--${flag}`));
        assert.ok(line, `council help ${name} lists --${flag}:\n${help.stdout}`);
        assert.ok(option.description.length > 20, `--${flag} of ${name} is explained`);
        assert.ok(help.stdout.replace(/\s+/g, ' ').includes(option.description), `council help ${name} explains --${flag}`);
      }
    }
    const unknown = await council(root, ['help', 'serv']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "serv" \(did you mean "serve"\?\)/);
  });

  test('an option typo gets a suggestion in one line of our own, never parseArgs text, exit 2', async () => {
    const root = project();
    const cases: [string[], string][] = [
      [['validate', '--profil', 'gpt'], 'council validate: unknown option --profil (did you mean --profile?)'],
      [['serve', '--prot', '8080'], 'council serve: unknown option --prot (did you mean --port?)'],
      [['migrate', '--dryrun'], 'council migrate: unknown option --dryrun (did you mean --dry-run?)'],
      [['keys', 'list', '--dta', 'x'], 'council keys: unknown option --dta (did you mean --data?)'],
      [['serve', '--port'], 'council serve: --port needs a value: --port N'],
      [
        ['serve', '--port', '--no-watch'],
        'council serve: --port needs a value: --port N (a value that starts with "-" goes after "=": --port=--no-watch)',
      ],
      [['migrate', '--dry-run=yes'], 'council migrate: --dry-run takes no value (got "yes")'],
      [['types', 'out'], 'council types: unexpected argument "out": council types takes options only'],
      [['keys', 'lsit'], 'council keys: "lsit" is not one (did you mean "list"?); say create, list or revoke'],
    ];
    for (const [args, first] of cases) {
      const run = await council(root, args);
      assert.equal(run.code, 2, args.join(' '));
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines[0], first);
      assert.match(lines[1] as string, new RegExp(`^usage: council ${args[0]} `));
      assert.equal(lines[2], `council help ${args[0]} explains each option`);
      assert.doesNotMatch(run.stderr, /ERR_PARSE_ARGS|To specify a positional argument|Unknown option '/);
    }
    const elsewhere = await council(root, ['validate', '--port', '8080']);
    assert.equal(elsewhere.code, 2);
    assert.match(
      elsewhere.stderr,
      /^council validate: unknown option --port; --port is an option of council serve; council validate takes --profile, /,
    );
  });

  test('the options a usage line lists are accepted', async () => {
    const root = project(['valid/notes.yaml']);
    const help = await council(root, ['validate', '--help']);
    assert.match(
      help.stdout,
      /^usage: council validate \[PATH\.\.\.\] \[--profile gpt\] \[--no-store\] \[--format human\|json\|github\|sarif\] \[--config FILE\] \[--automations DIR\] \[--data DIR\]$/m,
    );
    const validated = await council(root, [
      'validate',
      '--format',
      'human',
      '--config',
      'council.config.yaml',
      '--automations',
      'automations',
      '--data',
      'data',
    ]);
    assert.equal(validated.code, 0, validated.stderr);
    const created = await council(root, [
      'new',
      'orders',
      '--backend',
      'memory',
      '--config',
      'council.config.yaml',
      '--automations',
      'automations',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(existsSync(join(root, 'automations', 'orders.yaml')));
  });
});

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string }>>;
}

const operationIds = (doc: OpenApiDocument) =>
  Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => (op.operationId ? [op.operationId] : [])));

describe('council openapi', { concurrency: true }, () => {
  test('--out FILE writes an OpenAPI 3.1 document of every automation (exit 0)', async () => {
    const root = project(VALID);
    const run = await council(root, ['openapi', '--out', 'openapi.json']);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as OpenApiDocument;
    assert.equal(doc.openapi, '3.1.0');
    const ids = operationIds(doc);
    for (const id of [
      'listTickets',
      'getTicket',
      'createTicket',
      'updateTicket',
      'replaceTicket',
      'deleteTicket',
      'listContacts',
      'getPerson',
      'listNotes',
    ]) {
      assert.ok(ids.includes(id), `no operation ${id} in ${ids.join(', ')}`);
    }
    assert.equal(new Set(ids).size, ids.length, 'operation ids repeat');
  });

  test('without --out the document goes to stdout', async () => {
    const run = await council(project(['valid/tickets.yaml']), ['openapi']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as OpenApiDocument).openapi, '3.1.0');
  });

  test('exits 1 when a manifest is invalid, and still writes the document of the valid ones', async () => {
    const root = project(['valid/tickets.yaml', 'invalid/sort-unknown-field.yaml', 'invalid/connection-unknown.yaml']);
    const run = await council(root, ['openapi', '--out', 'openapi.json']);
    assert.equal(run.code, 1);
    assert.deepEqual(positions(reported(run.stderr)), [...expectedFor('sort-unknown-field'), ...expectedFor('connection-unknown')].sort());
    const doc = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as OpenApiDocument;
    assert.deepEqual(operationIds(doc).sort(), [
      'createTicket',
      'deleteTicket',
      'getTicket',
      'listTickets',
      'replaceTicket',
      'updateTicket',
    ]);
  });
});

describe('council types', { concurrency: true }, () => {
  test('--out DIR writes DIR/<name>.ts with exported interfaces for each automation (exit 0)', async () => {
    const root = project(VALID);
    const run = await council(root, ['types', '--out', 'generated/types']);
    assert.equal(run.code, 0, run.stderr);
    const dir = join(root, 'generated', 'types');
    assert.deepEqual(readdirSync(dir).sort(), ['articles.ts', 'contacts.ts', 'notes.ts', 'people.ts', 'tickets.ts']);
    const tickets = readFileSync(join(dir, 'tickets.ts'), 'utf8');
    assert.match(tickets, /^export interface Ticket\b/m);
    assert.match(tickets, /^export interface TicketInput\b/m);
    assert.match(
      tickets,
      /Generated by theCouncil from automations\/tickets\.yaml\./,
      'the banner names the manifest relative to the project',
    );
    assert.ok(!tickets.includes(root), 'no absolute path of the checkout in generated files');
    assert.match(readFileSync(join(dir, 'people.ts'), 'utf8'), /^export interface Person\b/m);
  });

  test('exits 1 when a manifest is invalid, writing the types of the valid ones only', async () => {
    const root = project(['valid/notes.yaml', 'invalid/connection-unknown.yaml']);
    const run = await council(root, ['types', '--out', 'types']);
    assert.equal(run.code, 1);
    assert.deepEqual(positions(reported(run.stderr)), expectedFor('connection-unknown'));
    assert.deepEqual(readdirSync(join(root, 'types')), ['notes.ts']);
  });
});
