import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import type { CouncilConfig } from '../../engine/config/config.ts';
import { loadConfig } from '../../engine/config/load.ts';
import type { Logger } from '../../engine/log.ts';
import { listen, type RunningServer } from '../../engine/server/listen.ts';
import { type ConsoleClient, signedInUser } from '../support/console-client.ts';
import { adminHeaders, call, makeProject, type TestProject } from '../support/project.ts';

/**
 * `console.mode: push` (documents/deploy.md, "Console edits in a fleet"), with real git and
 * real HTTP: a bare repository is the remote, a clone of it is the project served (watched).
 * A console save commits the checked file on top of the remote branch and pushes it, with
 * the console user as author; the served folder changes only when a `git pull` (git-sync's
 * stand-in) brings the commit back, and then the engine serves it. A text the engine refuses,
 * a file changed on the branch since it was opened and a push beaten by another are
 * handled without pushing anything unchecked; over HTTP with a password in the remote's
 * URL (the documented config, as printed), the password shows in no page, log or audit entry.
 */
const TICKETS = `name: tickets
description: Support tickets for the console push tests.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200 }
endpoints:
  - operation: list
  - operation: create
`;
const NOTES = `name: notes
description: Notes for the console push tests.
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 500 }
endpoints:
  - operation: list
`;
const PASSWORD = 'correct horse battery staple';
/** Who makes the commits that are not the console's (the seed, "someone else"). */
const OPS = {
  GIT_AUTHOR_NAME: 'Ops',
  GIT_AUTHOR_EMAIL: 'ops@example.com',
  GIT_COMMITTER_NAME: 'Ops',
  GIT_COMMITTER_EMAIL: 'ops@example.com',
};

function git(cwd: string, ...args: string[]): string {
  const done = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...OPS } });
  assert.equal(done.status, 0, `git ${args.join(' ')}: ${done.stderr}`);
  return done.stdout.trim();
}

/** A bare repository `remote.git` on branch main holding automations/, a clone of it served, and a clone for someone else. */
function gitProject(): { project: TestProject; remote: string; checkout: string; other: string } {
  const project = makeProject({});
  const remote = join(project.root, 'remote.git');
  git(project.root, 'init', '-q', '--bare', '-b', 'main', remote);
  const other = join(project.root, 'other');
  git(project.root, 'clone', '-q', remote, other);
  git(other, 'checkout', '-q', '-b', 'main');
  git(other, 'config', 'pull.rebase', 'false');
  mkdirSync(join(other, 'automations'));
  writeFileSync(join(other, 'automations', 'tickets.yaml'), TICKETS);
  writeFileSync(join(other, 'automations', 'notes.yaml'), NOTES);
  git(other, 'add', 'automations');
  git(other, 'commit', '-q', '-m', 'tickets and notes');
  git(other, 'push', '-q', 'origin', 'main');
  const checkout = join(project.root, 'checkout');
  git(project.root, 'clone', '-q', remote, checkout);
  return { project, remote, checkout, other };
}

/** Someone else changes `file` in their clone and pushes it. */
function pushFromOther(other: string, file: string, edit: (text: string) => string): void {
  git(other, 'pull', '-q', 'origin', 'main');
  const path = join(other, 'automations', file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  git(other, 'commit', '-q', '-am', `someone else changes ${file}`);
  git(other, 'push', '-q', 'origin', 'main');
}

/** Every line the engine logged, with its fields written out (errors with their stack and cause). */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${fields ? inspect(fields, { depth: 8 }) : ''}`);
  };
  return { lines, info: record('info'), warn: record('warn'), error: record('error') };
}

/**
 * The console section of the config example a document shows (the first group of `block`),
 * written to a config file as printed (unindented) and loaded as `council serve` loads one.
 */
function documentedIn(document: string, block: RegExp, folder: string, env: NodeJS.ProcessEnv): CouncilConfig['console'] {
  const text = readFileSync(new URL(`../../documents/${document}`, import.meta.url), 'utf8');
  const example = block.exec(text)?.[1];
  assert.ok(example, `${document} has the example`);
  const indent = /^ */.exec(example)?.[0].length ?? 0;
  const file = join(folder, 'council.config.yaml');
  writeFileSync(file, example.replace(new RegExp(`^ {${indent}}`, 'gm'), ''));
  const loaded = loadConfig(file, env);
  assert.deepEqual(loaded.issues, [], `the example of ${document} loads`);
  return loaded.config?.console as CouncilConfig['console'];
}

const field = (text: string, name: 'base') => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1] ?? '';
const committed = (text: string) =>
  /Committed ([0-9a-f]{12}) \(author ([^)]+)\) and pushed it to (.+?)(, on top of [^.]+)?\. The files here are unchanged/.exec(text);
/** The page's notices, as text. */
const notices = (text: string) => [...text.matchAll(/<div class="notice[^"]*"[^>]*>([\s\S]*?)<\/div>/g)].map((m) => m[1]).join('\n');

describe('console.mode: push, to a bare repository the served clone came from', () => {
  let repo: ReturnType<typeof gitProject>;
  let server: RunningServer;
  let eve: ConsoleClient;
  const logger = recordingLogger();
  const served = (file: string) => readFileSync(join(repo.checkout, 'automations', file), 'utf8');
  const head = () => git(repo.remote, 'rev-parse', 'main');
  before(async () => {
    repo = gitProject();
    const config = repo.project.config({
      automations: join(repo.checkout, 'automations'),
      audit: { enabled: true },
      console: documentedIn('console.md', /\*\*Push \(fleet\) mode\*\*[\s\S]*?```yaml\n([\s\S]*?)```/, repo.project.root, {}),
    });
    assert.deepEqual(config.console, { mode: 'push', git: { remote: 'origin', branch: 'main' } });
    server = await listen(config, logger, { watch: { debounceMs: 20 } });
    eve = await signedInUser(server, 'eve@example.com', 'editor', PASSWORD);
  });
  after(async () => {
    await server.close();
    repo.project.remove();
  });

  it('pushes a checked edit on top of the branch, with the console user as author; the served folder waits for a pull, then serves it', async () => {
    const opened = await eve.get('/console/automations/tickets/edit');
    assert.match(opened.text, /Saving commits this file and pushes it to <code>origin\/main<\/code>/);
    const edited = TICKETS.replace('maxLength: 200', 'maxLength: 80');
    const checked = await eve.post('/console/automations/tickets/edit', { yaml: edited, base: field(opened.text, 'base'), step: 'check' });
    assert.match(checked.text, /<button type="submit" name="step" value="save">Save \(commit and push\)<\/button>/);
    const before = head();
    const saved = await eve.post('/console/automations/tickets/edit', { yaml: edited, base: field(opened.text, 'base'), step: 'save' });
    assert.equal(saved.status, 200, saved.text.slice(0, 1500));
    const [, commit, author, target] = committed(saved.text) ?? [];
    assert.equal(author, 'eve@example.com');
    assert.equal(target, 'origin/main');
    assert.match(saved.text, /every instance, this one too, picks it up when git-sync pulls/);
    // On the remote: the edited text, one commit on what the branch held, by eve.
    assert.equal(head().slice(0, 12), commit);
    assert.equal(git(repo.remote, 'rev-parse', 'main~1'), before);
    assert.equal(git(repo.remote, 'show', 'main:automations/tickets.yaml'), edited.trimEnd());
    assert.deepEqual(git(repo.remote, 'diff-tree', '--no-commit-id', '--name-only', '-r', 'main').split('\n'), [
      'automations/tickets.yaml',
    ]);
    assert.match(
      git(repo.remote, 'log', '-1', '--format=%an <%ae>%n%B', 'main'),
      /^eve@example\.com <eve@example\.com>\nChange automations\/tickets\.yaml\n\nWritten in the console by eve@example\.com\./,
    );
    // Here: nothing written, the checkout as it was, the old version serving.
    assert.equal(served('tickets.yaml'), TICKETS);
    assert.equal(git(repo.checkout, 'status', '--porcelain'), '');
    assert.equal(git(repo.checkout, 'rev-parse', 'HEAD'), before);
    const key = (await call(server.url, 'POST', '/admin/keys', { name: 'push', scopes: ['*'] }, adminHeaders(server))).json.secret;
    const long = { title: 'x'.repeat(81) };
    assert.equal((await call(server.url, 'POST', '/tickets', long, { authorization: `Bearer ${key}` })).status, 201);
    // git-sync's part: a pull in the checkout. The engine watches the folder and serves the new bound.
    git(repo.checkout, 'pull', '-q', '--ff-only');
    assert.equal(served('tickets.yaml'), edited);
    const deadline = Date.now() + 10_000;
    let status = 201;
    while (status !== 422 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await call(server.url, 'POST', '/tickets', long, { authorization: `Bearer ${key}` })).status;
    }
    assert.equal(status, 422, 'after the pull, the engine holds titles to 80 characters');
    await server.engine.audit.flush();
    const audit = await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server));
    const lines = (audit.json.data as { actor: string; action: string; outcome: string; detail?: string }[]).map(
      (e) => `${e.actor} ${e.action} ${e.outcome} ${e.detail}`,
    );
    assert.ok(lines.includes(`user:eve@example.com manifest.push ok origin/main ${commit}`), lines.join('\n'));
  });

  it('pushes a new automation as a new file, and writes nothing in the folder', async () => {
    const orders = NOTES.replace('name: notes', 'name: orders').replace('Notes for', 'Orders for');
    const saved = await eve.post('/console/new/yaml', { yaml: orders, base: '', step: 'save' });
    assert.equal(saved.status, 200, saved.text.slice(0, 1500));
    assert.ok(committed(saved.text), saved.text.slice(0, 1500));
    assert.equal(git(repo.remote, 'show', 'main:automations/orders.yaml'), orders.trimEnd());
    assert.match(git(repo.remote, 'log', '-1', '--format=%an%n%s', 'main'), /^eve@example\.com\nAdd automations\/orders\.yaml$/);
    assert.ok(!existsSync(join(repo.checkout, 'automations', 'orders.yaml')));
  });

  it('never pushes a text the engine refuses', async () => {
    const before = head();
    const base = field((await eve.get('/console/automations/notes/edit')).text, 'base');
    const saved = await eve.post('/console/automations/notes/edit', {
      yaml: NOTES.replace('maxLength: 500', 'maxLength: five hundred'),
      base,
      step: 'save',
    });
    assert.equal(saved.status, 422);
    assert.match(saved.text, /Not saved: the engine would refuse this text/);
    assert.equal(head(), before);
    assert.equal(served('notes.yaml'), NOTES);
  });

  it('pushes nothing over a file changed on the branch since it was opened: the diff from the branch, then Save again replaces it', async () => {
    const opened = await eve.get('/console/automations/notes/edit');
    pushFromOther(repo.other, 'notes.yaml', (text) => text.replace('Notes for the console push tests.', 'Notes, as someone else says.'));
    const theirs = head();
    const mine = NOTES.replace('maxLength: 500', 'maxLength: 400');
    const refused = await eve.post('/console/automations/notes/edit', { yaml: mine, base: field(opened.text, 'base'), step: 'save' });
    assert.equal(refused.status, 409);
    assert.match(notices(refused.text), /Not pushed: automations\/notes\.yaml is not what you opened on origin\/main/);
    assert.match(refused.text, /<span class="del">-description: Notes, as someone else says\.\n<\/span>/);
    assert.equal(head(), theirs, 'nothing pushed');
    const again = await eve.post('/console/automations/notes/edit', { yaml: mine, base: field(refused.text, 'base'), step: 'save' });
    assert.equal(again.status, 200, again.text.slice(0, 1500));
    assert.equal(git(repo.remote, 'rev-parse', 'main~1'), theirs);
    assert.equal(git(repo.remote, 'show', 'main:automations/notes.yaml'), mine.trimEnd());
  });
});

/**
 * A remote over HTTP as a hosting service serves one: `git http-backend` behind Basic
 * authentication. `beforePush` runs when a client that gave the password starts a push (its
 * request for the refs it would update), before the answer: where someone else's push lands
 * to race it.
 */
async function httpRemote(root: string, user: string, password: string): Promise<{ url: string; server: Server; beforePush: () => void }> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const remote = { url: '', server: undefined as unknown as Server, beforePush: () => {} };
  remote.server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://remote');
    if (url.pathname.endsWith('/info/refs') && url.searchParams.get('service') === 'git-receive-pack') remote.beforePush();
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : '');
    const backend = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: header('content-type'),
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        GIT_PROTOCOL: header('git-protocol'),
        HTTP_CONTENT_ENCODING: header('content-encoding'),
        ...(header('content-length') ? { CONTENT_LENGTH: header('content-length') } : {}),
      },
    });
    req.pipe(backend.stdin);
    const out: Buffer[] = [];
    backend.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    backend.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n');
      const headers = all.subarray(0, split).toString().split('\r\n');
      const status = Number(/^Status: (\d+)/m.exec(headers.join('\n'))?.[1] ?? 200);
      res.writeHead(
        status,
        Object.fromEntries(
          headers.filter((h) => !h.startsWith('Status:')).map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()]),
        ),
      );
      res.end(all.subarray(split + 4));
    });
  });
  await new Promise<void>((resolve) => remote.server.listen(0, '127.0.0.1', resolve));
  remote.url = `http://127.0.0.1:${(remote.server.address() as AddressInfo).port}`;
  return remote;
}

describe('console.mode: push over HTTP with a password in the URL (documents/deploy.md, as printed)', () => {
  const SECRET = 'pw-Zq81x-hunter2';
  let repo: ReturnType<typeof gitProject>;
  let remote: Awaited<ReturnType<typeof httpRemote>>;
  let server: RunningServer;
  let eve: ConsoleClient;
  const logger = recordingLogger();
  /** Every page the console answered in this suite. */
  const pages: string[] = [];
  const head = () => git(repo.remote, 'rev-parse', 'main');
  /** The `console:` section deploy.md shows, loaded as `council serve` loads a config, with COUNCIL_GIT_REMOTE set. */
  const documentedConsole = (remoteUrl: string) =>
    documentedIn('deploy.md', /### Console edits in a fleet[\s\S]*?```yaml\n([\s\S]*?)```/, repo.project.root, {
      COUNCIL_GIT_REMOTE: remoteUrl,
    });
  /** Opens tickets in the editor once git-sync has pulled what the branch holds, and saves `yaml`. */
  const save = async (yaml: string) => {
    git(repo.checkout, 'pull', '-q', '--ff-only');
    const opened = await eve.get('/console/automations/tickets/edit');
    const answer = await eve.post('/console/automations/tickets/edit', { yaml, base: field(opened.text, 'base'), step: 'save' });
    pages.push(opened.text, answer.text);
    return answer;
  };
  /** Every git command line the engine ran in this suite, as `ps` would have shown it. */
  let commandLines = '';
  const path = process.env.PATH;
  before(async () => {
    repo = gitProject();
    // A git first on PATH that writes down its arguments, then runs the real one.
    const bin = join(repo.project.root, 'bin');
    mkdirSync(bin);
    commandLines = join(repo.project.root, 'git-command-lines');
    const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${commandLines}'\nexec '${real}' "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    process.env.PATH = `${bin}:${path}`;
    remote = await httpRemote(repo.project.root, 'council', SECRET);
    const config = repo.project.config({
      automations: join(repo.checkout, 'automations'),
      audit: { enabled: true },
      console: documentedConsole(`http://council:${SECRET}@${remote.url.slice('http://'.length)}/remote.git`),
    });
    assert.deepEqual(config.console.git, { remote: `http://council:${SECRET}@${remote.url.slice(7)}/remote.git`, branch: 'main' });
    server = await listen(config, logger);
    eve = await signedInUser(server, 'eve@example.com', 'editor', PASSWORD);
  });
  after(async () => {
    process.env.PATH = path;
    await server.close();
    await new Promise((resolve) => remote.server.close(resolve));
    repo.project.remove();
  });

  it('pushes with the password; a push beaten by someone else is made again on top of theirs, once', async () => {
    let raced = 0;
    remote.beforePush = () => {
      if (raced++ === 0) pushFromOther(repo.other, 'notes.yaml', (text) => `${text}# someone else was here\n`);
    };
    const edited = TICKETS.replace('maxLength: 200', 'maxLength: 90');
    const saved = await save(edited);
    assert.equal(saved.status, 200, saved.text.slice(0, 1500));
    const [, commit, , target, meanwhile] = committed(saved.text) ?? [];
    assert.equal(target, `main of ${remote.url}/remote.git`, 'the target as shown: the URL without its credentials');
    assert.match(meanwhile ?? '', /on top of a commit someone pushed meanwhile/);
    assert.equal(raced, 2, 'two pushes: the one beaten, and the one on top');
    assert.equal(head().slice(0, 12), commit);
    assert.match(git(repo.remote, 'log', '-1', '--format=%s', 'main~1'), /someone else changes notes\.yaml/);
    assert.equal(git(repo.remote, 'show', 'main:automations/tickets.yaml'), edited.trimEnd());
    assert.match(git(repo.remote, 'show', 'main:automations/notes.yaml'), /# someone else was here$/, 'their change kept');
  });

  it('says so and pushes nothing when the branch moves again under the second try; never forces', async () => {
    remote.beforePush = () => pushFromOther(repo.other, 'notes.yaml', (text) => `${text}# and again\n`);
    const saved = await save(TICKETS.replace('maxLength: 200', 'maxLength: 70'));
    assert.equal(saved.status, 409);
    assert.match(
      notices(saved.text),
      /Not pushed: main of http:\/\/127\.0\.0\.1:\d+\/remote\.git moved again while this change was being pushed/,
    );
    assert.match(git(repo.remote, 'log', '-1', '--format=%an %s', 'main'), /^Ops someone else changes notes\.yaml$/);
    assert.doesNotMatch(git(repo.remote, 'show', 'main:automations/tickets.yaml'), /maxLength: 70/);
    remote.beforePush = () => {};
  });

  it('answers a clear error for a refused password, and the passwords show in no page, log line or audit entry', async () => {
    const wrong = 'pw-wrong-Yk42';
    const before = head();
    await server.engine.reloader.reconfigure({
      ...server.engine.reloader.config,
      console: { mode: 'push', git: { remote: `http://council:${wrong}@${remote.url.slice(7)}/remote.git`, branch: 'main' } },
    });
    const saved = await save(TICKETS.replace('maxLength: 200', 'maxLength: 60'));
    assert.equal(saved.status, 502);
    assert.match(
      saved.text,
      /Not pushed: git fetch: fatal: Authentication failed for &#39;http:\/\/127\.0\.0\.1:\d+\/remote\.git\/&#39;\. Nothing was written here\./,
    );
    assert.equal(head(), before);
    await server.engine.audit.flush();
    const audit = await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server));
    const entries = JSON.stringify(audit.json.data);
    assert.match(entries, /manifest\.push/);
    assert.ok(
      logger.lines.some((line) => line.startsWith('warn console: push failed') && line.includes('Authentication failed')),
      logger.lines.join('\n'),
    );
    const lines = readFileSync(commandLines, 'utf8');
    assert.match(lines, /^push --porcelain/m, 'the engine ran git through the recording one');
    for (const [where, text] of [
      ['git command lines (what ps shows every user of the machine)', lines],
      ['pages', pages.join('\n')],
      ['logs', logger.lines.join('\n')],
      ['audit', entries],
    ] as const) {
      for (const secret of [SECRET, wrong]) assert.ok(!text.includes(secret), `${where} hold a password`);
      assert.doesNotMatch(text, /council:[^@\s]*@/, `${where} hold a URL with credentials`);
    }
  });
});

describe('the config of console.mode: push', () => {
  const load = (text: string) => {
    const project = makeProject({});
    try {
      const file = join(project.root, 'council.config.yaml');
      writeFileSync(file, text);
      return loadConfig(file, {});
    } finally {
      project.remove();
    }
  };

  it('takes a branch, and origin as the remote unless told; refuses push without console.git, and console.git without push', () => {
    assert.deepEqual(load('console:\n  mode: push\n  git: { branch: main }\n').config?.console, {
      mode: 'push',
      git: { remote: 'origin', branch: 'main' },
    });
    const without = load('console:\n  mode: push\n').issues;
    assert.deepEqual(
      without.map((i) => [i.code, i.line, i.pointer]),
      [['config-invalid', 2, '/console/mode']],
    );
    assert.match(without[0]?.message ?? '', /console\.mode: push needs console\.git/);
    const stray = load('console:\n  mode: readonly\n  git: { branch: main }\n').issues;
    assert.deepEqual(
      stray.map((i) => [i.code, i.line, i.pointer]),
      [['config-invalid', 3, '/console/git']],
    );
    const unnamed = load('console:\n  mode: push\n  git: { remote: origin }\n').issues;
    assert.deepEqual(
      unnamed.map((i) => i.code),
      ['config-invalid'],
    );
    assert.match(unnamed[0]?.message ?? '', /branch/);
    assert.equal(load('console:\n  mode: push\n  git: { remote: --upload-pack=evil, branch: main }\n').issues[0]?.code, 'config-invalid');
  });
});
