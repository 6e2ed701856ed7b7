import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../engine/server/listen.ts';
import { ConsoleClient, createUser, signedInUser } from '../support/console-client.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from '../support/project.ts';

/**
 * Editing automations in the console over real HTTP: the engine's own checks before
 * anything is written (errors at file:line:col), atomic saves that only replace the text
 * the editor opened (a change on disk meanwhile is refused, not lost), what serves after,
 * a new automation from the form, editors limited to some automations, and the
 * read-only (GitOps) mode that writes nothing.
 */
const TICKETS = `# Support tickets. Owned by the support team; ask in #support before changing.
name: tickets
description: Support tickets for the console edit tests.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200, description: One-line summary. }   # shown in lists
    status: { type: string, enum: [open, done] }
endpoints:
  - { operation: list, filters: [status] }
  - operation: get
  - operation: create
`;
const NOTES = `name: notes
description: Notes for the console edit tests.
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 500 }
endpoints:
  - operation: list
`;
const PASSWORD = 'correct horse battery staple';

describe('editing automations in the console', () => {
  let project: TestProject;
  let server: RunningServer;
  let editor: ConsoleClient;
  let limited: ConsoleClient;
  const file = () => join(project.automations, 'tickets.yaml');
  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS, 'notes.yaml': NOTES });
    server = await startServer(project, {
      audit: { enabled: true },
      server: { ...project.config().server, trustedProxies: ['127.0.0.1'] },
    });
    editor = await signedInUser(server, 'eve@example.com', 'editor', PASSWORD);
    limited = await signedInUser(server, 'lim@example.com', 'editor', PASSWORD, ['tickets']);
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  /** The editor's form fields on the page just read. */
  const fields = (text: string) => ({
    base: /name="base" value="([^"]*)"/.exec(text)?.[1] ?? '',
    yaml: decode(/<textarea id="yaml"[^>]*>([\s\S]*?)<\/textarea>/.exec(text)?.[1] ?? ''),
  });

  it('checks a broken text with the engine and shows each error at its line; saving it is refused and the file is kept', async () => {
    const opened = await editor.get('/console/automations/tickets/edit');
    assert.equal(opened.status, 200);
    const { base, yaml } = fields(opened.text);
    assert.equal(yaml, TICKETS, 'the editor holds the file as it is');
    const broken = yaml.replace('maxLength: 200', 'maxLength: two hundred').replace('filters: [status]', 'filters: [statuz]');
    const checked = await editor.post('/console/automations/tickets/edit', { yaml: broken, base, step: 'check' });
    assert.equal(checked.status, 200);
    assert.match(checked.text, /automations\/tickets\.yaml:9:\d+<\/code>: [^<]*maxLength/);
    assert.match(checked.text, /automations\/tickets\.yaml:12:\d+<\/code>: [^<]*statuz/);
    assert.doesNotMatch(checked.text, /value="save"/, 'no Save button while it has errors');
    assert.match(checked.text, /<span class="del">- {4}title: \{ type: string, maxLength: 200/);
    const saved = await editor.post('/console/automations/tickets/edit', { yaml: broken, base, step: 'save' });
    assert.equal(saved.status, 422);
    assert.match(saved.text, /Not saved: the engine would refuse this text/);
    assert.equal(readFileSync(file(), 'utf8'), TICKETS);
  });

  it('checks a text as one types (the editor script asks), answering the issues as JSON; the script is bundled from the installed CodeMirror', async (t) => {
    const { base, yaml } = fields((await editor.get('/console/automations/tickets/edit')).text);
    assert.ok(base);
    const live = await editor.post('/console/automations/tickets/check', { yaml: yaml.replace('maxLength: 200', 'maxLength: -1') });
    assert.equal(live.status, 200);
    assert.match(live.headers.get('content-type') ?? '', /^application\/json/);
    const { issues } = JSON.parse(live.text) as { issues: { line: number; col: number; severity: string; message: string }[] };
    assert.ok(
      issues.some((i) => i.line === 9 && i.severity === 'error' && /maxLength/.test(i.message)),
      live.text,
    );
    const clean = JSON.parse((await editor.post('/console/automations/tickets/check', { yaml })).text);
    assert.deepEqual(clean.issues, []);
    const page = await editor.get('/console/automations/tickets/edit');
    const src = /<script src="(\/console\/assets\/yaml-editor\.js\?v=[0-9a-f]{12})" defer=""><\/script>/.exec(page.text)?.[1];
    assert.ok(src, 'the editor page loads the editor script');
    assert.match(page.text, /data-style-nonce="([^"]+)"/);
    const nonce = /data-style-nonce="([^"]+)"/.exec(page.text)?.[1] as string;
    assert.ok(page.headers.get('content-security-policy')?.includes(`style-src 'self' 'nonce-${nonce}'`));
    const began = performance.now();
    const script = await editor.get(src);
    t.diagnostic(
      `yaml-editor.js: ${Math.round(script.text.length / 1024)} KiB, first answer (bundled then) in ${Math.round(performance.now() - began)} ms`,
    );
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(script.text, /cm-content/);
    assert.doesNotMatch(script.text, /https?:\/\/(cdn|unpkg|esm\.sh)/);
  });

  it('saves a good edit atomically, keeps the comments, and the new version serves at once', async () => {
    const { base, yaml } = fields((await editor.get('/console/automations/tickets/edit')).text);
    // As a browser sends a textarea: CRLF line ends. The file keeps LF.
    const edited = yaml.replace('maxLength: 200', 'maxLength: 80').replace(/\n/g, '\r\n');
    const checked = await editor.post('/console/automations/tickets/edit', { yaml: edited, base, step: 'check' });
    assert.match(checked.text, /The engine accepts this text/);
    assert.match(checked.text, /value="save"/);
    const saved = await editor.post('/console/automations/tickets/edit', { yaml: edited, base, step: 'save' });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, '/console/automations/tickets?saved=updated');
    const onDisk = readFileSync(file(), 'utf8');
    assert.equal(onDisk, TICKETS.replace('maxLength: 200', 'maxLength: 80'));
    assert.match(onDisk, /^# Support tickets\. Owned by the support team/, 'the comments are the ones the editor kept');
    const page = await editor.get(saved.location);
    assert.match(page.text, /Saved\. The engine loaded it/);
    assert.match(page.text, /maxLength 80/);
    const tooLong = await call(server.url, 'POST', '/tickets', { title: 'x'.repeat(81) }, { authorization: `Bearer ${await adminKey()}` });
    assert.equal(tooLong.status, 422, 'the API already holds records to the new bound');
  });

  it('refuses to write over a file that changed on disk since it was opened, and loses neither', async () => {
    const { base, yaml } = fields((await editor.get('/console/automations/tickets/edit')).text);
    const pulled = yaml.replace('One-line summary.', 'One-line summary (from git).');
    writeFileSync(file(), pulled);
    const mine = yaml.replace('enum: [open, done]', 'enum: [open, waiting, done]');
    const refused = await editor.post('/console/automations/tickets/edit', { yaml: mine, base, step: 'save' });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /changed on disk since you opened it/);
    assert.match(
      refused.text,
      /<span class="del">- {4}title: \{ type: string, maxLength: 80, description: One-line summary \(from git\)\./,
    );
    assert.equal(readFileSync(file(), 'utf8'), pulled, 'what git wrote is kept');
    assert.equal(fields(refused.text).yaml, mine, 'what the editor typed is still in the page');
    // Saving again, having seen the diff, replaces it on purpose.
    const again = await editor.post('/console/automations/tickets/edit', { yaml: mine, base: fields(refused.text).base, step: 'save' });
    assert.equal(again.status, 303);
    assert.equal(readFileSync(file(), 'utf8'), mine);
  });

  it('makes a new automation from the form, through the same checks, and it serves', async () => {
    const form = await editor.get('/console/new');
    assert.equal(form.status, 200);
    const preview = await editor.post(
      '/console/new',
      {
        name: 'orders',
        description: 'Customer orders the support assistant looks up.',
        connection: 'memory',
        'field-0-name': 'customer',
        'field-0-type': 'string',
        'field-0-required': 'yes',
        'field-0-description': 'Who ordered: "name <email>".',
        'field-1-name': 'total',
        'field-1-type': 'number',
        'field-1-minimum': '0',
        'field-2-name': 'state',
        'field-2-enum': 'new, paid, shipped',
        operations: ['list', 'get', 'create'],
        filters: 'state',
        sort: 'total, createdAt',
        public: 'no',
      },
      {},
    );
    assert.equal(preview.status, 200, preview.text.slice(0, 500));
    assert.match(preview.text, /The engine accepts this text/);
    const { yaml } = fields(preview.text);
    assert.match(yaml, /^name: orders # served under \/orders/m);
    assert.match(yaml, /description: 'Who ordered: "name <email>"\.'/, 'quoted as YAML needs');
    assert.match(yaml, /enum: \[new, paid, shipped\]/);
    const saved = await editor.post('/console/new/yaml', { yaml, base: '', step: 'save' });
    assert.equal(saved.status, 303, saved.text.slice(0, 500));
    assert.equal(saved.location, '/console/automations/orders?saved=loaded');
    assert.equal(readFileSync(join(project.automations, 'orders.yaml'), 'utf8'), yaml);
    const created = await call(
      server.url,
      'POST',
      '/orders',
      { customer: 'Ann', total: 12.5, state: 'paid' },
      { authorization: `Bearer ${await adminKey()}` },
    );
    assert.equal(created.status, 201);
    // The same name again is refused before anything is written.
    const twice = await editor.post('/console/new/yaml', { yaml, base: '', step: 'save' });
    assert.equal(twice.status, 422);
    assert.match(twice.text, /automations\/orders\.yaml already exists/);
  });

  it('says what is wrong with a form, keeping what was typed', async () => {
    const answer = await editor.post('/console/new', { name: 'Bad Name', description: 'short', connection: 'memory', 'field-0-name': 'x' });
    assert.equal(answer.status, 422);
    assert.match(answer.text, /the name is lowercase letters/);
    assert.match(answer.text, /the description says in a sentence/);
    assert.match(answer.text, /choose at least one operation/);
    assert.match(answer.text, /name="name" [^>]*value="Bad Name"/);
  });

  it('an editor limited to some automations edits only those, and adds none', async () => {
    assert.equal((await limited.get('/console/automations/tickets/edit')).status, 200);
    const other = await limited.get('/console/automations/notes/edit');
    assert.equal(other.status, 403);
    assert.match(other.text, /you may edit tickets, not notes/);
    assert.equal((await limited.post('/console/automations/notes/edit', { yaml: NOTES, base: '', step: 'save' })).status, 403);
    assert.equal((await limited.get('/console/new')).status, 403);
    assert.equal(
      (await limited.post('/console/new/yaml', { yaml: NOTES.replace('name: notes', 'name: notes-two'), step: 'save' })).status,
      403,
    );
    // Nor can it turn its automation into another one.
    const { base, yaml } = fields((await limited.get('/console/automations/tickets/edit')).text);
    const renamed = await limited.post('/console/automations/tickets/edit', {
      yaml: yaml.replace('name: tickets', 'name: notes-three'),
      base,
      step: 'save',
    });
    assert.equal(renamed.status, 422);
    assert.match(
      renamed.text,
      /you may not edit an automation named &quot;notes-three&quot;|you may not edit an automation named "notes-three"/,
    );
    assert.ok(!existsSync(join(project.automations, 'notes-two.yaml')));
  });

  it('audits each save with the user as actor', async () => {
    await server.engine.audit.flush();
    const audit = await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server));
    const lines = (audit.json.data as { actor: string; action: string; automation?: string; detail?: string }[]).map(
      (e) => `${e.actor} ${e.action} ${e.automation} ${e.detail}`,
    );
    assert.ok(lines.includes('user:eve@example.com manifest.edit tickets automations/tickets.yaml'), lines.join('\n'));
    assert.ok(lines.includes('user:eve@example.com manifest.create orders automations/orders.yaml'), lines.join('\n'));
  });

  let key: string | undefined;
  async function adminKey(): Promise<string> {
    key ??= (await call(server.url, 'POST', '/admin/keys', { name: 'edit tests', scopes: ['*'] }, adminHeaders(server))).json.secret;
    return key as string;
  }
});

describe('a read-only console (console.mode: readonly)', () => {
  it('writes nothing, and ends every edit in the YAML and its diff', async () => {
    const project = makeProject({ 'tickets.yaml': TICKETS });
    const server = await startServer(project, { console: { mode: 'readonly' } });
    try {
      const made = await createUser(server, 'eve@example.com', 'editor');
      const eve = new ConsoleClient(server.url);
      await eve.signIn(made.email, made.password, PASSWORD);
      const opened = await eve.get('/console/automations/tickets/edit');
      assert.match(opened.text, /This console is read-only/);
      const base = /name="base" value="([^"]*)"/.exec(opened.text)?.[1] ?? '';
      const edited = TICKETS.replace('maxLength: 200', 'maxLength: 80');
      const checked = await eve.post('/console/automations/tickets/edit', { yaml: edited, base, step: 'check' });
      assert.doesNotMatch(checked.text, /value="save"/, 'no Save button');
      assert.match(checked.text, /--- a\/automations\/tickets\.yaml/);
      assert.match(checked.text, /<span class="add">\+ {4}title: \{ type: string, maxLength: 80/);
      const saved = await eve.post('/console/automations/tickets/edit', { yaml: edited, base, step: 'save' });
      assert.equal(saved.status, 200);
      assert.match(saved.text, /Nothing was written \(read-only console\)/);
      assert.equal(readFileSync(join(project.automations, 'tickets.yaml'), 'utf8'), TICKETS);
      // The diff is one `git apply` takes: applied to the file in a clone, it gives the edited text.
      const diff = decode((/<pre class="diff">([\s\S]*?)<\/pre>/.exec(saved.text)?.[1] ?? '').replace(/<\/?span[^>]*>/g, ''));
      const clone = mkdtempSync(join(tmpdir(), 'council-git-'));
      try {
        mkdirSync(join(clone, 'automations'));
        writeFileSync(join(clone, 'automations', 'tickets.yaml'), TICKETS);
        writeFileSync(join(clone, 'change.diff'), diff);
        const applied = spawnSync('git', ['apply', 'change.diff'], { cwd: clone, encoding: 'utf8' });
        assert.equal(applied.status, 0, applied.stderr);
        assert.equal(readFileSync(join(clone, 'automations', 'tickets.yaml'), 'utf8'), edited);
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    } finally {
      await server.close();
      project.remove();
    }
  });
});

function decode(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('configuring an automation with the form', () => {
  it('fills the form from the manifest, and turns a change into edits of only its lines, comments kept', async () => {
    const project = makeProject({ 'tickets.yaml': TICKETS });
    const server = await startServer(project);
    try {
      const eve = await signedInUser(server, 'eve@example.com', 'editor', PASSWORD);
      const form = await eve.get('/console/automations/tickets/configure');
      assert.equal(form.status, 200);
      assert.match(form.text, /name="field-0-name"[^>]*value="title"/);
      assert.match(form.text, /name="field-0-maxLength"[^>]*value="200"/);
      assert.match(form.text, /name="field-1-enum"[^>]*value="open, done"/);
      assert.match(form.text, /value="create" checked=""/);
      // As the browser would send it back, with three changes: a shorter title, status required, and a new field.
      const answer = await eve.post('/console/automations/tickets/configure', {
        description: 'Support tickets for the console edit tests.',
        connection: 'memory',
        'field-0-name': 'title',
        'field-0-type': 'string',
        'field-0-required': 'yes',
        'field-0-maxLength': '60',
        'field-0-description': 'One-line summary.',
        'field-1-name': 'status',
        'field-1-type': 'string',
        'field-1-required': 'yes',
        'field-1-enum': 'open, done',
        'field-2-name': 'due',
        'field-2-type': 'string',
        'field-2-maxLength': '10',
        'field-3-name': '',
        operations: ['list', 'get', 'create'],
        filters: 'status',
        sort: '',
        search: '',
        public: 'no',
        rateRequests: '',
        ratePerSeconds: '',
      });
      assert.equal(answer.status, 200, answer.text.slice(0, 800));
      assert.match(answer.text, /The engine accepts this text/);
      const diff = decode((/<pre class="diff">([\s\S]*?)<\/pre>/.exec(answer.text)?.[1] ?? '').replace(/<\/?span[^>]*>/g, ''));
      const changedLines = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
      assert.deepEqual(changedLines, [
        '-  required: [title]',
        '+  required: [title, status]',
        '-    title: { type: string, maxLength: 200, description: One-line summary. }   # shown in lists',
        '+    title: { type: string, maxLength: 60, description: One-line summary. }   # shown in lists',
        '+    due:',
        '+      type: string',
        '+      maxLength: 10',
      ]);
      const base = /name="base" value="([^"]*)"/.exec(answer.text)?.[1] ?? '';
      const yaml = decode(/<textarea id="yaml"[^>]*>([\s\S]*?)<\/textarea>/.exec(answer.text)?.[1] ?? '');
      const saved = await eve.post('/console/automations/tickets/edit', { yaml, base, step: 'save' });
      assert.equal(saved.status, 303);
      const onDisk = readFileSync(join(project.automations, 'tickets.yaml'), 'utf8');
      assert.match(onDisk, /^# Support tickets\. Owned by the support team; ask in #support before changing\.$/m);
      assert.match(onDisk, /# shown in lists$/m);
      const nothing = await eve.post('/console/automations/tickets/configure', {
        description: 'Support tickets for the console edit tests.',
        connection: 'memory',
        'field-0-name': 'title',
        'field-0-type': 'string',
        'field-0-required': 'yes',
        'field-0-maxLength': '60',
        'field-0-description': 'One-line summary.',
        'field-1-name': 'status',
        'field-1-type': 'string',
        'field-1-required': 'yes',
        'field-1-enum': 'open, done',
        'field-2-name': 'due',
        'field-2-type': 'string',
        'field-2-maxLength': '10',
        operations: ['list', 'get', 'create'],
        filters: 'status',
        public: 'no',
      });
      assert.match(nothing.text, /The form changes nothing in the file/);
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('what a save does to stored data (PostgreSQL)', () => {
  it('shows the statements a save would run, and refuses one that would lose stored values, at its field', async () => {
    const NOTES_PG = `name: pgnotes
description: Notes on PostgreSQL for the console edit tests.
storage: { backend: postgres }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 500 }
    mood: { type: string, maxLength: 20 }
endpoints:
  - operation: list
  - operation: create
`;
    const project = makeProject({ 'pgnotes.yaml': NOTES_PG });
    const server = await startServer(project);
    try {
      const key = (await call(server.url, 'POST', '/admin/keys', { name: 'pg', scopes: ['*'] }, adminHeaders(server))).json.secret;
      const created = await call(server.url, 'POST', '/pgnotes', { text: 'hello', mood: 'good' }, { authorization: `Bearer ${key}` });
      assert.equal(created.status, 201);
      const made = await createUser(server, 'eve@example.com', 'editor');
      const eve = new ConsoleClient(server.url);
      await eve.signIn(made.email, made.password, PASSWORD);
      const base = /name="base" value="([^"]*)"/.exec((await eve.get('/console/automations/pgnotes/edit')).text)?.[1] ?? '';
      const added = await eve.post('/console/automations/pgnotes/edit', {
        yaml: NOTES_PG.replace('    mood:', '    topic: { type: string, maxLength: 40 }\n    mood:'),
        base,
        step: 'check',
      });
      assert.match(added.text, /What saving does to stored data/);
      assert.match(added.text, /<code>ALTER TABLE[^<]*ADD COLUMN[^<]*topic[^<]*<\/code>/i);
      const dropped = await eve.post('/console/automations/pgnotes/edit', {
        yaml: NOTES_PG.replace(/ {4}mood:.*\n/, ''),
        base,
        step: 'save',
      });
      assert.equal(dropped.status, 422, 'a change the store would refuse is not written');
      assert.match(dropped.text, /automations\/pgnotes\.yaml:\d+:\d+<\/code>: [^<]*mood/);
      assert.equal(readFileSync(join(project.automations, 'pgnotes.yaml'), 'utf8'), NOTES_PG);
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('GitOps: a branch instead of a write, and read-only by itself under git-sync', () => {
  const git = (cwd: string, ...args: string[]) => {
    const done = spawnSync('git', args, { cwd, encoding: 'utf8' });
    assert.equal(done.status, 0, `git ${args.join(' ')}: ${done.stderr}`);
    return done.stdout.trim();
  };

  it('commits a checked change to a new branch, leaving the work tree, its index and HEAD as they were', async () => {
    const project = makeProject({ 'tickets.yaml': TICKETS });
    git(project.root, 'init', '-q', '-b', 'main');
    git(project.root, 'config', 'user.name', 'Ops');
    git(project.root, 'config', 'user.email', 'ops@example.com');
    git(project.root, 'add', 'automations');
    git(project.root, 'commit', '-q', '-m', 'tickets');
    const head = git(project.root, 'rev-parse', 'HEAD');
    const server = await startServer(project, { audit: { enabled: true }, console: { mode: 'readonly' } });
    try {
      const made = await createUser(server, 'eve@example.com', 'editor');
      const eve = new ConsoleClient(server.url);
      await eve.signIn(made.email, made.password, PASSWORD);
      const base = /name="base" value="([^"]*)"/.exec((await eve.get('/console/automations/tickets/edit')).text)?.[1] ?? '';
      const edited = TICKETS.replace('maxLength: 200', 'maxLength: 80');
      const checked = await eve.post('/console/automations/tickets/edit', { yaml: edited, base, step: 'check' });
      assert.match(checked.text, /value="branch"/, 'git is here with an author: a branch is offered');
      const committed = await eve.post('/console/automations/tickets/edit', { yaml: edited, base, step: 'branch' });
      assert.equal(committed.status, 200);
      const branch = /on the new branch (council\/tickets-\d{14})/.exec(committed.text)?.[1];
      assert.ok(branch, committed.text.slice(0, 1500));
      assert.equal(git(project.root, 'show', `${branch}:automations/tickets.yaml`), edited.trimEnd());
      assert.equal(git(project.root, 'rev-parse', `${branch}~1`), head, 'the branch is one commit on HEAD');
      assert.match(
        git(project.root, 'log', '-1', '--format=%an <%ae>%n%B', branch),
        /^Ops <ops@example\.com>\nChange automations\/tickets\.yaml\n\nWritten in the console by eve@example\.com\./,
      );
      assert.equal(git(project.root, 'rev-parse', 'HEAD'), head);
      assert.equal(git(project.root, 'status', '--porcelain', '--', 'automations'), '', 'the work tree and index are untouched');
      assert.equal(readFileSync(join(project.automations, 'tickets.yaml'), 'utf8'), TICKETS);
    } finally {
      await server.close();
      project.remove();
    }
  });

  it('auto mode is read-only when the automations folder is a git-sync checkout, and writes otherwise', async () => {
    const project = makeProject({});
    const worktree = join(project.root, 'sync', '.worktrees', 'abc123');
    mkdirSync(join(worktree, 'automations'), { recursive: true });
    writeFileSync(join(worktree, 'automations', 'tickets.yaml'), TICKETS);
    symlinkSync(join('.worktrees', 'abc123'), join(project.root, 'sync', 'current'));
    const synced = await startServer(project, {
      automations: join(project.root, 'sync', 'current', 'automations'),
      console: { mode: 'auto' },
    });
    try {
      const made = await createUser(synced, 'eve@example.com', 'editor');
      const eve = new ConsoleClient(synced.url);
      await eve.signIn(made.email, made.password, PASSWORD);
      assert.match((await eve.get('/console/automations/tickets/edit')).text, /This console is read-only/);
    } finally {
      await synced.close();
    }
    project.write('tickets.yaml', TICKETS);
    const plain = await startServer(project, { console: { mode: 'auto' } });
    try {
      const otto = await signedInUser(plain, 'otto@example.com', 'editor', PASSWORD);
      assert.doesNotMatch((await otto.get('/console/automations/tickets/edit')).text, /This console is read-only/);
    } finally {
      await plain.close();
      project.remove();
    }
  });
});
