import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JsonSchema } from '../engine/compile/plan.ts';
import { silentLogger } from '../engine/log.ts';
import { checkTool } from '../engine/mcp/client-rules.ts';
import { toolsOf } from '../engine/mcp/tools.ts';
import { relatedPlans } from '../engine/openapi/related.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { REFERENCE_MANIFESTS, referencePlans } from './support/reference-manifests.ts';

/**
 * References through MCP (mcp.md): list and get tools take `expand` (an enum of relations),
 * each reverse list is a tool (`listAccountTickets`), and every call goes through the HTTP
 * route, so scopes, 404s and deletes that are refused answer as they do there.
 */
type Result = { content: { type: string; text: string }[]; structuredContent?: any; isError?: boolean };
/** The values of the list an `anyOf: [array, null]` argument takes. */
const itemsEnum = (argument: unknown) => {
  const [list] = ((argument as JsonSchema | undefined)?.anyOf ?? []) as JsonSchema[];
  return (list?.items as JsonSchema | undefined)?.enum as string[] | undefined;
};
const problemOf = (result: unknown) => {
  const r = result as Result;
  assert.equal(r.isError, true, JSON.stringify(r));
  return JSON.parse((r.content[0] as { text: string }).text);
};

describe('MCP tools of automations that refer to each other, built from the plans', () => {
  const plans = referencePlans();
  const related = relatedPlans([...plans.values()]);
  const tools = [...plans.values()].flatMap((plan) => toolsOf(plan, related));
  const named = (name: string) => {
    const tool = tools.find((t) => t.definition.name === name);
    assert.ok(tool, name);
    return tool;
  };

  it('every tool, expand and reverse lists included, is accepted by Claude, Gemini and OpenAI strict mode', () => {
    for (const { definition } of tools) assert.deepEqual(checkTool(definition), [], definition.name);
    assert.deepEqual(
      tools
        .filter((t) => t.reference)
        .map((t) => t.definition.name)
        .sort(),
      ['listAccountProjects', 'listAccountTickets', 'listOwnerAccounts', 'listProjectTasks'],
    );
  });

  it('expand is a list of relation names, the second level included; fields also takes relation.field', () => {
    const input = named('getTicket').definition.inputSchema;
    const expand = input.properties.expand as JsonSchema;
    assert.deepEqual(itemsEnum(expand), ['account', 'account.owner']);
    assert.match(
      String(expand.description),
      /account \(the accounts record `accountId` holds the id of; the API key needs accounts:read\)/,
    );
    assert.ok((input.required as string[]).includes('expand'));
    assert.ok(itemsEnum(input.properties.fields)?.includes('account.title'));
    assert.match(
      named('listTickets').definition.description,
      /With `expand`, each record also holds the records it refers to: account \(accounts; needs accounts:read\)\./,
    );
    // No references: no expand.
    assert.equal(named('getUser').definition.inputSchema.properties.expand, undefined);
  });

  it('a reverse list tool takes the referred id, then its list tool arguments; it reads, and answers a page', () => {
    const reverse = named('listAccountTickets');
    const list = named('listTickets');
    assert.deepEqual(Object.keys(reverse.definition.inputSchema.properties), [
      'id',
      ...Object.keys(list.definition.inputSchema.properties),
    ]);
    assert.deepEqual(reverse.definition.annotations, list.definition.annotations);
    assert.deepEqual(reverse.definition.outputSchema, list.definition.outputSchema);
    assert.deepEqual(reverse.endpoint.access, list.endpoint.access);
    assert.equal(reverse.endpoint.path, '/accounts/{id}/tickets');
    assert.match(reverse.definition.description, /^Lists the tickets whose `accountId` is the given accounts record's id/);
  });

  it('a delete tool says what else it deletes, and is destructive', () => {
    const remove = named('deleteAccount').definition;
    assert.match(remove.description, /also deletes the projects that refer to it/);
    assert.equal(remove.annotations.destructiveHint, true);
  });

  it('tools follow what their references reach: rebuilt when a referred automation changes', () => {
    const tickets = plans.get('tickets');
    assert.ok(tickets);
    const first = toolsOf(tickets, related);
    assert.equal(toolsOf(tickets, related), first, 'built once');
    const without = relatedPlans([...plans.values()].filter((p) => p.name !== 'accounts'));
    const enumOf = (built: typeof first) =>
      itemsEnum(built.find((t) => t.definition.name === 'getTicket')?.definition.inputSchema.properties.expand);
    assert.deepEqual(enumOf(toolsOf(tickets, without)), ['account']);
  });
});

describe('MCP tools of automations that refer to each other, called over MCP', () => {
  let project: TestProject;
  let server: RunningServer;
  const clients: Client[] = [];
  const ids: Record<string, string> = {};
  const keyWith = async (scopes: string[]) => {
    const made = await call(server.url, 'POST', '/admin/keys', { name: `mcp refs ${scopes.join(' ')}`, scopes }, adminHeaders(server));
    assert.equal(made.status, 201, made.text);
    return { authorization: `Bearer ${made.json.secret}` };
  };
  const connect = async (headers: Record<string, string>) => {
    const client = new Client({ name: 'council-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } }));
    clients.push(client);
    return {
      client,
      tool: async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result,
    };
  };
  let admin: Awaited<ReturnType<typeof connect>>;
  let key: Record<string, string>;

  before(async () => {
    project = makeProject({ ...REFERENCE_MANIFESTS });
    server = await listen(project.config(), silentLogger);
    key = await keyWith(['*']);
    const created = async (path: string, body: Record<string, unknown>) => {
      const answer = await call(server.url, 'POST', path, body, key);
      assert.equal(answer.status, 201, answer.text);
      return answer.json.data.id as string;
    };
    ids.owner = await created('/users', { title: 'Ada' });
    ids.account = await created('/accounts', { title: 'Acme', ownerId: ids.owner });
    ids.other = await created('/accounts', { title: 'Globex' });
    ids.open = await created('/tickets', { title: 'Printer', accountId: ids.account, status: 'open' });
    ids.closed = await created('/tickets', { title: 'Fax', accountId: ids.account, status: 'closed' });
    ids.elsewhere = await created('/tickets', { title: 'Lamp', accountId: ids.other, status: 'open' });
    admin = await connect(key);
  });
  after(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await server?.close();
    project?.remove();
  });

  it('tools/list has a tool per reverse list, and the instructions say what expand does', async () => {
    const names = (await admin.client.listTools()).tools.map((t) => t.name);
    for (const name of ['listAccountTickets', 'listAccountProjects', 'listProjectTasks', 'listOwnerAccounts'])
      assert.ok(names.includes(name), name);
    assert.match(String(admin.client.getInstructions()), /list and get tools take expand/);
    assert.match(String(admin.client.getInstructions()), /tickets: .* Tools: listTickets, .*listAccountTickets\./);
  });

  it('get and list embed what expand names, with fields inside, as HTTP does', async () => {
    const got = await admin.tool('getTicket', { id: ids.open, expand: ['account.owner'], fields: ['title', 'account.title'] });
    assert.equal(got.isError, undefined, JSON.stringify(got));
    const http = await call(server.url, 'GET', `/tickets/${ids.open}?fields=title,account.title&expand=account.owner`, undefined, key);
    assert.deepEqual(got.structuredContent, http.json);
    const { account } = got.structuredContent.data;
    assert.deepEqual([account.id, account.title, account.owner.title], [ids.account, 'Acme', 'Ada']);
    assert.deepEqual(Object.keys(account).sort(), ['id', 'owner', 'title'], 'only the fields asked for, and the relation');
    const listed = await admin.tool('listTickets', { expand: ['account'], filter: { status: { eq: 'open' } } });
    assert.equal(listed.isError, undefined, JSON.stringify(listed));
    for (const ticket of listed.structuredContent.data) assert.equal(ticket.account.id, ticket.accountId);
    const wrong = problemOf(await admin.tool('getTicket', { id: ids.open, expand: ['acount'] }));
    assert.equal(wrong.code, 'validation-failed');
    assert.equal(wrong.errors[0].pointer, '/expand/0');
  });

  it("the reverse list tool lists one account's tickets with the list's filters and paging; an unknown account is not-found", async () => {
    const all = await admin.tool('listAccountTickets', { id: ids.account, count: true });
    assert.equal(all.isError, undefined, JSON.stringify(all));
    assert.deepEqual(all.structuredContent.data.map((t: { id: string }) => t.id).sort(), [ids.open, ids.closed].sort());
    assert.equal(all.structuredContent.meta.count, 2);
    const open = await admin.tool('listAccountTickets', {
      id: ids.account,
      filter: { status: { eq: 'open' } },
      expand: ['account'],
      limit: 1,
    });
    assert.deepEqual(
      open.structuredContent.data.map((t: { id: string; account: { title: string } }) => [t.id, t.account.title]),
      [[ids.open, 'Acme']],
    );
    const missing = problemOf(await admin.tool('listAccountTickets', { id: crypto.randomUUID() }));
    assert.equal(missing.code, 'not-found');
  });

  it("scopes: expand needs the referred automation's read scope; the reverse list needs the list's", async () => {
    const ticketsOnly = await connect(await keyWith(['tickets:read']));
    const names = (await ticketsOnly.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names.sort(), ['getTicket', 'listAccountTickets', 'listTickets']);
    const refused = problemOf(await ticketsOnly.tool('getTicket', { id: ids.open, expand: ['account'] }));
    assert.equal(refused.code, 'forbidden');
    assert.match(refused.detail, /accounts:read/);
    assert.equal((await ticketsOnly.tool('listAccountTickets', { id: ids.account })).isError, undefined);
    const accountsOnly = await connect(await keyWith(['accounts:read']));
    assert.ok(!(await accountsOnly.client.listTools()).tools.some((t) => t.name === 'listAccountTickets'));
    assert.equal(problemOf(await accountsOnly.tool('listAccountTickets', { id: ids.account })).code, 'forbidden');
  });

  it('a delete refused while tickets refer to the account is a tool error naming what refers', async () => {
    const refused = problemOf(await admin.tool('deleteAccount', { id: ids.other }));
    assert.equal(refused.code, 'still-referenced');
    assert.deepEqual(refused.errors, [{ pointer: '/tickets/accountId', message: '1 tickets record refers to it by accountId' }]);
  });
});
