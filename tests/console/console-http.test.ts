import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_ROUTES, type RouteKey } from '../../engine/console/routes.ts';
import { LOGIN_LIMITS } from '../../engine/console/sign-in.ts';
import type { RunningServer } from '../../engine/server/listen.ts';
import { ConsoleClient, createUser } from '../support/console-client.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from '../support/project.ts';

/**
 * The console over real HTTP, as a browser would use it without JavaScript: signing in
 * (one-time password, then one's own), the role each route needs (every line of
 * CONSOLE_ROUTES, not only what the menu shows), forms refused from another site or
 * without their session's token, sign-in limits, headers, and the audit log.
 */
const TICKETS = `name: tickets
description: Support tickets for the console tests.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200, description: One-line summary. }
    status: { type: string, enum: [open, done] }
endpoints:
  - { operation: list, filters: [status] }
  - operation: get
  - operation: create
`;

const PASSWORD = 'correct horse battery staple';

describe('the console over HTTP', () => {
  let project: TestProject;
  let server: RunningServer;
  let admin: ConsoleClient;
  let viewer: ConsoleClient;
  let viewerId: string;
  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS, 'broken.yaml': 'name: broken\nstorage: { backend: memory }\n' });
    // 127.0.0.1 is a trusted proxy, so each test client's X-Forwarded-For is its address (console-client.ts).
    server = await startServer(project, {
      audit: { enabled: true },
      server: { ...project.config().server, trustedProxies: ['127.0.0.1'] },
    });
    const ann = await createUser(server, 'ann@example.com', 'admin');
    const vic = await createUser(server, 'vic@example.com', 'viewer');
    viewerId = vic.id;
    admin = new ConsoleClient(server.url);
    await admin.signIn(ann.email, ann.password, PASSWORD);
    viewer = new ConsoleClient(server.url);
    await viewer.signIn(vic.email, vic.password, PASSWORD);
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  it('sends a signed-out reader to the sign-in page, and back where it was going after', async () => {
    const anonymous = new ConsoleClient(server.url);
    const page = await anonymous.get('/console/automations?q=tick');
    assert.equal(page.status, 303);
    assert.equal(page.location, '/console/login?next=%2Fconsole%2Fautomations%3Fq%3Dtick');
    const form = await anonymous.get('/console/login?next=%2Fconsole%2Fautomations%3Fq%3Dtick');
    assert.equal(form.status, 200);
    assert.match(form.text, /<input type="hidden" name="next" value="\/console\/automations\?q=tick"/);
    const signedIn = await anonymous.post('/console/login', {
      email: 'vic@example.com',
      password: PASSWORD,
      next: '/console/automations?q=tick',
    });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.location, '/console/automations?q=tick');
    const cookie = signedIn.headers.getSetCookie().join('\n');
    assert.match(cookie, /council_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/console; HttpOnly; SameSite=Strict/);
    // Another site's address is never where a sign-in leads.
    const away = await new ConsoleClient(server.url).post('/console/login', {
      email: 'vic@example.com',
      password: PASSWORD,
      next: '//evil.example/x',
    });
    assert.equal(away.location, '/console/automations');
  });

  it('a one-time password leads to choosing a new one, and nothing else until then', async () => {
    const made = await createUser(server, 'otto@example.com', 'editor');
    const otto = new ConsoleClient(server.url);
    const first = await otto.post('/console/login', { email: made.email, password: made.password });
    assert.equal(first.location, '/console/password');
    assert.equal((await otto.get('/console/automations')).location, '/console/password');
    const page = await otto.get('/console/password');
    assert.match(page.text, /You signed in with a one-time password/);
    const short = await otto.post('/console/password', { current: made.password, password: 'short', confirm: 'short' });
    assert.equal(short.status, 400);
    assert.match(short.text, /at least 12 characters/);
    const wrong = await otto.post('/console/password', { current: 'not it at all', password: PASSWORD, confirm: PASSWORD });
    assert.equal(wrong.status, 401);
    const done = await otto.post('/console/password', { current: made.password, password: PASSWORD, confirm: PASSWORD });
    assert.equal(done.status, 200);
    assert.match(done.text, /Your password is changed/);
    assert.equal((await otto.get('/console/automations')).status, 200);
    // The one-time password no longer works.
    const again = await new ConsoleClient(server.url).post('/console/login', { email: made.email, password: made.password });
    assert.equal(again.status, 401);
  });

  it('lists every manifest with its state, and shows one automation', async () => {
    const list = await viewer.get('/console/automations');
    assert.equal(list.status, 200);
    assert.match(list.text, /<a href="\/console\/automations\/tickets">tickets<\/a>/);
    assert.match(list.text, /state-invalid">invalid/);
    assert.match(list.text, /<td>memory: in this process, lost on restart \(connection memory\)<\/td>/, 'where the records really live');
    assert.match(list.text, /automations\/broken\.yaml:\d+:\d+/, 'the error names its file:line:col');
    const filtered = await viewer.get('/console/automations?state=serving');
    assert.match(filtered.text, /1 of 2 automations/);
    const one = await viewer.get('/console/automations/tickets');
    assert.equal(one.status, 200);
    assert.match(one.text, /GET \/tickets\/\{id\}/);
    assert.match(one.text, /filters: status/);
    assert.match(one.text, /one of &quot;open&quot;, &quot;done&quot;|one of "open", "done"/);
    assert.equal((await viewer.get('/console/automations/nothing')).status, 404);
  });

  it('a viewer is refused every route that needs more, by the route and not only the menu', async () => {
    const page = await viewer.get('/console/automations');
    assert.doesNotMatch(page.text, /href="\/console\/users"/, 'the menu does not offer Users');
    const usersBefore = await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server));
    const checked: string[] = [];
    for (const [key, need] of Object.entries(CONSOLE_ROUTES) as [RouteKey, string][]) {
      if (need === 'anyone' || need === 'viewer') continue;
      const [method, pattern] = key.split(' ') as [string, string];
      const path = `/console${pattern.replace(':id', viewerId).replace(':name', 'tickets')}`;
      const answer = method === 'GET' ? await viewer.get(path) : await viewer.post(path, { email: 'mallory@example.com', role: 'admin' });
      assert.equal(answer.status, 403, `${key} answered ${answer.status} to a viewer`);
      assert.match(answer.text, /needs the (editor|admin) role; you are signed in as viewer/);
      checked.push(key);
    }
    assert.ok(checked.length >= 6, `only ${checked.length} routes need more than viewer`);
    const usersAfter = await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server));
    assert.deepEqual(usersAfter.json.data, usersBefore.json.data, 'no refused form changed anything');
  });

  it('refuses a form from another site, or without its session token, and changes nothing', async () => {
    const before = await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server));
    const form = { email: 'forged@example.com', role: 'admin' };
    const crossSite = await admin.post('/console/users', form, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.text, /sent from another site/);
    const otherOrigin = await admin.post('/console/users', form, { 'sec-fetch-site': '', origin: 'https://evil.example' });
    assert.equal(otherOrigin.status, 403);
    const noToken = await admin.post('/console/users', { ...form, _csrf: '' });
    assert.equal(noToken.status, 403);
    assert.match(noToken.text, /older session or another site/);
    const otherToken = await admin.post('/console/users', { ...form, _csrf: viewer.csrf });
    assert.equal(otherToken.status, 403);
    // Without the cookie (what SameSite=Strict leaves a cross-site post with): not signed in.
    const noCookie = await new ConsoleClient(server.url).post('/console/users', form);
    assert.equal(noCookie.status, 401);
    const after = await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server));
    assert.deepEqual(after.json.data, before.json.data);
  });

  it('the users page says what each role may do, from the route table itself', async () => {
    const page = await admin.get('/console/users');
    assert.match(page.text, /<td><code>POST \/console\/users<\/code><\/td><td>yes<\/td><td>no<\/td><td>no<\/td>/);
    assert.match(page.text, /<td><code>POST \/console\/keys<\/code><\/td><td>yes<\/td><td>yes<\/td><td>no<\/td>/);
    assert.match(page.text, /<td><code>GET \/console\/usage<\/code><\/td><td>yes<\/td><td>yes<\/td><td>yes<\/td>/);
    const rows = [...page.text.matchAll(/<td><code>(GET|POST) \/console[^<]*<\/code><\/td>/g)].length;
    assert.equal(rows, Object.values(CONSOLE_ROUTES).filter((need) => need !== 'anyone').length);
  });

  it('an admin adds, disables, enables and resets users; a disabled user is signed out at once', async () => {
    const added = await admin.post('/console/users', { email: 'Eve@Example.com', role: 'editor', automations: 'tickets' });
    assert.equal(added.status, 201);
    const password = /One-time password for eve@example\.com: <span class="secret">([0-9A-Za-z]{20})<\/span>/.exec(added.text)?.[1];
    assert.ok(password, added.text);
    const duplicate = await admin.post('/console/users', { email: 'eve@example.com', role: 'viewer' });
    assert.equal(duplicate.status, 409);
    const invalid = await admin.post('/console/users', { email: 'not-an-email', role: 'owner' });
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /is not an email address/);

    const eve = new ConsoleClient(server.url);
    await eve.signIn('eve@example.com', password, PASSWORD);
    assert.equal((await eve.get('/console/automations')).status, 200);
    const eveId = (await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server))).json.data.find(
      (u: { email: string }) => u.email === 'eve@example.com',
    ).id;
    const disabled = await admin.post(`/console/users/${eveId}/disable`);
    assert.equal(disabled.status, 200);
    assert.match(disabled.text, /eve@example\.com is disabled; 1 session\(s\) ended/);
    assert.equal((await eve.get('/console/automations')).status, 303, 'the disabled user is signed out');
    const refused = await new ConsoleClient(server.url).post('/console/login', { email: 'eve@example.com', password: PASSWORD });
    assert.equal(refused.status, 401);
    assert.equal((await admin.post(`/console/users/${eveId}/enable`)).status, 200);
    await eve.signIn('eve@example.com', PASSWORD);
    const reset = await admin.post(`/console/users/${eveId}/reset`);
    assert.match(reset.text, /One-time password for eve@example\.com/);
    assert.equal((await eve.get('/console/automations')).status, 303, 'a reset ends the sessions');
    const self = await admin.post(
      `/console/users/${(await call(server.url, 'GET', '/admin/users', undefined, adminHeaders(server))).json.data[0].id}/disable`,
    );
    assert.equal(self.status, 400, 'an admin cannot disable themself');
  });

  it('signing out ends the session on the server, not only in the browser', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn('vic@example.com', PASSWORD);
    const kept = client.cookie;
    await client.get('/console/automations');
    const out = await client.post('/console/logout');
    assert.equal(out.status, 303);
    client.cookie = kept;
    assert.equal((await client.get('/console/automations')).status, 303, 'the old cookie no longer signs in');
  });

  it('signing in again in the same browser ends the session it held', async () => {
    const client = new ConsoleClient(server.url);
    await client.signIn('vic@example.com', PASSWORD);
    const first = client.cookie;
    await client.signIn('vic@example.com', PASSWORD);
    assert.notEqual(client.cookie, first);
    const other = new ConsoleClient(server.url, client.address);
    other.cookie = first;
    assert.equal((await other.get('/console/automations')).status, 303, 'the first session is gone');
    assert.equal((await client.get('/console/automations')).status, 200);
  });

  it('limits sign-in attempts per address with the API limiter, and says when to retry', async () => {
    const client = new ConsoleClient(server.url);
    let answer = await client.post('/console/login', { email: 'nobody@example.com', password: 'wrong password 1' });
    for (let i = 1; i < LOGIN_LIMITS.address.requests + 5 && answer.status !== 429; i++) {
      answer = await client.post('/console/login', { email: `nobody${i}@example.com`, password: 'wrong password' });
    }
    assert.equal(answer.status, 429);
    assert.ok(Number(answer.headers.get('retry-after')) >= 1);
    assert.match(answer.text, /Too many sign-in attempts\. Wait \d+ s/);
  });

  it('every page carries a strict Content-Security-Policy, no framing, and no caching', async () => {
    for (const path of ['/console/login', '/console/automations', '/console/nothing-here']) {
      const page = await admin.get(path);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /script-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('cache-control'), 'no-store');
      assert.doesNotMatch(page.text, /<script(?![^>]*\ssrc=)[^>]*>|\sstyle="|\son[a-z]+="/, `${path} has inline script or style`);
    }
    const css = await admin.get('/console/assets/console.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('cache-control') ?? '', /immutable/);
  });

  it('audits console actions with the user as actor, never a password', async () => {
    const expected = [
      'user:ann@example.com console.login ok',
      'user:ann@example.com user.password ok',
      'user:ann@example.com user.create ok',
      'user:ann@example.com user.disable ok',
      'user:vic@example.com console.logout ok',
      'user:vic@example.com console GET /console/users denied',
      'user:nobody@example.com console.login denied',
    ];
    // A batch the store refused (a busy CI machine) stays queued and is written on the next
    // try, so the entries may come a moment late; they may not go missing.
    let audit = await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server));
    let lines: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      await server.engine.audit.flush();
      audit = await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server));
      lines = (audit.json.data as { actor: string; action: string; outcome: string }[]).map((e) => `${e.actor} ${e.action} ${e.outcome}`);
      if (expected.every((line) => lines.includes(line))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const line of expected) assert.ok(lines.includes(line), `no "${line}" in the audit log:\n${lines.join('\n')}`);
    assert.ok(!audit.text.includes(PASSWORD));
  });
});
