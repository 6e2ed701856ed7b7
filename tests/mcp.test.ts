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
 * same manifests, called with an API key under the same scopes as HTTP, answers as
 * `structuredContent` the client checks against each tool's `outputSchema`, errors in
 * the tool's own terms, and a tool list that follows hot reloads with
 * notifications/tools/list_changed.
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
    assignee: { type: string, description: Who works on it. }
    priority: { type: integer, minimum: 1, maximum: 5, description: Urgency from 1 to 5. }
    details:
      type: object
      description: What the customer reported.
      properties:
        device: { type: string, description: The device concerned. }
        version: { type: string, description: Its software version. }
    extra: { type: object, description: Anything else the customer said. }
endpoints:
  - operation: list
    filters: [status, priority]
  - operation: search
    fields: [title]
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
`;

const LEDGERS = `name: ledgers
description: Ledgers two agents may edit at once.
storage: { backend: memory }
requireIfMatch: true
schema:
  type: object
  required: [balance]
  properties:
    balance: { type: integer, description: Balance in cents. }
endpoints:
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
`;

type Result = { content: { type: string; text: string }[]; structuredContent?: any; isError?: boolean };
const text = (result: unknown) => JSON.parse(((result as Result).content[0] as { text: string }).text);

describe('MCP at /mcp', () => {
  let project: TestProject;
  let server: RunningServer;
  let writer: string;
  let reader: string;
  let deleter: string;
  const clients: Client[] = [];

  before(async () => {
    project = makeProject({ 'tickets.yaml': TICKETS, 'ledgers.yaml': LEDGERS });
    server = await listen({ ...project.config(), audit: { enabled: true } }, silentLogger, { watch: { debounceMs: 20 } });
    const store = await server.engine.auth.store();
    writer = (await store.create({ name: 'mcp writer', scopes: ['tickets:read', 'tickets:write'] })).secret;
    reader = (await store.create({ name: 'mcp reader', scopes: ['tickets:read'] })).secret;
    deleter = (await store.create({ name: 'mcp admin', scopes: ['tickets:*', 'ledgers:*'] })).secret;
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

  it('lists one tool per endpoint the key may call, with input and output schemas and annotations', async () => {
    const client = await connect(writer);
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['listTickets', 'searchTickets', 'getTicket', 'createTicket', 'updateTicket'],
      'no delete: the key lacks tickets:delete',
    );
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    assert.deepEqual(byName.listTickets?.annotations, {
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    assert.equal(byName.createTicket?.annotations?.idempotentHint, false);
    assert.equal(byName.createTicket?.annotations?.destructiveHint, false);
    assert.equal(byName.updateTicket?.annotations?.destructiveHint, true, 'an update overwrites and clears fields');
    assert.match(
      byName.updateTicket?.description ?? '',
      /^Changes some fields of one ticket: `set` holds the fields to change \(null or left out: unchanged\), `clear` names optional fields to remove\./,
    );
    assert.doesNotMatch(byName.updateTicket?.description ?? '', /null removes/, 'not the merge-patch wording of HTTP');
    const create = byName.createTicket?.inputSchema as any;
    assert.deepEqual(Object.keys(create.properties), ['title', 'status', 'assignee', 'priority', 'details', 'extra']);
    assert.deepEqual(create.required, Object.keys(create.properties), 'every argument listed, as OpenAI strict mode asks');
    assert.equal(create.properties.title.type, 'string', 'a required field takes no null');
    assert.deepEqual(create.properties.status.anyOf[1], { type: 'null' }, 'an optional one does');
    assert.match(create.properties.status.description, /Null or left out: "open" \(the default\)/);
    const update = byName.updateTicket?.inputSchema as any;
    assert.deepEqual(update.required, ['id', 'set', 'clear', 'if_updated_at']);
    assert.ok(
      !JSON.stringify(update).includes('"default"'),
      'no default anywhere in an update: a client filling defaults would reset fields',
    );
    assert.match(update.properties.set.anyOf[0].properties.status.description, /Null or left out: unchanged/);
    assert.deepEqual(update.properties.clear.anyOf[0].items.enum, [
      'status',
      'assignee',
      'priority',
      'details',
      'details.device',
      'details.version',
      'extra',
    ]);
    const list = byName.listTickets?.inputSchema as any;
    assert.deepEqual(Object.keys(list.properties.filter.anyOf[0].properties), ['status', 'priority']);
    assert.ok(Object.keys(list.properties.filter.anyOf[0].properties.priority.anyOf[0].properties).includes('gte'));
    for (const tool of tools) assert.equal(tool.outputSchema?.type, 'object', `${tool.name} declares an outputSchema`);
    const readerTools = (await (await connect(reader)).listTools()).tools.map((t) => t.name);
    assert.deepEqual(readerTools, ['listTickets', 'searchTickets', 'getTicket']);
  });

  it('sends instructions on initialize: what the server is, the automations the key reaches, how lists page', async () => {
    const client = await connect(reader);
    const instructions = client.getInstructions() ?? '';
    assert.match(instructions, /theCouncil/);
    assert.match(instructions, /- tickets: Support tickets customers open\. Tools: listTickets, searchTickets, getTicket\./);
    assert.match(instructions, /meta\.next/);
    assert.match(instructions, /cursor/);
  });

  it('create, list, get, update and delete through the tools, answered as structuredContent that matches the outputSchema', async () => {
    const client = await connect(deleter);
    await client.listTools();
    const created = (await client.callTool({
      name: 'createTicket',
      arguments: {
        title: 'Printer on fire',
        status: null,
        assignee: 'ana',
        priority: 4,
        details: { device: 'LaserJet', version: null },
        extra: '{"floor": 3}',
      },
    })) as Result;
    assert.equal(created.isError, undefined);
    const record = created.structuredContent.data;
    assert.deepEqual(text(created), created.structuredContent, 'the same JSON as text, for clients that read only text');
    assert.equal(record.title, 'Printer on fire');
    assert.equal(record.status, 'open', 'null: the schema default applied');
    assert.deepEqual(record.details, { device: 'LaserJet' }, 'a null nested field is left out');
    assert.deepEqual(record.extra, { floor: 3 }, 'a free-form object arrives as JSON text and is stored as the object');
    const listed = (await client.callTool({
      name: 'listTickets',
      arguments: { filter: { status: { eq: 'open' }, priority: { gte: 3, in: [4, 5] } }, limit: 5, fields: ['title'] },
    })) as Result;
    assert.deepEqual(listed.structuredContent.data, [{ id: record.id, title: 'Printer on fire' }]);
    assert.equal(listed.structuredContent.meta.next, null);
    const found = (await client.callTool({ name: 'searchTickets', arguments: { q: 'printer', limit: 1, cursor: null } })) as Result;
    assert.deepEqual(
      found.structuredContent.data.map((r: { id: string }) => r.id),
      [record.id],
    );
    const got = (await client.callTool({ name: 'getTicket', arguments: { id: record.id, fields: ['title', 'status'] } })) as Result;
    assert.deepEqual(got.structuredContent.data, { id: record.id, title: 'Printer on fire', status: 'open' });
    const updated = (await client.callTool({
      name: 'updateTicket',
      arguments: {
        id: record.id,
        set: { status: 'closed', title: null, assignee: null, details: { version: '2.1' } },
        clear: ['assignee'],
      },
    })) as Result;
    const after = updated.structuredContent.data;
    assert.equal(after.status, 'closed');
    assert.equal(after.title, 'Printer on fire', 'null in set: unchanged');
    assert.equal(after.assignee, undefined, 'cleared');
    assert.deepEqual(after.details, { device: 'LaserJet', version: '2.1' }, 'a nested object is merged into');
    assert.equal(after.priority, 4);
    const reset = (await client.callTool({
      name: 'updateTicket',
      arguments: { id: record.id, set: null, clear: ['status', 'details.device'] },
    })) as Result;
    assert.equal(reset.structuredContent.data.status, 'open', 'a cleared field with a default takes it again');
    assert.deepEqual(reset.structuredContent.data.details, { version: '2.1' });
    const deleted = (await client.callTool({ name: 'deleteTicket', arguments: { id: record.id } })) as Result;
    assert.deepEqual(deleted.structuredContent, { deleted: true, id: record.id });
    const entries = await server.engine.audit.list({ automation: 'tickets' });
    assert.ok(
      entries.some((e) => e.action === 'create' && e.outcome === 'ok' && e.recordId === record.id),
      'the tool call is audited like the HTTP request',
    );
  });

  it('mistakes come back as tool errors in the tool’s own terms, without structuredContent', async () => {
    const client = await connect(writer);
    await client.listTools();
    const invalid = (await client.callTool({ name: 'createTicket', arguments: { title: 'x', status: 'opne' } })) as Result;
    assert.equal(invalid.isError, true);
    assert.equal(invalid.structuredContent, undefined);
    const problem = text(invalid);
    assert.equal(problem.code, 'validation-failed');
    assert.equal(problem.errors[0].pointer, '/status');
    assert.equal(problem.errors[0].suggestion, 'open');
    const unknown = text(await client.callTool({ name: 'listTickets', arguments: { 'status[ne]': 'open' } }));
    assert.equal(unknown.code, 'validation-failed');
    assert.equal(unknown.errors[0].pointer, '/status[ne]');
    assert.match(unknown.errors[0].message, /not an allowed property/);
    const nested = text(await client.callTool({ name: 'updateTicket', arguments: { id: crypto.randomUUID(), set: { priority: 9 } } }));
    assert.equal(nested.errors[0].pointer, '/set/priority');
    const missing = text(await client.callTool({ name: 'getTicket', arguments: { id: crypto.randomUUID() } }));
    assert.equal(missing.code, 'not-found');
    assert.match(missing.detail, /call listTickets to find existing ids/);
    assert.doesNotMatch(missing.detail, /\/tickets/, 'no HTTP path in a tool result');
    const badCursor = text(await client.callTool({ name: 'listTickets', arguments: { cursor: 'not-a-cursor' } }));
    assert.equal(badCursor.code, 'invalid-query');
    assert.equal(badCursor.errors[0].pointer, '/cursor');
    assert.match(badCursor.detail, /^the arguments are not what listTickets accepts/);
    const created = (await client.callTool({ name: 'createTicket', arguments: { title: 'x' } })) as Result;
    const inJson = text(
      await client.callTool({ name: 'updateTicket', arguments: { id: created.structuredContent.data.id, set: { extra: '{"a": ' } } }),
    );
    assert.equal(inJson.errors[0].pointer, '/set/extra');
    assert.match(inJson.errors[0].message, /must be JSON text/);
    const both = text(
      await client.callTool({
        name: 'updateTicket',
        arguments: { id: created.structuredContent.data.id, set: { assignee: 'bo' }, clear: ['assignee'] },
      }),
    );
    assert.equal(both.errors[0].pointer, '/clear/0');
    const readerClient = await connect(reader);
    const denied = await readerClient.callTool({ name: 'createTicket', arguments: { title: 'x' } });
    assert.equal(denied.isError, true);
    assert.equal(text(denied).code, 'forbidden', 'a tool not listed for the key is still refused by its scope');
    const absent = await client.callTool({ name: 'dropTables', arguments: {} });
    assert.equal(absent.isError, true);
  });

  it('a number a double cannot carry exactly is refused, never rounded into the record', async () => {
    const client = await connect(deleter);
    const session = (client.transport as StreamableHTTPClientTransport).sessionId ?? '';
    // The SDK's client writes JavaScript numbers; the digits a model may send need raw JSON.
    const call = (balance: string) =>
      fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${deleter}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
        },
        body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"createLedger","arguments":{"balance":${balance}}}}`,
      });
    const refused = await call('9007199254740993');
    assert.equal(refused.status, 422);
    const problem = await refused.json();
    assert.equal(problem.code, 'validation-failed');
    assert.deepEqual(
      problem.errors.map((e: { pointer: string }) => e.pointer),
      ['/balance'],
    );
    assert.match(problem.detail, /9007199254740993/);
    const ledgers = server.engine.registry.match('ledgers');
    assert.ok(ledgers);
    const { records: stored } = await ledgers.store.list({ filters: [], sort: { field: 'createdAt', direction: 'asc' }, limit: 100 });
    assert.equal(
      stored.some((r) => r.balance === 9007199254740992),
      false,
      'nothing rounded was written',
    );
    const exact = await call('9007199254740992');
    assert.equal(exact.status, 200, 'a number a double carries goes through');
  });

  it('writes may say which version they change (if_updated_at, sent as If-Match); an automation that requires it gets it from every write', async () => {
    const client = await connect(deleter);
    const { tools } = await client.listTools();
    const updateLedger = tools.find((t) => t.name === 'updateLedger')?.inputSchema as any;
    assert.equal(updateLedger.properties.if_updated_at.type, 'string', 'required here: not nullable');
    assert.match(updateLedger.properties.if_updated_at.description, /Required by this automation: call getLedger first/);
    const ledger = ((await client.callTool({ name: 'createLedger', arguments: { balance: 100 } })) as Result).structuredContent.data;
    const without = text(await client.callTool({ name: 'updateLedger', arguments: { id: ledger.id, set: { balance: 50 } } }));
    assert.equal(without.code, 'validation-failed');
    assert.equal(without.errors[0].pointer, '/if_updated_at');
    const changed = (await client.callTool({
      name: 'updateLedger',
      arguments: { id: ledger.id, set: { balance: 50 }, if_updated_at: ledger.updatedAt },
    })) as Result;
    assert.equal(changed.structuredContent.data.balance, 50);
    const stale = text(
      await client.callTool({ name: 'updateLedger', arguments: { id: ledger.id, set: { balance: 0 }, if_updated_at: ledger.updatedAt } }),
    );
    assert.equal(stale.code, 'precondition-failed');
    assert.equal(
      stale.detail,
      `the record changed since you read it (its updatedAt is now ${changed.structuredContent.data.updatedAt}); call getLedger again, reapply your change to what it holds now, and retry with its new updatedAt as if_updated_at`,
    );
    const gone = (await client.callTool({
      name: 'deleteLedger',
      arguments: { id: ledger.id, if_updated_at: changed.structuredContent.data.updatedAt },
    })) as Result;
    assert.deepEqual(gone.structuredContent, { deleted: true, id: ledger.id });
    const ticket = ((await client.callTool({ name: 'createTicket', arguments: { title: 'x' } })) as Result).structuredContent.data;
    const optional = (await client.callTool({
      name: 'updateTicket',
      arguments: { id: ticket.id, set: { title: 'y' }, if_updated_at: null },
    })) as Result;
    assert.equal(optional.structuredContent.data.title, 'y', 'optional where the automation does not require it');
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
