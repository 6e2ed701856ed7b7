import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../engine/server/listen.ts';
import { type ConsoleClient, signedInUser } from '../support/console-client.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from '../support/project.ts';

/**
 * API keys in the console over real HTTP: a key made with the scope picker works at once
 * for what it grants and nothing else, its secret is shown once, revoking refuses it from
 * the next request, and an editor limited to some automations grants and revokes only
 * scopes on those.
 */
const manifest = (name: string) => `name: ${name}
description: ${name} for the console key tests.
storage: { backend: memory }
schema:
  type: object
  properties:
    title: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: create
`;
const PASSWORD = 'correct horse battery staple';

describe('API keys in the console', () => {
  let project: TestProject;
  let server: RunningServer;
  let editor: ConsoleClient;
  let limited: ConsoleClient;
  before(async () => {
    project = makeProject({ 'tickets.yaml': manifest('tickets'), 'notes.yaml': manifest('notes') });
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

  const secretIn = (text: string) => /<span class="secret">(ck_[^<]+)<\/span>/.exec(text)?.[1];

  it('makes a key from the scope picker; it works at once, for what it grants only; its secret is shown once', async () => {
    const page = await editor.get('/console/keys');
    assert.equal(page.status, 200);
    assert.match(page.text, /aria-label="tickets read"/);
    const made = await editor.post('/console/keys', {
      name: 'support GPT',
      note: 'The help desk assistant; ask Ann before revoking.',
      scope: ['tickets:read'],
      expires: '',
    });
    assert.equal(made.status, 201);
    const secret = secretIn(made.text);
    assert.ok(secret, made.text.slice(0, 2000));
    const auth = { authorization: `Bearer ${secret}` };
    assert.equal((await call(server.url, 'GET', '/tickets', undefined, auth)).status, 200);
    assert.equal((await call(server.url, 'POST', '/tickets', { title: 'x' }, auth)).status, 403);
    assert.equal((await call(server.url, 'GET', '/notes', undefined, auth)).status, 403);
    const again = await editor.get('/console/keys');
    assert.ok(!again.text.includes(secret), 'the list never shows a secret');
    assert.match(again.text, /support GPT<\/a><div class="hint">The help desk assistant; ask Ann before revoking\.<\/div>/);
    const tooLong = await editor.post('/console/keys', { name: 'wordy', note: 'x'.repeat(501), scope: ['tickets:read'] });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.text, /a note has at most 500 characters/);
  });

  it('revoking a key refuses it from the next request', async () => {
    const made = await editor.post('/console/keys', { name: 'short-lived', scope: ['notes:read', 'notes:write'] });
    const secret = secretIn(made.text) as string;
    const auth = { authorization: `Bearer ${secret}` };
    assert.equal((await call(server.url, 'GET', '/notes', undefined, auth)).status, 200);
    const id = (await call(server.url, 'GET', '/admin/keys', undefined, adminHeaders(server))).json.data.find(
      (k: { name: string }) => k.name === 'short-lived',
    ).id;
    const revoked = await editor.post(`/console/keys/${id}/revoke`);
    assert.equal(revoked.status, 200);
    assert.match(revoked.text, /short-lived \(ck_[^)]+\) is revoked/);
    assert.equal((await call(server.url, 'GET', '/notes', undefined, auth)).status, 401);
  });

  it('an expiry is the end of the chosen day, and must be in the future', async () => {
    const past = await editor.post('/console/keys', { name: 'old', scope: ['tickets:read'], expires: '2020-01-01' });
    assert.equal(past.status, 400);
    assert.match(past.text, /the expiry is a date in the future/);
    const made = await editor.post('/console/keys', { name: 'dated', scope: ['tickets:read'], expires: '2099-06-30' });
    assert.equal(made.status, 201);
    const key = (await call(server.url, 'GET', '/admin/keys', undefined, adminHeaders(server))).json.data.find(
      (k: { name: string }) => k.name === 'dated',
    );
    assert.equal(key.expiresAt, '2099-06-30T23:59:59.999Z');
  });

  it('an editor limited to some automations grants and revokes scopes on those only', async () => {
    const page = await limited.get('/console/keys');
    assert.match(page.text, /aria-label="tickets write"/);
    assert.doesNotMatch(page.text, /aria-label="notes read"/, 'the picker offers only its automations');
    assert.doesNotMatch(page.text, /name="otherScopes"/, 'and no free scopes');
    const beyond = await limited.post('/console/keys', { name: 'sneaky', scope: ['tickets:read', 'notes:read'], otherScopes: '*' });
    assert.equal(beyond.status, 400);
    assert.match(beyond.text, /you may not grant notes:read, \*/);
    const admin = await call(server.url, 'POST', '/admin/keys', { name: 'ops', scopes: ['*'] }, adminHeaders(server));
    const refused = await limited.post(`/console/keys/${admin.json.data.id}/revoke`);
    assert.equal(refused.status, 403);
    const still = await call(server.url, 'GET', '/notes', undefined, { authorization: `Bearer ${admin.json.secret}` });
    assert.equal(still.status, 200, 'the admin key still works');
  });

  it('audits key changes with the user as actor, never a secret', async () => {
    await server.engine.audit.flush();
    const audit = await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server));
    const lines = (audit.json.data as { actor: string; action: string; detail?: string }[]).map(
      (e) => `${e.actor} ${e.action} ${e.detail}`,
    );
    assert.ok(
      lines.some((l) => /^user:eve@example\.com key\.create ck_\S+ tickets:read$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /^user:eve@example\.com key\.revoke ck_\S+$/.test(l)),
      lines.join('\n'),
    );
    assert.doesNotMatch(audit.text, /ck_[A-Za-z0-9]{30,}/, 'no whole key in the log');
  });
});
