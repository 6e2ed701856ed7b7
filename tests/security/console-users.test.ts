import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../engine/log.ts';
import { ConnectionPool } from '../../engine/registry/connections.ts';
import { SYSTEM_CONNECTION } from '../../engine/security/key-store.ts';
import { UserStore } from '../../engine/security/user-store.ts';
import { listen } from '../../engine/server/listen.ts';
import { runNode } from '../support/process.ts';
import { adminHeaders, call, makeProject, type TestProject } from '../support/project.ts';

const BIN = fileURLToPath(new URL('../../bin/council.mjs', import.meta.url));
// The system store is the embedded one whatever the caller's environment says.
const env = { ...process.env, DATABASE_URL: '', NODE_OPTIONS: '' };

const TICKETS = `name: tickets
description: Support tickets for the console users tests.
storage:
  backend: memory
schema:
  type: object
  properties:
    title: { type: string }
endpoints:
  - operation: list
`;

/** A project whose config says `dataDir: data`, and `council users ...` run on it (asynchronously: a server may run in this process). */
function usersProject(): { project: TestProject; council: (...args: string[]) => ReturnType<typeof runNode> } {
  const project = makeProject({ 'tickets.yaml': TICKETS });
  const file = join(project.root, 'council.config.yaml');
  writeFileSync(file, 'automations: automations\ndataDir: data\n');
  return { project, council: (...args) => runNode([BIN, 'users', ...args, '--config', file], { env }) };
}

/** The users store opened by the test itself, when no server holds it. */
async function withStore<T>(project: TestProject, use: (store: UserStore) => Promise<T>): Promise<T> {
  const config = project.config();
  const pool = new ConnectionPool(config.connections, config.dataDir);
  try {
    return await use(await UserStore.open(await pool.get(SYSTEM_CONNECTION)));
  } finally {
    await pool.closeAll();
  }
}

const ONE_TIME = /^[0-9A-Za-z]{20,}\n$/;

describe('council users without a server', () => {
  it('create prints a one-time password that verifies; list, disable and reset work; nothing shows a hash', async () => {
    const { project, council } = usersProject();
    try {
      const created = await council('create', '--email', ' Ann@Example.COM ', '--role', 'editor', '--can-edit', 'tickets,notes');
      assert.equal(created.status, 0, created.stderr);
      assert.match(created.stdout, ONE_TIME);
      assert.match(
        created.stderr,
        /created user ann@example\.com, editor of tickets,notes; .*shown only now and must be changed at first login/,
      );
      const password = created.stdout.trim();
      const viewer = await council('create', '--email', 'vic@example.com', '--role', 'viewer');
      assert.equal(viewer.status, 0, viewer.stderr);

      const listed = await council('list');
      assert.equal(listed.status, 0, listed.stderr);
      const lines = listed.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(
        lines[0] as string,
        /^ann@example\.com {2}editor {2}automations tickets,notes {2}one-time password {2}last login never {2}created /,
      );
      assert.match(lines[1] as string, /^vic@example\.com {2}viewer {2}automations - {2}one-time password /);
      assert.ok(!listed.stdout.includes('scrypt') && !listed.stdout.includes(password), 'list shows no hash or password');

      await withStore(project, async (store) => {
        const user = await store.verifyPassword('ANN@example.com', password);
        assert.equal(user?.email, 'ann@example.com');
        assert.deepEqual(user?.automations, ['tickets', 'notes']);
        assert.equal(user?.mustChangePassword, true);
        assert.equal(await store.verifyPassword('ann@example.com', `${password}x`), undefined);
        assert.equal(await store.verifyPassword('nobody@example.com', password), undefined);
      });

      const duplicate = await council('create', '--email', 'ANN@example.com', '--role', 'admin');
      assert.equal(duplicate.status, 1);
      assert.equal(duplicate.stderr, 'council users: a user with the email ann@example.com already exists; see council users list\n');

      const reset = await council('reset', 'ann@example.com');
      assert.equal(reset.status, 0, reset.stderr);
      assert.match(reset.stdout, ONE_TIME);
      assert.match(reset.stderr, /^new one-time password for ann@example\.com; it is shown only now and must be changed at first login\n$/);
      const newPassword = reset.stdout.trim();
      await withStore(project, async (store) => {
        assert.equal(await store.verifyPassword('ann@example.com', password), undefined, 'the old password no longer works');
        assert.equal((await store.verifyPassword('ann@example.com', newPassword))?.email, 'ann@example.com');
      });

      const disabled = await council('disable', 'Ann@example.com');
      assert.equal(disabled.status, 0, disabled.stderr);
      assert.equal(disabled.stdout, 'disabled ann@example.com (they can no longer log in)\n');
      assert.match((await council('list')).stdout, /^ann@example\.com {2}editor {2}automations tickets,notes {2}disabled 20\d\d-/m);
      await withStore(project, async (store) => {
        assert.equal(await store.verifyPassword('ann@example.com', newPassword), undefined, 'a disabled user cannot log in');
      });
      const resetDisabled = await council('reset', 'ann@example.com');
      assert.equal(resetDisabled.status, 0, resetDisabled.stderr);
      assert.match(resetDisabled.stderr, /\(the user stays disabled\)/);

      for (const action of ['disable', 'reset']) {
        const missing = await council(action, 'bob@example.com');
        assert.equal(missing.status, 1);
        assert.equal(missing.stderr, 'council users: no user has the email bob@example.com; see council users list\n');
      }

      const audit = await runNode([BIN, 'audit', '--config', join(project.root, 'council.config.yaml')], { env });
      assert.equal(audit.status, 0, audit.stderr);
      const entries = audit.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('  ').slice(1, 3).join(' '));
      assert.deepEqual(entries, ['cli user.reset', 'cli user.disable', 'cli user.reset', 'cli user.create', 'cli user.create']);
      assert.match(audit.stdout, /user\.create {2}- {2}ok {2}- {2}ann@example\.com editor tickets,notes/);
      for (const secret of [password, newPassword, 'scrypt']) assert.ok(!audit.stdout.includes(secret), 'no password or hash is audited');
    } finally {
      project.remove();
    }
  });

  it('a bad command line is a usage error in one sentence, exit 2, and changes nothing', async () => {
    const { project, council } = usersProject();
    try {
      const cases: [string[], string][] = [
        [['create', '--email', 'ann', '--role', 'admin'], 'council users: create: "ann" is not an email address (name@example.com)'],
        [
          ['create', '--email', 'ann@example.com', '--role', 'boss'],
          'council users: create: "boss" is not a role: say admin, editor, viewer',
        ],
        [['create', '--email', 'ann@example.com'], 'council users: create: a role is needed: say admin, editor, viewer'],
        [['create', '--role', 'admin'], 'council users: create: an email is needed, e.g. ann@example.com'],
        [
          ['create', '--email', 'ann@example.com', '--role', 'viewer', '--can-edit', 'tickets'],
          'council users: create: automations are for an editor only: an admin edits every automation, a viewer none',
        ],
        [
          ['create', '--email', 'ann@example.com', '--role', 'editor', '--can-edit', 'Tickets,ok'],
          'council users: create: automations are automation names, e.g. tickets,notes; not a name: Tickets',
        ],
        [['disable'], "council users: disable needs the user's email, e.g. council users disable ann@example.com"],
        [['reset', 'ann'], 'council users: "ann" is not an email address (name@example.com)'],
        [['disable', 'ann@example.com', '--role', 'admin'], 'council users: --role and --can-edit are for create only'],
        [['lsit'], 'council users: "lsit" is not one (did you mean "list"?); say create, list, disable or reset'],
      ];
      // At once: each is a process of its own that stops before opening any store.
      const runs = await Promise.all(cases.map(([args]) => council(...args)));
      for (const [i, [args, first]] of cases.entries()) {
        const run = runs[i] as Awaited<ReturnType<typeof council>>;
        assert.equal(run.status, 2, args.join(' '));
        assert.equal(run.stderr.split('\n')[0], first);
        assert.match(run.stderr.split('\n')[1] as string, /^usage: council users create\|list\|disable\|reset /);
      }
      assert.equal((await council('list')).stdout, '', 'nothing was created');
    } finally {
      project.remove();
    }
  });
});

describe('council users with a server running on the same data directory', () => {
  it('goes through /admin/users: the server holds the store, audits each change, and never answers a hash', async () => {
    const { project, council } = usersProject();
    const server = await listen(project.config({ audit: { enabled: true } }), silentLogger);
    try {
      const created = await council('create', '--email', 'eve@example.com', '--role', 'admin');
      assert.equal(created.status, 0, created.stderr);
      assert.match(created.stdout, ONE_TIME);
      const password = created.stdout.trim();
      const store = await UserStore.open(await server.engine.connections.get(SYSTEM_CONNECTION));
      assert.equal((await store.verifyPassword('eve@example.com', password))?.role, 'admin');

      const listed = await council('list');
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(listed.stdout, /^eve@example\.com {2}admin {2}automations all {2}one-time password {2}last login never /);
      const duplicate = await council('create', '--email', 'Eve@example.com', '--role', 'viewer');
      assert.equal(duplicate.status, 1);
      assert.equal(duplicate.stderr, 'council users: a user with the email eve@example.com already exists; see council users list\n');

      const reset = await council('reset', 'eve@example.com');
      assert.equal(reset.status, 0, reset.stderr);
      const newPassword = reset.stdout.trim();
      assert.equal(await store.verifyPassword('eve@example.com', password), undefined);
      assert.equal((await store.verifyPassword('eve@example.com', newPassword))?.email, 'eve@example.com');
      const disabled = await council('disable', 'eve@example.com');
      assert.equal(disabled.status, 0, disabled.stderr);
      assert.equal(await store.verifyPassword('eve@example.com', newPassword), undefined);
      assert.equal((await council('disable', 'bob@example.com')).status, 1);

      assert.equal((await call(server.url, 'GET', '/admin/users')).status, 401, 'the admin API is locked');
      const answered = await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server));
      assert.equal(answered.status, 200);
      assert.equal(answered.json.data.length, 1);
      assert.ok(!answered.text.includes('passwordHash') && !answered.text.includes('scrypt'), answered.text);
      const refused = await call(server.url, 'POST', '/admin/users', { email: 'x', role: 'owner' }, adminHeaders(server));
      assert.equal(refused.status, 422);
      assert.match(refused.json.detail, /"x" is not an email address .*; "owner" is not a role/);
      const conflict = await call(server.url, 'POST', '/admin/users', { email: 'EVE@example.com', role: 'viewer' }, adminHeaders(server));
      assert.equal(conflict.status, 409);

      await server.engine.audit.flush();
      const audit = await call(server.url, 'GET', '/admin/audit', undefined, adminHeaders(server));
      const users = (audit.json.data as { actor: string; action: string; detail?: string }[]).filter((e) => e.action.startsWith('user.'));
      assert.deepEqual(
        users.map((e) => `${e.actor} ${e.action} ${e.detail}`),
        ['cli user.disable eve@example.com', 'cli user.reset eve@example.com', 'cli user.create eve@example.com admin'],
      );
      for (const secret of [password, newPassword, 'scrypt']) assert.ok(!audit.text.includes(secret), 'no password or hash is audited');
    } finally {
      await server.close();
      project.remove();
    }
  });
});
