import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

/**
 * The search, replace and delete tools through the SDK's client over streamable HTTP
 * (mcp.md): each answers what its HTTP endpoint answers for the same request, pages and
 * preconditions included, and its mistakes come back as tool errors.
 */
const NOTES = `name: notes
description: Notes a team keeps.
storage: { backend: memory }
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, maxLength: 200, description: What the note is about. }
    body: { type: string, maxLength: 2000, description: The note itself. }
    status: { type: string, enum: [draft, final], default: draft, description: Whether it is done. }
    tags: { type: array, items: { type: string, maxLength: 20 }, maxItems: 5, description: Labels. }
endpoints:
  - operation: list
  - operation: search
    fields: [title, body]
  - operation: get
  - operation: create
  - operation: replace
  - operation: delete
`;

type Result = { content: { type: string; text: string }[]; structuredContent?: any; isError?: boolean };
const problemOf = (result: unknown) => {
  const r = result as Result;
  assert.equal(r.isError, true, JSON.stringify(r));
  assert.equal(r.structuredContent, undefined);
  return JSON.parse((r.content[0] as { text: string }).text);
};

const pg = await postgresServerGate();

describe('MCP tools: search, replace, delete', () => {
  let project: TestProject;
  let server: RunningServer;
  let key: Record<string, string>;
  let client: Client;
  const ids: Record<string, string> = {};
  const tool = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;

  before(async () => {
    // Keys on the PostgreSQL server when there is one: embedded PGlite takes long to create.
    project = makeProject({ 'notes.yaml': NOTES }, pg.skip ? {} : { postgres: { backend: 'postgres', url: pg.url } });
    server = await listen(project.config(), silentLogger);
    const made = await call(server.url, 'POST', '/admin/keys', { name: 'mcp tools', scopes: ['notes:*'] }, adminHeaders(server));
    assert.equal(made.status, 201, made.text);
    key = { authorization: `Bearer ${made.json.secret}` };
    for (const [name, note] of Object.entries({
      printer: { title: 'Printer jams', body: 'The printer on floor 3 jams; printer toner low' },
      toner: { title: 'Order toner', body: 'For the printer' },
      lunch: { title: 'Team lunch', body: 'Friday' },
      fax: { title: 'Fax machine', body: 'Nobody uses it, printer does scanning' },
    })) {
      ids[name] = (await call(server.url, 'POST', '/notes', note, key)).json.data.id;
    }
    client = new Client({ name: 'council-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: key } }));
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['listNotes', 'searchNotes', 'getNote', 'createNote', 'replaceNote', 'deleteNote'],
    );
  });
  after(async () => {
    await client?.close().catch(() => {});
    await server?.close();
    project?.remove();
  });

  it('search pages through the matches in the order HTTP gives, cursor by cursor', async () => {
    const http = await call(server.url, 'GET', '/notes/search?q=printer&limit=100', undefined, key);
    const expected = http.json.data.map((r: { id: string }) => r.id);
    assert.deepEqual([...expected].sort(), [ids.printer, ids.toner, ids.fax].sort(), 'the notes that mention a printer');
    assert.equal(expected[0], ids.printer, 'the most relevant first');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Result = await tool('searchNotes', { q: cursor ? null : 'printer', limit: 2, cursor, fields: ['title'] });
      assert.equal(page.isError, undefined, JSON.stringify(page));
      for (const record of page.structuredContent.data) {
        assert.deepEqual(Object.keys(record).sort(), ['id', 'title'], 'only the fields asked for');
        seen.push(record.id);
      }
      cursor = page.structuredContent.meta.next;
      pages++;
    } while (cursor && pages < 5);
    assert.deepEqual(seen, expected, 'every match once, in order');
    assert.equal(pages, 2);
    assert.deepEqual((await tool('searchNotes', { q: 'submarine' })).structuredContent.data, []);
    const empty = problemOf(await tool('searchNotes', { q: '   ' }));
    assert.equal(empty.code, 'invalid-query');
    const neither = problemOf(await tool('searchNotes', { q: null, cursor: null }));
    assert.equal(neither.code, 'invalid-query');
  });

  it('replace writes the record as given: fields not sent are removed or take their default', async () => {
    const id = ids.toner as string;
    const before = await call(server.url, 'GET', `/notes/${id}`, undefined, key);
    const replaced = await tool('replaceNote', { id, title: 'Toner ordered', status: 'final', tags: ['office'], body: null });
    assert.equal(replaced.isError, undefined, JSON.stringify(replaced));
    const record = replaced.structuredContent.data;
    assert.equal(record.id, id);
    assert.equal(record.title, 'Toner ordered');
    assert.deepEqual(record.tags, ['office']);
    assert.equal('body' in record, false, 'not sent (null): removed');
    assert.equal(record.createdAt, before.json.data.createdAt);
    assert.notEqual(record.updatedAt, before.json.data.updatedAt);
    assert.deepEqual((await call(server.url, 'GET', `/notes/${id}`, undefined, key)).json.data, record, 'what HTTP reads back');

    const reset = (await tool('replaceNote', { id, title: 'Toner ordered', if_updated_at: record.updatedAt })).structuredContent.data;
    assert.equal(reset.status, 'draft', 'left out: the default again');
    assert.equal('tags' in reset, false);
    const stale = problemOf(await tool('replaceNote', { id, title: 'Lost update', if_updated_at: record.updatedAt }));
    assert.equal(stale.code, 'precondition-failed');
    assert.equal((await call(server.url, 'GET', `/notes/${id}`, undefined, key)).json.data.title, 'Toner ordered', 'nothing written');
    const invalid = problemOf(await tool('replaceNote', { id, title: 'x', status: 'done' }));
    assert.equal(invalid.code, 'validation-failed');
    assert.equal(invalid.errors[0].pointer, '/status');
    const missing = problemOf(await tool('replaceNote', { id: crypto.randomUUID(), title: 'x' }));
    assert.equal(missing.code, 'not-found');
  });

  it('delete removes the record once; a stale if_updated_at or a second delete removes nothing', async () => {
    const id = ids.lunch as string;
    const current = (await call(server.url, 'GET', `/notes/${id}`, undefined, key)).json.data;
    await call(server.url, 'PUT', `/notes/${id}`, { title: 'Team lunch moved' }, key);
    const stale = problemOf(await tool('deleteNote', { id, if_updated_at: current.updatedAt }));
    assert.equal(stale.code, 'precondition-failed');
    assert.equal((await call(server.url, 'GET', `/notes/${id}`, undefined, key)).status, 200, 'still there');
    const deleted = await tool('deleteNote', { id });
    assert.deepEqual(deleted.structuredContent, { deleted: true, id });
    assert.equal((await call(server.url, 'GET', `/notes/${id}`, undefined, key)).status, 404);
    const again = problemOf(await tool('deleteNote', { id }));
    assert.equal(again.code, 'not-found');
    assert.match(again.detail, /call listNotes to find existing ids/);
    const left = (await call(server.url, 'GET', '/notes?limit=100', undefined, key)).json.data.map((r: { id: string }) => r.id);
    assert.equal(left.includes(id), false);
    assert.equal(left.length, 3, 'only that record went');
  });
  it('/metrics counts the session, each tool call by outcome, and the call as a request of its endpoint by the key', async () => {
    const scrape = async () => (await call(server.url, 'GET', '/metrics', undefined, adminHeaders(server))).text;
    const sample = (text: string, name: string, labels: string) =>
      Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = await scrape();
    await tool('searchNotes', { q: 'printer' });
    problemOf(await tool('getNote', { id: '0190a5e4-0000-7000-8000-000000000000' }));
    const after = await scrape();
    const delta = (name: string, labels: string) => sample(after, name, labels) - sample(before, name, labels);
    assert.equal(delta('council_mcp_tool_calls_total', 'tool="searchNotes",outcome="ok"'), 1);
    assert.equal(delta('council_mcp_tool_calls_total', 'tool="getNote",outcome="error"'), 1);
    assert.equal(delta('council_requests_total', 'automation="notes",operation="search",status_class="2xx",key="mcp tools"'), 1);
    assert.equal(delta('council_requests_total', 'automation="notes",operation="get",status_class="4xx",key="mcp tools"'), 1);
    assert.ok(sample(after, 'council_mcp_sessions', '') >= 1 || /^council_mcp_sessions [1-9]/m.test(after), 'the session is open');
  });
});
