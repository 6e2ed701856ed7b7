import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CouncilConfig } from '../engine/config/config.ts';
import { silentLogger } from '../engine/log.ts';
import type { McpOptions } from '../engine/mcp/server.ts';
import { type Engine, startEngine } from '../engine/server/engine.ts';
import { makeProject, type TestProject } from './support/project.ts';

/**
 * /mcp guarded like any endpoint, in process (engine.fetch): a request without a key
 * gets a 401 that points at RFC 9728 metadata (unless public tools serve); sessions
 * belong to their key, which can only push out its own; idle sessions close; the rate
 * limit applies; and a flood of keyless initializations evicts no one else's session.
 */
const LOCKED = `name: tickets
description: Support tickets customers open.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, description: One-line summary. }
endpoints:
  - operation: list
  - operation: create
`;

const PUBLIC = `name: articles
description: Help articles anyone may read.
storage: { backend: memory }
access:
  public: [list]
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, description: Headline. }
endpoints:
  - operation: list
  - operation: create
`;

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
};
const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  session: string | null;
}

/** One JSON-RPC message to /mcp, its answer read from the event stream (or the JSON body of a refusal). */
async function post(engine: Engine, message: object, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await engine.fetch(
    new Request('http://localhost/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(message),
    }),
  );
  const text = await response.text();
  const data = text.split('\n').find((line) => line.startsWith('data: '));
  let body: any;
  try {
    body = JSON.parse(data ? data.slice(6) : text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body, session: response.headers.get('mcp-session-id') };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const inSession = (session: string, more: Record<string, string> = {}) => ({
  'mcp-session-id': session,
  'mcp-protocol-version': '2025-06-18',
  ...more,
});

async function open(engine: Engine, headers: Record<string, string>): Promise<string> {
  const answer = await post(engine, INITIALIZE, headers);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.session);
  return answer.session;
}

async function alive(engine: Engine, session: string, headers: Record<string, string>): Promise<boolean> {
  const answer = await post(engine, LIST_TOOLS, inSession(session, headers));
  if (answer.status === 404) return false;
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return true;
}

describe('/mcp: keys, sessions and limits', () => {
  const projects: TestProject[] = [];
  const engines: Engine[] = [];
  after(async () => {
    for (const engine of engines) await engine.close();
    for (const project of projects) project.remove();
  });

  // The test projects' server settings, for tests that change one of them.
  const base = makeProject({});
  projects.push(base);
  const server = base.config().server;

  // A project (and so a data directory) per engine: each holds its directory's lock while open.
  async function engineWith(overrides: Partial<CouncilConfig> = {}, mcp?: McpOptions, manifests?: Record<string, string>) {
    const target = makeProject(manifests ?? { 'tickets.yaml': LOCKED });
    projects.push(target);
    const engine = await startEngine(target.config(overrides), silentLogger, mcp ? { mcp } : {});
    engines.push(engine);
    const store = await engine.auth.store();
    const key = async (name: string) => (await store.create({ name, scopes: ['tickets:read', 'articles:*'] })).secret;
    return { engine, key };
  }

  it('a request without a key gets a 401 with WWW-Authenticate naming the RFC 9728 metadata, which is served', async () => {
    const { engine } = await engineWith();
    const refused = await post(engine, INITIALIZE);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.equal(refused.body.code, 'unauthorized');
    assert.equal(
      refused.headers.get('www-authenticate'),
      'Bearer realm="theCouncil", resource_metadata="http://localhost/.well-known/oauth-protected-resource/mcp"',
    );
    const badKey = await post(engine, INITIALIZE, bearer('ck_not_a_real_key'));
    assert.equal(badKey.status, 401);
    assert.match(
      badKey.headers.get('www-authenticate') ?? '',
      /resource_metadata="http:\/\/localhost\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
    const metadata = await engine.fetch(new Request('http://localhost/.well-known/oauth-protected-resource/mcp'));
    assert.equal(metadata.status, 200);
    assert.deepEqual(await metadata.json(), {
      resource: 'http://localhost/mcp',
      resource_name: 'theCouncil',
      bearer_methods_supported: ['header'],
      scopes_supported: ['tickets:read', 'tickets:write'],
      resource_documentation: 'http://localhost/docs',
    });
    const root = (await (await engine.fetch(new Request('http://localhost/.well-known/oauth-protected-resource'))).json()) as any;
    assert.equal(root.resource, 'http://localhost', 'the server as a whole: the same keys serve the API and /mcp');
    const other = await engine.fetch(new Request('http://localhost/.well-known/oauth-protected-resource/tickets'));
    assert.equal(other.status, 404);
  });

  it('behind a proxy the metadata and the challenge use server.publicUrl', async () => {
    const { engine } = await engineWith({
      server: { ...server, publicUrl: 'https://api.example.com' },
    });
    const refused = await post(engine, INITIALIZE);
    assert.match(
      refused.headers.get('www-authenticate') ?? '',
      /resource_metadata="https:\/\/api\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
    const metadata = (await (await engine.fetch(new Request('http://10.0.0.5/.well-known/oauth-protected-resource/mcp'))).json()) as any;
    assert.equal(metadata.resource, 'https://api.example.com/mcp');
  });

  it('1,000 initializations without a key evict no authenticated session (locked server: each is a 401)', async (t) => {
    const { engine, key } = await engineWith();
    const secret = await key('agent');
    const session = await open(engine, bearer(secret));
    const started = performance.now();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const { status } = await post(engine, INITIALIZE);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    t.diagnostic(`1,000 keyless initializations in ${Math.round(performance.now() - started)} ms: ${JSON.stringify([...statuses])}`);
    assert.deepEqual([...statuses], [[401, 1000]]);
    assert.equal(await alive(engine, session, bearer(secret)), true);
  });

  it('with public tools, callers without a key get sessions listing those tools, and 1,000 of them evict no keyed session', async (t) => {
    const { engine, key } = await engineWith({}, undefined, { 'articles.yaml': PUBLIC });
    const secret = await key('agent');
    const keyed = await open(engine, bearer(secret));
    const greeting = await post(engine, INITIALIZE);
    assert.match(greeting.body.result.instructions, /no API key, so it lists only the public tools/);
    const anonymous = greeting.session as string;
    const tools = await post(engine, LIST_TOOLS, inSession(anonymous));
    assert.deepEqual(
      tools.body.result.tools.map((tool: { name: string }) => tool.name),
      ['listArticles'],
    );
    const started = performance.now();
    let opened = 0;
    for (let i = 0; i < 1000; i++) if ((await post(engine, INITIALIZE)).status === 200) opened++;
    t.diagnostic(`1,000 keyless initializations (public tools) in ${Math.round(performance.now() - started)} ms; ${opened} opened`);
    assert.equal(opened, 1000, 'each caller without a key replaces its own oldest session');
    assert.equal(await alive(engine, keyed, bearer(secret)), true, 'the keyed session survived');
    const keyedTools = await post(engine, LIST_TOOLS, inSession(keyed, bearer(secret)));
    assert.deepEqual(
      keyedTools.body.result.tools.map((tool: { name: string }) => tool.name),
      ['listArticles', 'createArticle'],
    );
  });

  it('a key past its own cap replaces its least recently used session, never another key’s', async () => {
    const { engine, key } = await engineWith({}, { sessions: { perOwner: 3, total: 6, anonymous: 2 } });
    const [a, b] = [await key('a'), await key('b')];
    const bSession = await open(engine, bearer(b));
    const aSessions = [await open(engine, bearer(a)), await open(engine, bearer(a)), await open(engine, bearer(a))];
    // Use the first one again: the second is now the least recently used.
    assert.equal(await alive(engine, aSessions[0] as string, bearer(a)), true);
    const fourth = await open(engine, bearer(a));
    assert.equal(await alive(engine, aSessions[1] as string, bearer(a)), false, 'its least recently used session closed');
    for (const id of [aSessions[0], aSessions[2], fourth]) assert.equal(await alive(engine, id as string, bearer(a)), true);
    assert.equal(await alive(engine, bSession, bearer(b)), true, 'the other key’s session untouched');
  });

  it('a full table refuses a key with no session to give up (503, Retry-After) and keeps everyone else’s', async () => {
    const { engine, key } = await engineWith({}, { sessions: { perOwner: 3, total: 6, anonymous: 2 } });
    const [a, b, c] = [await key('a'), await key('b'), await key('c')];
    const held = [];
    for (const k of [a, a, a, b, b, b]) held.push({ key: k, id: await open(engine, bearer(k)) });
    const refused = await post(engine, INITIALIZE, bearer(c));
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, 'sessions-full');
    assert.equal(refused.headers.get('retry-after'), '60');
    await open(engine, bearer(a));
    assert.equal(await alive(engine, held[0]?.id as string, bearer(a)), false, 'a replaced its own oldest');
    for (const { key: k, id } of held.slice(1)) assert.equal(await alive(engine, id, bearer(k)), true);
  });

  it('callers without a key share at most their own part of the table, one address per owner', async () => {
    const proxied = { server: { ...server, trustedProxies: ['unknown'] } };
    const { engine, key } = await engineWith(proxied, { sessions: { perOwner: 3, total: 6, anonymous: 2 } }, { 'articles.yaml': PUBLIC });
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const first = await open(engine, from('203.0.113.1'));
    await open(engine, from('203.0.113.1'));
    const stranger = await post(engine, INITIALIZE, from('203.0.113.2'));
    assert.equal(stranger.status, 503, 'the share without a key is full, and none of it is this address’s');
    assert.equal(await alive(engine, first, from('203.0.113.1')), true);
    assert.equal(await alive(engine, first, from('203.0.113.2')), false, 'a session is only its owner’s');
    await open(engine, bearer(await key('a')));
  });

  it('a session serves only its own key', async () => {
    const { engine, key } = await engineWith();
    const [a, b] = [await key('a'), await key('b')];
    const session = await open(engine, bearer(a));
    const stolen = await post(engine, LIST_TOOLS, inSession(session, bearer(b)));
    assert.equal(stolen.status, 404);
    assert.equal(stolen.body.code, 'not-found');
    assert.equal(await alive(engine, session, bearer(a)), true);
  });

  it('a session unused for the idle time closes; DELETE ends one at once', async () => {
    let now = Date.now();
    const { engine, key } = await engineWith({}, { sessions: { idleMs: 30 * 60_000 }, now: () => now });
    const secret = await key('a');
    const idle = await open(engine, bearer(secret));
    const busy = await open(engine, bearer(secret));
    now += 20 * 60_000;
    assert.equal(await alive(engine, busy, bearer(secret)), true);
    now += 15 * 60_000;
    assert.equal(await alive(engine, idle, bearer(secret)), false, '35 minutes unused');
    assert.equal(await alive(engine, busy, bearer(secret)), true, 'used 15 minutes ago');
    const ended = await engine.fetch(
      new Request('http://localhost/mcp', { method: 'DELETE', headers: { ...inSession(busy), ...bearer(secret) } }),
    );
    assert.equal(ended.status, 200);
    assert.equal(await alive(engine, busy, bearer(secret)), false);
  });

  it('/mcp is rate limited like any endpoint: per key, per address without one, failed keys included', async () => {
    const { engine, key } = await engineWith({ rateLimit: { requests: 3, perSeconds: 60 } });
    const secret = await key('a');
    const session = await open(engine, bearer(secret));
    assert.equal(await alive(engine, session, bearer(secret)), true);
    assert.equal(await alive(engine, session, bearer(secret)), true);
    const limited = await post(engine, LIST_TOOLS, inSession(session, bearer(secret)));
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'rate-limited');
    assert.match(limited.body.detail, /to \/mcp/);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('ratelimit-limit'), '3');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(engine, INITIALIZE, bearer('ck_not_a_real_key'))).status);
    assert.deepEqual(statuses, [401, 401, 401, 429], 'guessing keys is limited by address');
  });

  it('a page in an allowed origin can speak MCP: CORS lets it send and read the Mcp-* headers', async () => {
    const { engine, key } = await engineWith({ server: { ...server, corsOrigins: ['https://app.example'] } });
    const preflight = await engine.fetch(
      new Request('http://localhost/mcp', {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'mcp-session-id, mcp-protocol-version',
        },
      }),
    );
    assert.equal(preflight.status, 204);
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'authorization'])
      assert.ok(allowed.includes(header), header);
    const answer = await post(engine, INITIALIZE, { ...bearer(await key('page')), origin: 'https://app.example' });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('access-control-expose-headers') ?? '', /Mcp-Session-Id/);
  });
});
