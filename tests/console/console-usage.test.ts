import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../engine/server/listen.ts';
import { type ConsoleClient, signedInUser } from '../support/console-client.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from '../support/project.ts';

/**
 * The usage page and the audit log in the console over real HTTP: a known mix of requests
 * with a key made in the console shows up in the totals, the chart, the top keys and the
 * failing endpoints; a manifest saved in the console is a revision line on the chart; the
 * audit log narrows by actor, automation, action and time.
 */
const TICKETS = `name: tickets
description: Support tickets for the console usage tests.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: create
`;
const PASSWORD = 'correct horse battery staple';

describe('usage and the audit log in the console', () => {
  let project: TestProject;
  let server: RunningServer;
  let admin: ConsoleClient;
  let secret: string;
  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS });
    server = await startServer(project, {
      audit: { enabled: true },
      analytics: { enabled: true, flushSeconds: 1, retentionDays: 400 },
      server: { ...project.config().server, trustedProxies: ['127.0.0.1'] },
    });
    admin = await signedInUser(server, 'ann@example.com', 'admin', PASSWORD);
    const made = await admin.post('/console/keys', { name: 'support-gpt', scope: ['tickets:read', 'tickets:write'] });
    secret = /<span class="secret">(ck_[^<]+)<\/span>/.exec(made.text)?.[1] as string;
    const auth = { authorization: `Bearer ${secret}` };
    for (let i = 0; i < 5; i++) assert.equal((await call(server.url, 'GET', '/tickets', undefined, auth)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call(server.url, 'POST', '/tickets', { nope: 1 }, auth)).status, 422);
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  it("counts the key's requests and errors, and names the failing endpoint", async () => {
    const page = await admin.get('/console/usage?range=1h');
    assert.equal(page.status, 200);
    assert.match(page.text, /<dt>Requests<\/dt><dd>7<\/dd>/);
    assert.match(page.text, /<dt>Errors \(4xx and 5xx\)<\/dt><dd>2 \(0 server errors\)<\/dd>/);
    assert.match(page.text, /<a href="\/console\/usage\?key=support-gpt&amp;range=1h">support-gpt<\/a><\/td><td>7<\/td><td>2<\/td>/);
    assert.match(
      page.text,
      /<td><a href="\/console\/automations\/tickets">tickets<\/a><\/td><td>create<\/td><td>4xx<\/td><td>2<\/td><td><a href="\/console\/automations\/tickets\/edit\?line=11">line 11/,
      'the failing endpoint links to the line that declares it',
    );
    const drill = await admin.get('/console/automations/tickets/edit?line=11');
    assert.match(drill.text, /Line 11 of automations\/tickets\.yaml: <code> {2}- operation: create<\/code>/);
    assert.match(drill.text, /data-line="11"/);
    assert.match(
      page.text,
      /<svg class="chart"[^>]*role="img" aria-label="Requests per minute for every automation: 7 in all, 2 errors\."/,
    );
    const bars = [...page.text.matchAll(/<rect class="bar" /g)].length;
    // One per minute, zero or not: the hour's 60, and the current minute's when the hour does not start on a minute.
    assert.ok(bars === 60 || bars === 61, `${bars} bars`);
    const byKey = await admin.get('/console/usage?range=1h&key=nobody');
    assert.match(byKey.text, /<dt>Requests<\/dt><dd>0<\/dd>/);
  });

  it('gives each automation its last hour in the list, and says which keys may call each endpoint', async () => {
    const list = await admin.get('/console/automations');
    assert.match(list.text, /<th scope="col">Last hour<\/th>/);
    assert.match(list.text, /<td>7 requests, 2 errors \(29%\)<\/td>/);
    const page = await admin.get('/console/automations/tickets');
    assert.match(page.text, /<dt>Last hour<\/dt><dd>7 requests, 2 errors \(29%\)/);
    assert.match(
      page.text,
      /<code>GET \/tickets<\/code><\/td><td>key with tickets:read<\/td><td>bootstrap admin, support-gpt<\/td>/,
      'the bootstrap key (*) may too',
    );
    assert.match(page.text, /<code>POST \/tickets<\/code><\/td><td>key with tickets:write<\/td><td>bootstrap admin, support-gpt<\/td>/);
  });

  it('the keys list gives each key its requests over 30 days', async () => {
    const page = await admin.get('/console/keys');
    assert.match(page.text, /<th scope="col">Requests \(30 days\)<\/th>/);
    assert.match(
      page.text,
      />support-gpt<\/a><\/td><td><code>ck_[^<]+<\/code><\/td><td>tickets:read tickets:write<\/td><td>[^<]+<\/td><td>never<\/td><td>[^<]+<\/td><td>7<\/td>/,
    );
  });

  it('says what a key may call, and which of its scopes no request needed in 30 days', async () => {
    const keys = await call(server.url, 'GET', '/admin/keys', undefined, adminHeaders(server));
    const id = (name: string) => keys.json.data.find((k: { name: string }) => k.name === name).id;
    const used = await admin.get(`/console/keys/${id('support-gpt')}`);
    assert.equal(used.status, 200);
    assert.match(
      used.text,
      /<td><a href="\/console\/automations\/tickets">tickets<\/a><\/td><td>list \(GET \/tickets\), create \(POST \/tickets\)<\/td>/,
    );
    assert.match(used.text, /Every scope it holds was needed by a request in the last 30 days/);
    assert.match(used.text, /<dt>Requests in 30 days<\/dt><dd>7 /);
    await admin.post('/console/keys', { name: 'idle', scope: ['tickets:read', 'tickets:delete'] });
    const idle = await admin.get(
      `/console/keys/${(await call(server.url, 'GET', '/admin/keys', undefined, adminHeaders(server))).json.data.find((k: { name: string }) => k.name === 'idle').id}`,
    );
    assert.match(idle.text, /No request with this key needed tickets:read, tickets:delete in the last 30 days/);
    assert.match(idle.text, /list \(GET \/tickets\)<\/td>/, 'delete is not an operation of tickets, so only list shows');
  });

  it('marks a manifest saved in the console as a revision on the charts', async () => {
    const opened = await admin.get('/console/automations/tickets/edit');
    const base = /name="base" value="([^"]*)"/.exec(opened.text)?.[1] ?? '';
    const saved = await admin.post('/console/automations/tickets/edit', {
      yaml: TICKETS.replace('maxLength: 100', 'maxLength: 120'),
      base,
      step: 'save',
    });
    assert.equal(saved.status, 303);
    const page = await admin.get('/console/usage?range=1h&automation=tickets');
    assert.match(page.text, /<line class="marker"[^>]*><title>[^<]* UTC: tickets updated<\/title><\/line>/);
    assert.match(page.text, /<li>[^<]* UTC: tickets updated<\/li>/);
  });

  it('the audit log narrows by actor, automation, action and time', async () => {
    const all = await admin.get('/console/audit');
    assert.equal(all.status, 200);
    assert.match(all.text, /<td>user:ann@example\.com<\/td><td>key\.create<\/td>/);
    const keys = await admin.get('/console/audit?action=key.');
    const actions = [...keys.text.matchAll(/<td>(?:user:[^<]+|cli|engine|[0-9a-f-]{36})<\/td><td>([^<]+)<\/td>/g)].map((m) => m[1]);
    assert.ok(actions.length > 0 && actions.every((a) => a?.startsWith('key.')), actions.join(', '));
    const denied = await admin.get('/console/audit?automation=tickets&action=create');
    assert.match(denied.text, /<td>create<\/td><td><a href="\/console\/automations\/tickets">tickets<\/a><\/td><td>failed \(422\)<\/td>/);
    const byActor = await admin.get('/console/audit?actor=user%3Aann%40example.com');
    assert.doesNotMatch(byActor.text, /<td>engine<\/td>/);
    const future = await admin.get('/console/audit?since=2099-01-01');
    assert.match(future.text, /0 entries/);
    const bad = await admin.get('/console/audit?since=yesterday-ish');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /is not a date or time/);
  });

  it("tries an endpoint with a pasted key, through the engine's own checks", async () => {
    const created = await admin.post('/console/automations/tickets/try', {
      operation: 'create',
      body: '{"title":"from the console"}',
      key: secret,
    });
    assert.equal(created.status, 200);
    assert.match(created.text, /<code>POST \/tickets<\/code> answered 201 \(request [^)]+\)/);
    assert.match(created.text, /&quot;title&quot;: &quot;from the console&quot;|"title": "from the console"/);
    const listed = await admin.post('/console/automations/tickets/try', { operation: 'list', query: '?limit=1', key: secret });
    assert.match(listed.text, /<code>GET \/tickets\?limit=1<\/code> answered 200/);
    const keyless = await admin.post('/console/automations/tickets/try', { operation: 'list' });
    assert.match(keyless.text, /answered 401/, 'no key, no records: the API decides, not the console');
    const badJson = await admin.post('/console/automations/tickets/try', { operation: 'create', body: '{title:', key: secret });
    assert.equal(badJson.status, 400);
    assert.match(badJson.text, /The body is not JSON/);
    assert.ok(!created.text.includes(`Bearer ${secret}`));
  });
});
