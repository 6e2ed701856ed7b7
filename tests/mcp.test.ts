import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { makeProject, type TestProject } from './support/project.ts';

/**
 * The MCP endpoint through the SDK's own client over streamable HTTP: tools from the
 * same manifests, called with an API key under the same scopes as HTTP, and a tool list
 * that follows hot reloads with notifications/tools/list_changed.
 */
const TICKETS = `name: tickets
description: Support tickets customers open.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, description: One-line summary. }
    status: { type: string, enum: [open, closed], default: open, description: Where it stands. }
endpoints:
  - operation: list
    filters: [status]
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
`;

const text = (result: unknown) => JSON.parse(((result as { content: { text: string }[] }).content[0] as { text: string }).text);

describe('MCP at /mcp', () => {
  let project: TestProject;
  let server: RunningServer;
  let writer: string;
  let reader: string;
  const clients: Client[] = [];

  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS });
    server = await listen({ ...project.config(), audit: { enabled: true } }, silentLogger, { watch: { debounceMs: 20 } });
    const store = await server.engine.auth.store();
    writer = (await store.create({ name: 'mcp writer', scopes: ['tickets:read', 'tickets:write'] })).secret;
    reader = (await store.create({ name: 'mcp reader', scopes: ['tickets:read'] })).secret;
  });
  after(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await server.close();
    project.remove();
  });

  async function connect(key?: string): Promise<Client> {
    const client = new Client({ name: 'council-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: key ? { authorization: `Bearer ${key}` } : {} },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  it('lists one tool per endpoint the key may call, with input schemas and annotations', async () => {
    const client = await connect(writer);
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['listTickets', 'getTicket', 'createTicket', 'updateTicket'],
      'no delete: the key lacks tickets:delete',
    );
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    assert.deepEqual(byName.listTickets?.annotations, {
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    assert.deepEqual(byName.createTicket?.annotations?.idempotentHint, false);
    assert.deepEqual(byName.createTicket?.inputSchema.required, ['title']);
    assert.deepEqual(Object.keys(byName.createTicket?.inputSchema.properties ?? {}), ['title', 'status']);
    assert.deepEqual(byName.updateTicket?.inputSchema.required, ['id']);
    assert.ok(Object.keys(byName.listTickets?.inputSchema.properties ?? {}).includes('status'));
    const readerTools = (await (await connect(reader)).listTools()).tools.map((t) => t.name);
    assert.deepEqual(readerTools, ['listTickets', 'getTicket']);
    assert.deepEqual((await (await connect()).listTools()).tools, [], 'without a key, no locked tool');
  });

  it('create, list and get through the tools, answered as HTTP answers them', async () => {
    const client = await connect(writer);
    const created = await client.callTool({ name: 'createTicket', arguments: { title: 'Printer on fire' } });
    assert.equal(created.isError, false);
    const record = text(created).data;
    assert.equal(record.title, 'Printer on fire');
    assert.equal(record.status, 'open', 'the schema default applied');
    const listed = await client.callTool({ name: 'listTickets', arguments: { status: 'open', limit: 5 } });
    assert.deepEqual(
      text(listed).data.map((r: { id: string }) => r.id),
      [record.id],
    );
    const got = await client.callTool({ name: 'getTicket', arguments: { id: record.id, fields: 'title' } });
    assert.deepEqual(text(got).data, { id: record.id, title: 'Printer on fire' });
    const updated = await client.callTool({ name: 'updateTicket', arguments: { id: record.id, status: 'closed' } });
    assert.equal(text(updated).data.status, 'closed');
    const entries = await server.engine.audit.list({ automation: 'tickets' });
    assert.ok(
      entries.some((e) => e.action === 'create' && e.outcome === 'ok' && e.recordId === record.id),
      'the tool call is audited like the HTTP request',
    );
  });

  it('mistakes come back as tool errors with the same problem a model corrects itself from', async () => {
    const client = await connect(writer);
    const invalid = await client.callTool({ name: 'createTicket', arguments: { title: 'x', status: 'opne' } });
    assert.equal(invalid.isError, true);
    const problem = text(invalid);
    assert.equal(problem.code, 'validation-failed');
    assert.equal(problem.errors[0].suggestion, 'open');
    const readerClient = await connect(reader);
    const denied = await readerClient.callTool({ name: 'createTicket', arguments: { title: 'x' } });
    assert.equal(denied.isError, true);
    assert.equal(text(denied).code, 'forbidden', 'a tool not listed for the key is still refused by its scope');
    const missing = await client.callTool({ name: 'dropTables', arguments: {} });
    assert.equal(missing.isError, true);
  });

  it('a bad key is refused with the usual 401 before any session starts', async () => {
    await assert.rejects(connect('ck_not_a_real_key'), /401|nauthorized/);
  });

  it('a manifest edit changes the tool list and the client is told so', async () => {
    const client = await connect(writer);
    let told = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      told++;
    });
    // Give the client's server-sent-event stream a moment to open.
    await sleep(200);
    project.write('tickets.yaml', `${TICKETS}  - operation: replace\n`);
    const deadline = Date.now() + 10_000;
    while (told === 0 && Date.now() < deadline) await sleep(50);
    assert.ok(told > 0, 'notifications/tools/list_changed arrived');
    const { tools } = await client.listTools();
    assert.ok(
      tools.some((t) => t.name === 'replaceTicket'),
      tools.map((t) => t.name).join(', '),
    );
  });
});
