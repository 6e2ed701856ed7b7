import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { storesHere } from './support/stores-here.ts';

/**
 * References between automations through HTTP (manifest.md "References", http.md
 * "Related records"): writes check the referred record exists, `?expand=` embeds it,
 * `/accounts/{id}/tickets` lists what refers to one, and a delete follows `onDelete`.
 * Every automation is locked, so the scopes of each automation a request reads count.
 */
const manifest = (
  name: string,
  references: string,
  properties: string,
  endpoints: string,
  required = '[title]',
  storage = 'backend: memory',
) => `name: ${name}
description: ${name} of the support desk.
storage: { ${storage} }
${references ? `references:\n${references}` : ''}
schema:
  type: object
  required: ${required}
  properties:
    title: { type: string, maxLength: 100 }
${properties}
endpoints:
${endpoints}
`;
const CRUD =
  '  - operation: list\n  - operation: get\n  - operation: create\n  - operation: update\n  - operation: replace\n  - operation: delete';

/** The five automations of the desk, every one on the store `storage` names. */
const manifests = (storage: string) => ({
  'users.yaml': manifest('users', '', '', CRUD, '[title]', storage),
  'accounts.yaml': manifest(
    'accounts',
    '  owner: { field: ownerId, automation: users, onDelete: setNull }',
    '    ownerId: { type: string, format: uuid }',
    CRUD,
    '[title]',
    storage,
  ),
  'tickets.yaml': manifest(
    'tickets',
    '  account: { field: accountId, automation: accounts }',
    '    accountId: { type: string, format: uuid }\n    status: { type: string, enum: [open, closed] }',
    '  - operation: list\n    filters: [status]\n    sort: [title, createdAt]\n  - operation: get\n  - operation: create\n  - operation: update\n  - operation: replace\n  - operation: delete',
    '[title, accountId]',
    storage,
  ),
  'projects.yaml': manifest(
    'projects',
    '  account: { field: accountId, automation: accounts, onDelete: cascade }',
    '    accountId: { type: string, format: uuid }',
    CRUD,
    '[title]',
    storage,
  ),
  'tasks.yaml': manifest(
    'tasks',
    '  project: { field: projectId, automation: projects, onDelete: cascade }',
    '    projectId: { type: string, format: uuid }',
    CRUD,
    '[title]',
    storage,
  ),
});
const MANIFESTS = manifests('backend: memory');

const MISSING = '00000000-0000-4000-8000-000000000000';

/** Every backend the references run on here, as far as each store is reachable. */
const BACKENDS = await storesHere();

for (const backend of BACKENDS)
  describe(`references between automations on ${backend.name}`, { skip: backend.skip }, () => {
    let project: TestProject;
    let server: RunningServer;
    let admin: Record<string, string>;
    const keyWith = async (scopes: string[]) => {
      const made = await call(server.url, 'POST', '/admin/keys', { name: `refs ${scopes.join(' ')}`, scopes }, adminHeaders(server));
      return { authorization: `Bearer ${made.json.secret}` };
    };
    const as = (headers: Record<string, string>) => (method: string, path: string, body?: unknown) =>
      call(server.url, method, path, body, headers);
    let api: ReturnType<typeof as>;
    const created = async (path: string, body: Record<string, unknown>): Promise<string> => {
      const answer = await api('POST', path, body);
      assert.equal(answer.status, 201, JSON.stringify(answer.json));
      return answer.json.data.id;
    };

    before(async () => {
      // A table name of its own on a shared server: the file's other runs and earlier runs leave theirs.
      project = makeProject(manifests(backend.storage), backend.connections);
      server = await listen(project.config({ audit: { enabled: true } }), silentLogger);
      admin = await keyWith(['*']);
      api = as(admin);
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it('create, replace and update check that the referred record exists; 422 names the field and the id', async () => {
      const account = await created('/accounts', { title: 'Acme' });
      const missing = await api('POST', '/tickets', { title: 'Printer', accountId: MISSING });
      assert.equal(missing.status, 422);
      assert.equal(missing.json.code, 'reference-missing');
      assert.deepEqual(
        missing.json.errors.map((e: { pointer: string }) => e.pointer),
        ['/accountId'],
      );
      assert.match(missing.json.errors[0].message, new RegExp(`no accounts record has id "${MISSING}"; list /accounts`));
      const ticket = await created('/tickets', { title: 'Printer', accountId: account });
      assert.equal((await api('PATCH', `/tickets/${ticket}`, { accountId: MISSING })).json.code, 'reference-missing');
      assert.equal((await api('PUT', `/tickets/${ticket}`, { title: 'Printer', accountId: MISSING })).status, 422);
      // A patch that leaves the reference alone does not read the other automation.
      assert.equal((await api('PATCH', `/tickets/${ticket}`, { status: 'closed' })).status, 200);
      // The schema's own errors come first and alone: a wrong type is not looked up.
      const wrongType = await api('POST', '/tickets', { title: 'x', accountId: 7 });
      assert.equal(wrongType.json.code, 'validation-failed');
      assert.equal((await api('GET', `/tickets/${ticket}`)).json.data.accountId, account);
    });

    it('?expand= embeds the referred record on get and list, two levels deep, with fields= inside it', async () => {
      const owner = await created('/users', { title: 'Ada' });
      const account = await created('/accounts', { title: 'Globex', ownerId: owner });
      const ticket = await created('/tickets', { title: 'Fax', accountId: account, status: 'open' });
      const got = await api('GET', `/tickets/${ticket}?expand=account`);
      assert.equal(got.status, 200);
      assert.equal(got.json.data.account.id, account);
      assert.equal(got.json.data.account.title, 'Globex');
      assert.equal(got.json.data.accountId, account);
      const deep = await api('GET', `/tickets/${ticket}?expand=account.owner&fields=title,account.title,account.owner.title`);
      assert.deepEqual(deep.json.data, {
        id: ticket,
        title: 'Fax',
        account: { id: account, title: 'Globex', owner: { id: owner, title: 'Ada' } },
      });
      // Newest first: the PostgreSQL server keeps the tickets of earlier runs.
      const listed = await api('GET', `/tickets?status=open&sort=-createdAt&expand=account&fields=title,account.title`);
      assert.equal(listed.status, 200);
      const fax = listed.json.data.find((t: { id: string }) => t.id === ticket);
      assert.deepEqual(fax, { id: ticket, title: 'Fax', account: { id: account, title: 'Globex' } });
      // Without fields, a list writes each record with its relations spliced in: the same as get embeds.
      const whole = await api('GET', `/tickets?status=open&sort=-createdAt&expand=account.owner`);
      const one = await api('GET', `/tickets/${ticket}?expand=account.owner`);
      assert.deepEqual(
        whole.json.data.find((t: { id: string }) => t.id === ticket),
        one.json.data,
      );
      assert.equal(one.json.data.account.owner.title, 'Ada');
      // A record whose referred record has gone embeds null (accounts without owner keep working).
      const lone = await created('/accounts', { title: 'Initech' });
      assert.equal((await api('GET', `/accounts/${lone}?expand=owner`)).json.data.owner, null);
    });

    it('a bad expand is a 400 naming what can be expanded; more than two levels is refused', async () => {
      const unknown = await api('GET', '/tickets?expand=acount');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.json.errors[0].pointer, '/query/expand');
      assert.equal(unknown.json.errors[0].suggestion, 'account');
      assert.equal((await api('GET', '/tickets?expand=account.owner.account')).status, 400);
      const inner = await api('GET', '/tickets?expand=account.boss');
      assert.equal(inner.status, 400);
      assert.match(inner.json.detail, /accounts has no such relation \(it has owner\)/);
      // An automation without references takes no expand at all.
      assert.equal((await api('GET', '/users?expand=account')).status, 400);
    });

    it('expand needs the scopes of what it reads: a 403 naming the scope, never a silent omission', async () => {
      const account = await created('/accounts', { title: 'Umbrella' });
      const ticket = await created('/tickets', { title: 'Cable', accountId: account });
      const ticketsOnly = as(await keyWith(['tickets:read']));
      const refused = await ticketsOnly('GET', `/tickets/${ticket}?expand=account`);
      assert.equal(refused.status, 403);
      assert.match(refused.json.detail, /lacks the scope accounts:read/);
      assert.equal((await ticketsOnly('GET', `/tickets?expand=account`)).status, 403);
      assert.equal((await ticketsOnly('GET', `/tickets/${ticket}`)).status, 200);
      const both = as(await keyWith(['tickets:read', 'accounts:read']));
      assert.equal((await both('GET', `/tickets/${ticket}?expand=account`)).json.data.account.title, 'Umbrella');
      // The reverse list is the tickets list: it needs tickets:read, not accounts:read.
      const accountsOnly = as(await keyWith(['accounts:read']));
      assert.equal((await accountsOnly('GET', `/accounts/${account}/tickets`)).status, 403);
      assert.equal((await both('GET', `/accounts/${account}/tickets`)).status, 200);
    });

    it('/accounts/{id}/tickets lists the tickets of one account with the filters, sort and cursor of /tickets', async () => {
      const account = await created('/accounts', { title: 'Hooli' });
      const other = await created('/accounts', { title: 'Pied Piper' });
      for (const title of ['c', 'a', 'b', 'd'])
        await created('/tickets', { title, accountId: account, status: title === 'd' ? 'closed' : 'open' });
      await created('/tickets', { title: 'z', accountId: other, status: 'open' });
      const first = await api('GET', `/accounts/${account}/tickets?status=open&sort=title&limit=2`);
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.json.data.map((t: { title: string }) => t.title),
        ['a', 'b'],
      );
      const rest = await api('GET', `/accounts/${account}/tickets?cursor=${first.json.meta.next}`);
      assert.deepEqual(
        rest.json.data.map((t: { title: string }) => t.title),
        ['c'],
      );
      assert.equal(rest.json.meta.next, null);
      const counted = await api('GET', `/accounts/${account}/tickets?count=true&expand=account`);
      assert.equal(counted.json.meta.count, 4);
      assert.ok(counted.json.data.every((t: { account: { id: string } }) => t.account.id === account));
      const none = await api('GET', `/accounts/${MISSING}/tickets`);
      assert.equal(none.status, 404);
      assert.match(none.json.detail, /no Account has id/);
      const empty = await created('/accounts', { title: 'Empty' });
      assert.deepEqual((await api('GET', `/accounts/${empty}/tickets`)).json.data, []);
      assert.equal((await api('POST', `/accounts/${account}/tickets`, { title: 'x' })).status, 405);
      assert.equal((await api('GET', `/accounts/${account}/nothing`)).status, 404);
    });

    it('restrict refuses to delete a referred record (409 counting what refers) and changes nothing, cascades included', async () => {
      const account = await created('/accounts', { title: 'Soylent' });
      const ticket = await created('/tickets', { title: 'Lid', accountId: account });
      await created('/tickets', { title: 'Box', accountId: account });
      const projectId = await created('/projects', { title: 'Move', accountId: account });
      const task = await created('/tasks', { title: 'Pack', projectId });
      const refused = await api('DELETE', `/accounts/${account}`);
      assert.equal(refused.status, 409);
      assert.equal(refused.json.code, 'still-referenced');
      assert.deepEqual(refused.json.errors, [{ pointer: '/tickets/accountId', message: '2 tickets records refer to it by accountId' }]);
      // Nothing cascaded: the refusal was found before anything changed.
      assert.equal((await api('GET', `/projects/${projectId}`)).status, 200);
      assert.equal((await api('GET', `/tasks/${task}`)).status, 200);
      assert.equal((await api('GET', `/accounts/${account}`)).status, 200);
      assert.equal((await api('GET', `/tickets/${ticket}`)).status, 200);
    });

    it('cascade deletes what refers, deepest first, and setNull clears the field; each change audited under the request', async () => {
      const owner = await created('/users', { title: 'Grace' });
      const account = await created('/accounts', { title: 'Wayne', ownerId: owner });
      const projects = [
        await created('/projects', { title: 'One', accountId: account }),
        await created('/projects', { title: 'Two', accountId: account }),
      ];
      const tasks = [
        await created('/tasks', { title: 'a', projectId: projects[0] }),
        await created('/tasks', { title: 'b', projectId: projects[1] }),
      ];
      const kept = await created('/projects', { title: 'Other', accountId: await created('/accounts', { title: 'Stark' }) });
      const deleted = await api('DELETE', `/accounts/${account}`);
      assert.equal(deleted.status, 204);
      for (const id of projects) assert.equal((await api('GET', `/projects/${id}`)).status, 404);
      for (const id of tasks) assert.equal((await api('GET', `/tasks/${id}`)).status, 404);
      assert.equal((await api('GET', `/projects/${kept}`)).status, 200);
      const requestId = deleted.headers.get('x-request-id');
      const entries = (await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server))).json.data.filter(
        (e: { requestId: string }) => e.requestId === requestId,
      );
      // Entry ids are time-ordered: tasks before their projects, projects before the account.
      const order = entries
        .sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1))
        .map((e: { automation: string; action: string }) => `${e.action} ${e.automation}`);
      assert.deepEqual(order, ['delete tasks', 'delete tasks', 'delete projects', 'delete projects', 'delete accounts']);
      assert.ok(entries.filter((e: { detail?: string }) => e.detail?.startsWith('cascade')).length === 4);
      // setNull: the user's deletion removes ownerId from the accounts that named it.
      const account2 = await created('/accounts', { title: 'Tyrell', ownerId: owner });
      const before = (await api('GET', `/accounts/${account2}`)).json.data;
      assert.equal((await api('DELETE', `/users/${owner}`)).status, 204);
      const afterwards = (await api('GET', `/accounts/${account2}`)).json.data;
      assert.equal(afterwards.ownerId, undefined);
      assert.notEqual(afterwards.updatedAt, before.updatedAt);
    });
  });

describe('references across reloads', () => {
  it('a manifest referring to an automation not serving waits, rejected, and loads once that automation loads', async () => {
    const project = makeProject({ 'tickets.yaml': MANIFESTS['tickets.yaml'] });
    const server = await listen(project.config(), silentLogger);
    try {
      const health = async () => (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json;
      const waiting = (await health()).automations.find((a: { name?: string; file: string }) => a.file.endsWith('tickets.yaml'));
      assert.equal(waiting.state, 'invalid');
      assert.match(JSON.stringify(waiting), /no automation named \\"accounts\\"/);
      project.write(
        'accounts.yaml',
        MANIFESTS['accounts.yaml']
          .replace('  owner: { field: ownerId, automation: users, onDelete: setNull }\n', '')
          .replace('references:\n', ''),
      );
      await server.engine.reloader.reload([`${project.automations}/accounts.yaml`]);
      const states = Object.fromEntries((await health()).automations.map((a: { name: string; state: string }) => [a.name, a.state]));
      assert.deepEqual(states, { accounts: 'serving', tickets: 'serving' });
      // Removing the referred automation leaves the referring one serving; its writes say why they cannot be checked.
      const headers = {
        authorization: `Bearer ${(await call(server.url, 'POST', '/admin/keys', { name: 'k', scopes: ['*'] }, adminHeaders(server))).json.secret}`,
      };
      const account = (await call(server.url, 'POST', '/accounts', { title: 'Acme' }, headers)).json.data.id;
      rmSync(`${project.automations}/accounts.yaml`);
      await server.engine.reloader.reload([`${project.automations}/accounts.yaml`]);
      assert.equal((await health()).automations.find((a: { name: string }) => a.name === 'tickets').state, 'serving');
      const refused = await call(server.url, 'POST', '/tickets', { title: 'x', accountId: account }, headers);
      assert.equal(refused.status, 503);
      assert.equal(refused.json.code, 'reference-unavailable');
    } finally {
      await server.close();
      project.remove();
    }
  });
});
