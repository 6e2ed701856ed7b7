import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { redisServerGate } from './support/redis-server.ts';

/**
 * Tickets on the PostgreSQL server referring to accounts on Redis: two stores that share
 * nothing, so every check, embed and refusal is the engine's own (issue 18's cross-backend
 * case), through HTTP and through MCP.
 */
const pg = await postgresServerGate();
const redis = await redisServerGate();
const tag = `${process.pid}${Date.now().toString(36)}`;
const ACCOUNTS = `xaccounts-${tag}`;
const TICKETS = `xtickets-${tag}`;

const accounts = `name: ${ACCOUNTS}
singular: xaccount
description: Customer accounts, kept in Redis.
storage: { backend: redis, connection: cache }
schema:
  type: object
  required: [name]
  properties:
    name: { type: string, maxLength: 100, description: Company name. }
endpoints:
  - operation: get
  - operation: create
  - operation: delete
`;
const tickets = `name: ${TICKETS}
singular: xticket
description: Support tickets, kept in PostgreSQL, each for one account.
storage: { backend: postgres, connection: pg }
references:
  account: { field: accountId, automation: ${ACCOUNTS}, inverse: tickets }
schema:
  type: object
  required: [title, accountId]
  properties:
    title: { type: string, maxLength: 100, description: What went wrong. }
    accountId: { type: string, format: uuid, description: The account the ticket is for. }
    status: { type: string, enum: [open, closed], description: Whether it is still open. }
endpoints:
  - operation: list
    filters: [status]
    sort: [title]
  - operation: get
  - operation: create
  - operation: delete
`;

describe('tickets on PostgreSQL referring to accounts on Redis', { skip: pg.skip || redis.skip }, () => {
  let project: TestProject;
  let server: RunningServer;
  let key: Record<string, string>;
  const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body, key);
  const redisCalls = async () => {
    const metrics = (await call(server.url, 'GET', '/metrics', undefined, adminHeaders(server))).text;
    const calls = (method: string) =>
      Number(
        new RegExp(`council_store_calls_total\\{connection="cache",method="${method}",outcome="ok"\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
      );
    return { get: calls('get'), getMany: calls('getMany') };
  };

  before(async () => {
    project = makeProject(
      { 'accounts.yaml': accounts, 'tickets.yaml': tickets },
      {
        pg: { backend: 'postgres', url: pg.url },
        cache: { backend: 'redis', url: redis.url },
        postgres: { backend: 'postgres', url: pg.url },
      },
    );
    server = await listen(project.config(), silentLogger);
    const made = await call(
      server.url,
      'POST',
      '/admin/keys',
      { name: 'across', scopes: [`${ACCOUNTS}:*`, `${TICKETS}:*`] },
      adminHeaders(server),
    );
    key = { authorization: `Bearer ${made.json.secret}` };
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('checks, embeds, lists in reverse and restricts across the two stores over HTTP', async () => {
    const acme = (await api('POST', `/${ACCOUNTS}`, { name: 'Acme' })).json.data.id;
    const globex = (await api('POST', `/${ACCOUNTS}`, { name: 'Globex' })).json.data.id;
    const missing = await api('POST', `/${TICKETS}`, { title: 'Lost', accountId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.status, 422);
    assert.equal(missing.json.code, 'reference-missing');
    for (const [title, accountId] of [
      ['Printer', acme],
      ['Fax', acme],
      ['Phone', globex],
    ]) {
      assert.equal((await api('POST', `/${TICKETS}`, { title, accountId, status: 'open' })).status, 201);
    }
    const before = await redisCalls();
    const page = await api('GET', `/${TICKETS}?expand=account&sort=title&fields=title,account.name`);
    assert.equal(page.status, 200, page.text);
    // The page read its accounts in one getMany on Redis, not one get per ticket.
    const afterwards = await redisCalls();
    assert.equal(afterwards.getMany - before.getMany, 1);
    assert.equal(afterwards.get - before.get, 0);
    assert.deepEqual(
      page.json.data.map((t: { title: string; account: { name: string } }) => `${t.title}@${t.account.name}`),
      ['Fax@Acme', 'Phone@Globex', 'Printer@Acme'],
    );
    const reverse = await api('GET', `/${ACCOUNTS}/${acme}/tickets?sort=-title`);
    assert.deepEqual(
      reverse.json.data.map((t: { title: string }) => t.title),
      ['Printer', 'Fax'],
    );
    const refused = await api('DELETE', `/${ACCOUNTS}/${acme}`);
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.json.errors, [{ pointer: `/${TICKETS}/accountId`, message: `2 ${TICKETS} records refer to it by accountId` }]);
    assert.equal((await api('GET', `/${ACCOUNTS}/${acme}`)).status, 200);
    for (const ticket of reverse.json.data) assert.equal((await api('DELETE', `/${TICKETS}/${ticket.id}`)).status, 204);
    assert.equal((await api('DELETE', `/${ACCOUNTS}/${acme}`)).status, 204);
  });

  it('embeds, lists in reverse and restricts across the two stores over MCP', async () => {
    const client = new Client({ name: 'council-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: key } }));
    type Result = {
      isError?: boolean;
      structuredContent: { data: Record<string, unknown> & Array<Record<string, unknown>>; code?: string };
    };
    const problem = (result: Result) => {
      assert.equal(result.isError, true, JSON.stringify(result));
      return JSON.parse((result as unknown as { content: [{ text: string }] }).content[0].text) as { code: string };
    };
    const tool = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as unknown as Result;
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      // Named after the relation and the referring automation's plural: listAccountXtickets….
      const reverseTool = names.find((n) => n.startsWith('listAccountXtickets'));
      assert.ok(reverseTool, names.join(', '));
      const initech = (await tool('createXaccount', { name: 'Initech' })).structuredContent.data.id as string;
      const created = await tool('createXticket', { title: 'Stapler', accountId: initech, status: 'open' });
      assert.equal(created.isError, undefined, JSON.stringify(created));
      const lost = await tool('createXticket', { title: 'Lost', accountId: crypto.randomUUID(), status: 'open' });
      assert.equal(problem(lost).code, 'reference-missing');
      const got = await tool('getXticket', { id: created.structuredContent.data.id, expand: ['account'] });
      assert.equal(got.isError, undefined, JSON.stringify(got));
      assert.deepEqual((got.structuredContent.data.account as { name: string }).name, 'Initech');
      const reverse = await tool(reverseTool, { id: initech });
      assert.deepEqual(
        reverse.structuredContent.data.map((t) => t.title),
        ['Stapler'],
      );
      const refused = await tool('deleteXaccount', { id: initech });
      assert.equal(problem(refused).code, 'still-referenced');
    } finally {
      await client.close();
    }
  });
});
