// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the config syntax under test
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/council.mjs', import.meta.url));
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

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/council.mjs ...args` in `cwd` and resolves with its exit code and output, whatever the code. */
function council(cwd: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extraEnv }, timeout: TIMEOUT }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

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
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    try {
      const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const found = /serving \d+ automation\(s\) at (\S+)/.exec(out);
          const key = /^ {4}(ck_[0-9A-Za-z]{32}_[0-9A-Za-z]{6})$/m.exec(out);
          if (found?.[1] && key?.[1]) resolve({ url: found[1], key: key[1] });
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      assert.ok(!stderr.includes(key), 'the key is printed on the terminal, never logged');
      const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal((await fetch(`${url}/notes`)).status, 401, 'locked without the key');
      const notes = join(root, 'automations', 'notes.yaml');
      writeFileSync(notes, readFileSync(notes, 'utf8').replace(/^name: notes$/m, 'name: memos'));
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal((await get('/notes')).status, 200, 'not watching: the old version serves');
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

    const edited = `${readFileSync(file, 'utf8')}# edited by hand\n`;
    writeFileSync(file, edited);
    const again = await council(root, ['new', 'tickets']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(readFileSync(file, 'utf8'), edited);
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
  test('an unknown command exits 2 with the usage', async () => {
    const run = await council(project(), ['frobnicate']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^usage:/);
    assert.match(run.stderr, /council validate/);
  });

  test('no command exits 2; --help exits 0', async () => {
    const root = project();
    assert.equal((await council(root, [])).code, 2);
    assert.equal((await council(root, ['--help'])).code, 0);
    assert.equal((await council(root, ['validate', '--help'])).code, 0);
  });

  test('an unknown option is a usage error (exit 2)', async () => {
    const run = await council(project(), ['validate', '--frobnicate']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /usage: council validate/);
    const serveOnly = await council(project(), ['validate', '--data', 'somewhere']);
    assert.equal(serveOnly.code, 2, '--data belongs to serve alone');
  });

  test('the options a usage line lists are accepted', async () => {
    const root = project(['valid/notes.yaml']);
    const help = await council(root, ['validate', '--help']);
    assert.match(help.stderr, /^usage: council validate \[PATH\.\.\.\] \[--profile gpt\] \[--config FILE\] \[--automations DIR\]$/m);
    const validated = await council(root, ['validate', '--config', 'council.config.yaml', '--automations', 'automations']);
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
