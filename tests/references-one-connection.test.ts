import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectionSettings } from '../adapters/types.ts';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

/**
 * References between automations whose tables share one PostgreSQL connection
 * (storage.md "References across stores"): `?expand=` on a list reads the page and the
 * referred records in one statement (a join), answering what the same list answers when
 * the referred automation is elsewhere; a delete that cascades and clears runs in one
 * transaction, so a failure at its last step changes nothing, where across connections
 * the same failure leaves the ordered, resumable result. On embedded PGlite and on the
 * PostgreSQL server.
 */
const manifest = (name: string, storage: string, references: string, properties: string, extra = '') => `name: ${name}
description: ${name} of the support desk.
access: { public: true }
storage: ${storage}
${references ? `references:\n${references}` : ''}
schema:
  type: object
  required: [name]
  properties:
    name: { type: string, maxLength: 100 }
${properties}
endpoints:
  - operation: list${extra}
  - operation: get
  - operation: create
  - operation: delete
`;
const ON = (connection: string) => `{ backend: postgres, connection: ${connection} }`;
const MEMORY = '{ backend: memory }';
const ref = (name: string, field: string, automation: string, onDelete: string) =>
  `  ${name}: { field: ${field}, automation: ${automation}, onDelete: ${onDelete} }\n`;
const uuid = (field: string) => `    ${field}: { type: string, format: uuid }`;
const TICKET_FIELDS = `${uuid('accountId')}\n    status: { type: string, enum: [open, closed] }`;
const TICKET_LIST = '\n    filters: [status]\n    sort: [name]';

/**
 * Three sets of automations: on one connection (`db`); the same with the accounts (and
 * their owners) on memory, for expand; and accounts on `db` with what refers to them on
 * `db2`, another connection, for deletes across connections.
 */
const MANIFESTS = {
  'users.yaml': manifest('users', ON('db'), '', ''),
  'accounts.yaml': manifest('accounts', ON('db'), ref('owner', 'ownerId', 'users', 'setNull'), uuid('ownerId')),
  'tickets.yaml': manifest('tickets', ON('db'), ref('account', 'accountId', 'accounts', 'setNull'), TICKET_FIELDS, TICKET_LIST),
  'projects.yaml': manifest('projects', ON('db'), ref('account', 'accountId', 'accounts', 'cascade'), uuid('accountId')),
  'tasks.yaml': manifest('tasks', ON('db'), ref('project', 'projectId', 'projects', 'cascade'), uuid('projectId')),
  'musers.yaml': manifest('musers', MEMORY, '', ''),
  'maccounts.yaml': manifest('maccounts', MEMORY, ref('owner', 'ownerId', 'musers', 'setNull'), uuid('ownerId')),
  'mtickets.yaml': manifest('mtickets', ON('db'), ref('account', 'accountId', 'maccounts', 'setNull'), TICKET_FIELDS, TICKET_LIST),
  'xaccounts.yaml': manifest('xaccounts', ON('db'), '', ''),
  'xtickets.yaml': manifest('xtickets', ON('db2'), ref('account', 'accountId', 'xaccounts', 'setNull'), TICKET_FIELDS, TICKET_LIST),
  'xprojects.yaml': manifest('xprojects', ON('db2'), ref('account', 'accountId', 'xaccounts', 'cascade'), uuid('accountId')),
  'xtasks.yaml': manifest('xtasks', ON('db2'), ref('project', 'projectId', 'xprojects', 'cascade'), uuid('projectId')),
};

/** Runs SQL on the database behind connection `db` while no engine has it open. */
type Sql = (connection: 'db' | 'db2', text: string) => Promise<void>;

const REFUSE = `create or replace function council_test_refuse() returns trigger language plpgsql as $$
  begin raise exception 'refused by the test'; end $$`;

function runOneConnectionSuite(
  name: string,
  connections: Record<string, Omit<ConnectionSettings, 'name'>>,
  sql: (project: TestProject) => Sql,
  options: { readonly skip: string | false; readonly shared: boolean },
) {
  describe(`references on one connection: ${name}`, { skip: options.skip }, () => {
    let project: TestProject;
    let server: RunningServer;
    let run: Sql;
    const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body);
    const created = async (path: string, body: Record<string, unknown>): Promise<string> => {
      const answer = await api('POST', path, body);
      assert.equal(answer.status, 201, JSON.stringify(answer.json));
      return answer.json.data.id;
    };
    const start = async () => {
      server = await listen(project.config({ audit: { enabled: true } }), silentLogger);
    };
    /** Stops the engine, runs `text` on the database of `connection`, starts the engine again. */
    const offline = async (connection: 'db' | 'db2', text: string) => {
      await server.close();
      await run(connection, text);
      await start();
    };
    const storeCalls = async () => {
      const metrics = (await call(server.url, 'GET', '/metrics', undefined, adminHeaders(server))).text;
      const count = (method: string) =>
        Number(new RegExp(`council_store_calls_total\\{connection="db",method="${method}",outcome="ok"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
      return { list: count('list'), listWith: count('listWith'), getMany: count('getMany'), get: count('get') };
    };

    before(async () => {
      project = makeProject(MANIFESTS, connections);
      run = sql(project);
      // The server's database outlives the file's runs: its tables start empty.
      if (options.shared) await run('db', 'drop schema if exists public cascade; create schema public');
      await start();
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it('expand on a list reads the page and the referred records in one statement, answering what it answers across stores', async () => {
      const labels = new Map<string, string>();
      for (const prefix of ['', 'm']) {
        const users = [await created(`/${prefix}users`, { name: 'Ada' }), await created(`/${prefix}users`, { name: 'Grace' })];
        const accounts: string[] = [];
        for (let i = 0; i < 5; i++) {
          const id = await created(`/${prefix}accounts`, { name: `Account ${i}`, ...(i < 4 ? { ownerId: users[i % 2] } : {}) });
          accounts.push(id);
          labels.set(id, `account ${i}`);
        }
        for (let i = 0; i < 25; i++) {
          const id = await created(`/${prefix}tickets`, {
            name: `Ticket ${String(i).padStart(2, '0')}`,
            status: i % 3 ? 'open' : 'closed',
            ...(i % 7 === 6 ? {} : { accountId: accounts[i % 5] }),
          });
          labels.set(id, `ticket ${i}`);
        }
        for (const [i, id] of users.entries()) labels.set(id, `user ${i}`);
      }
      // The same records, ids and times aside.
      const normal = (body: unknown) =>
        JSON.parse(
          JSON.stringify(body, (key, value) =>
            key === 'createdAt' || key === 'updatedAt' ? undefined : key === 'next' ? value !== null : value,
          ).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => labels.get(id) ?? id),
        );
      const queries = [
        '?expand=account&sort=name',
        '?status=open&expand=account&limit=7&sort=-name',
        '?expand=account.owner&fields=name,account.name,account.owner.name&sort=name&limit=30',
        '?expand=account&count=true&limit=3&sort=name',
      ];
      for (const query of queries) {
        const before = await storeCalls();
        const joined = await api('GET', `/tickets${query}`);
        const calls = await storeCalls();
        assert.equal(joined.status, 200, JSON.stringify(joined.json));
        const across = await api('GET', `/mtickets${query}`);
        assert.equal(across.status, 200);
        assert.deepEqual(normal(joined.json), normal(across.json), query);
        // One statement for the page and its accounts; a second level is one getMany more.
        assert.equal(calls.listWith - before.listWith, 1, query);
        assert.equal(calls.list - before.list, 0, query);
        assert.equal(calls.getMany - before.getMany, query.includes('owner') ? 1 : 0, query);
        // Each embedded account is what a get with expand embeds.
        for (const ticket of joined.json.data.filter((t: { account?: unknown }) => t.account).slice(0, 3)) {
          const got = await api('GET', `/tickets/${ticket.id}?expand=account${query.includes('owner') ? '.owner' : ''}`);
          const { account } = got.json.data;
          const shown = query.includes('fields')
            ? { id: account.id, name: account.name, owner: account.owner && { id: account.owner.id, name: account.owner.name } }
            : account;
          assert.deepEqual(ticket.account, shown);
        }
      }
      // The cursor continues the joined list as it continues the other.
      const first = await api('GET', '/tickets?status=open&expand=account&limit=7&sort=-name');
      const second = await api('GET', `/tickets?expand=account&cursor=${encodeURIComponent(first.json.meta.next)}`);
      const mfirst = await api('GET', '/mtickets?status=open&expand=account&limit=7&sort=-name');
      const msecond = await api('GET', `/mtickets?expand=account&cursor=${encodeURIComponent(mfirst.json.meta.next)}`);
      assert.deepEqual(normal(second.json), normal(msecond.json));
      // Without expand, a list is one list call, as before.
      const before = await storeCalls();
      assert.equal((await api('GET', '/tickets')).status, 200);
      const calls = await storeCalls();
      assert.deepEqual([calls.list - before.list, calls.listWith - before.listWith], [1, 0]);
    });

    it('a cascade on one connection is one transaction: a failure at its last step leaves every record as it was', async () => {
      const account = await created('/accounts', { name: 'Wayne' });
      const projects = [
        await created('/projects', { name: 'One', accountId: account }),
        await created('/projects', { name: 'Two', accountId: account }),
      ];
      const tasks = [
        await created('/tasks', { name: 'a', projectId: projects[0] }),
        await created('/tasks', { name: 'b', projectId: projects[1] }),
      ];
      const ticket = await created('/tickets', { name: 'Fax', accountId: account, status: 'open' });
      const before = await Promise.all([`/accounts/${account}`, `/tickets/${ticket}`].map(async (path) => (await api('GET', path)).json));
      // The account's own delete, the transaction's last write, fails.
      await offline('db', `${REFUSE}; create trigger refuse before delete on accounts for each row execute function council_test_refuse()`);
      const refused = await api('DELETE', `/accounts/${account}`);
      assert.equal(refused.status, 500);
      for (const id of projects) assert.equal((await api('GET', `/projects/${id}`)).status, 200);
      for (const id of tasks) assert.equal((await api('GET', `/tasks/${id}`)).status, 200);
      assert.deepEqual(
        await Promise.all([`/accounts/${account}`, `/tickets/${ticket}`].map(async (path) => (await api('GET', path)).json)),
        before,
      );
      const audit = async (requestId: string | null) =>
        (await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server))).json.data.filter(
          (e: { requestId: string; automation: string }) => e.requestId === requestId && e.automation !== 'accounts',
        );
      assert.deepEqual(await audit(refused.headers.get('x-request-id')), [], 'nothing changed, nothing audited');
      await offline('db', 'drop trigger refuse on accounts');
      const deleted = await api('DELETE', `/accounts/${account}`);
      assert.equal(deleted.status, 204);
      for (const id of [...projects.map((p) => `/projects/${p}`), ...tasks.map((t) => `/tasks/${t}`), `/accounts/${account}`]) {
        assert.equal((await api('GET', id)).status, 404, id);
      }
      assert.equal((await api('GET', `/tickets/${ticket}`)).json.data.accountId, undefined);
      // Audited once committed: one entry per changed record, under the request.
      const entries = await audit(deleted.headers.get('x-request-id'));
      assert.deepEqual(
        entries.map((e: { action: string; automation: string; detail: string }) => `${e.action} ${e.automation} ${e.detail}`).sort(),
        [
          `delete projects cascade: accounts ${account} deleted`,
          `delete projects cascade: accounts ${account} deleted`,
          `delete tasks cascade: accounts ${account} deleted`,
          `delete tasks cascade: accounts ${account} deleted`,
          `update tickets setNull accountId: accounts ${account} deleted`,
        ],
      );
    });

    it('across connections the same failure leaves the ordered result, and the same DELETE carries on', async () => {
      const account = await created('/xaccounts', { name: 'Stark' });
      const projects = [await created('/xprojects', { name: 'One', accountId: account })];
      const tasks = [await created('/xtasks', { name: 'a', projectId: projects[0] })];
      const ticket = await created('/xtickets', { name: 'Fax', accountId: account, status: 'open' });
      await offline(
        'db',
        `${REFUSE}; create trigger refuse before delete on xaccounts for each row execute function council_test_refuse()`,
      );
      assert.equal((await api('DELETE', `/xaccounts/${account}`)).status, 500);
      // Cleared and cascaded before the account's own delete failed: nothing refers to it any more.
      assert.equal((await api('GET', `/xtickets/${ticket}`)).json.data.accountId, undefined);
      assert.equal((await api('GET', `/xprojects/${projects[0]}`)).status, 404);
      assert.equal((await api('GET', `/xtasks/${tasks[0]}`)).status, 404);
      assert.equal((await api('GET', `/xaccounts/${account}`)).status, 200);
      await offline('db', 'drop trigger refuse on xaccounts');
      assert.equal((await api('DELETE', `/xaccounts/${account}`)).status, 204);
      assert.equal((await api('GET', `/xaccounts/${account}`)).status, 404);
    });
  });
}

runOneConnectionSuite(
  'embedded PGlite',
  { db: { backend: 'postgres', url: '' }, db2: { backend: 'postgres', url: '' } },
  (project) => async (connection, text) => {
    const { PGlite } = await import('@electric-sql/pglite');
    const { embeddedDirectory } = await import('../adapters/postgres/location.ts');
    const db = await PGlite.create(embeddedDirectory(project.dataDir, connection));
    try {
      await db.exec(text);
    } finally {
      await db.close();
    }
  },
  { skip: false, shared: false },
);

const pg = await postgresServerGate();
// `db2` is another connection to the same database: what one connection does not hold, it reaches by the ordered path.
runOneConnectionSuite(
  'PostgreSQL server',
  { db: { backend: 'postgres', url: pg.url }, db2: { backend: 'postgres', url: pg.url } },
  () => async (_connection, text) => {
    const { default: postgres } = await import('postgres');
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(text);
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
  { skip: pg.skip, shared: true },
);
