import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../engine/server/listen.ts';
import { type ConsoleClient, signedInUser } from '../support/console-client.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from '../support/project.ts';

/**
 * References in the console's forms over real HTTP: a field that "refers to" a serving
 * automation becomes the `references:` entry (and a uuid field) a pull request would
 * write, on a new automation and on an existing one, and the engine serves it.
 */
const ACCOUNTS = `name: accounts
description: Customer accounts for the console reference tests.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100, description: Name of the account. }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;
const TICKETS = `# Tickets, configured in the tests below.
name: tickets
description: Support tickets for the console reference tests.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100, description: One-line summary. }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;
const PASSWORD = 'correct horse battery staple';

describe('references in the console forms', () => {
  let project: TestProject;
  let server: RunningServer;
  let eve: ConsoleClient;
  let key: Record<string, string>;
  before(async () => {
    project = makeProject({ 'accounts.yaml': ACCOUNTS, 'tickets.yaml': TICKETS });
    server = await startServer(project);
    eve = await signedInUser(server, 'eve@example.com', 'editor', PASSWORD);
    const made = await call(server.url, 'POST', '/admin/keys', { name: 'console refs', scopes: ['*'] }, adminHeaders(server));
    key = { authorization: `Bearer ${made.json.secret}` };
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  const yamlOf = (html: string) => decode(/<textarea id="yaml"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)?.[1] ?? '');
  const baseOf = (html: string) => /name="base" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const diffOf = (html: string) =>
    decode((/<pre class="diff">([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? '').replace(/<\/?span[^>]*>/g, ''))
      .split('\n')
      .filter((l) => /^[-+][^-+]/.test(l));

  it('the new form offers the serving automations a field may refer to, and writes references:', async () => {
    const form = await eve.get('/console/new');
    assert.match(form.text, /<select name="field-0-refersTo" aria-label="Field 1 refers to">/);
    assert.match(form.text, /<option value="accounts">accounts<\/option>/);
    const preview = await eve.post('/console/new', {
      name: 'orders',
      description: 'Orders customers place, each for one account.',
      connection: 'memory',
      'field-0-name': 'title',
      'field-0-type': 'string',
      'field-0-required': 'yes',
      'field-0-description': 'What was ordered.',
      'field-1-name': 'accountId',
      'field-1-type': 'integer',
      'field-1-required': 'yes',
      'field-1-description': 'The account that ordered.',
      'field-1-refersTo': 'accounts',
      operations: ['list', 'get', 'create'],
      sort: 'createdAt',
      public: 'no',
    });
    assert.equal(preview.status, 200, preview.text.slice(0, 500));
    assert.match(preview.text, /The engine accepts this text/);
    const yaml = yamlOf(preview.text);
    assert.match(yaml, /^references:\n {2}account: \{field: accountId, automation: accounts\}/m);
    assert.match(yaml, /^ {4}accountId:\n {6}type: string\n {6}format: uuid/m, 'a string holding an id, whatever type was picked');
    assert.doesNotMatch(yaml.slice(yaml.indexOf('accountId:')), /maxLength/);
    const saved = await eve.post('/console/new/yaml', { yaml, base: '', step: 'save' });
    assert.equal(saved.status, 303, saved.text.slice(0, 500));
    // It serves, and checks the reference as any manifest's.
    const missing = await call(server.url, 'POST', '/orders', { title: 'Desk', accountId: crypto.randomUUID() }, key);
    assert.equal(missing.status, 422);
    assert.equal(missing.json.code, 'reference-missing');
  });

  it('a field may refer to a serving automation only', async () => {
    const answer = await eve.post('/console/new', {
      name: 'refunds',
      description: 'Refunds of orders, for the tests.',
      connection: 'memory',
      'field-0-name': 'invoiceId',
      'field-0-refersTo': 'invoices',
      operations: ['list'],
      public: 'no',
    });
    assert.equal(answer.status, 422);
    assert.match(answer.text, /field invoiceId: it may refer to a serving automation only \([^)]*accounts[^)]*\), not invoices/);
  });

  it('configure adds a reference as edits of only its lines, shows it, and removes it again', async () => {
    const form = await eve.get('/console/automations/tickets/configure');
    assert.equal(form.status, 200);
    const values = {
      description: 'Support tickets for the console reference tests.',
      connection: 'memory',
      'field-0-name': 'title',
      'field-0-type': 'string',
      'field-0-required': 'yes',
      'field-0-maxLength': '100',
      'field-0-description': 'One-line summary.',
      'field-1-name': 'accountId',
      'field-1-type': 'string',
      'field-1-description': 'The account the ticket is about.',
      'field-1-refersTo': 'accounts',
      operations: ['list', 'get', 'create'],
      public: 'no',
    };
    const added = await eve.post('/console/automations/tickets/configure', values);
    assert.equal(added.status, 200, added.text.slice(0, 800));
    assert.match(added.text, /The engine accepts this text/);
    assert.deepEqual(diffOf(added.text), [
      '+    accountId:',
      '+      type: string',
      '+      description: The account the ticket is about.',
      '+      format: uuid',
      '+references:',
      '+  account:',
      '+    field: accountId',
      '+    automation: accounts',
    ]);
    const saved = await eve.post('/console/automations/tickets/edit', { yaml: yamlOf(added.text), base: baseOf(added.text), step: 'save' });
    assert.equal(saved.status, 303);
    const onDisk = readFileSync(join(project.automations, 'tickets.yaml'), 'utf8');
    assert.match(onDisk, /^# Tickets, configured in the tests below\.$/m, 'comments kept');
    const account = await call(server.url, 'POST', '/accounts', { title: 'Acme' }, key);
    const ticket = await call(server.url, 'POST', '/tickets', { title: 'Printer', accountId: account.json.data.id }, key);
    assert.equal(ticket.status, 201, ticket.text);
    assert.equal(
      (await call(server.url, 'GET', `/tickets/${ticket.json.data.id}?expand=account`, undefined, key)).json.data.account.title,
      'Acme',
    );

    const again = await eve.get('/console/automations/tickets/configure');
    assert.match(again.text, /<option value="accounts" selected="">accounts<\/option>/);
    const removed = await eve.post('/console/automations/tickets/configure', { ...values, 'field-1-refersTo': '' });
    assert.deepEqual(diffOf(removed.text), ['-references:', '-  account:', '-    field: accountId', '-    automation: accounts']);
    assert.match(removed.text, /The engine accepts this text/);
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
