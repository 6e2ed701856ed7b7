import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { capabilities } from '../adapters/capabilities.ts';
import { silentLogger } from '../engine/log.ts';
import { checkTool } from '../engine/mcp/client-rules.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';
import { storesHere } from './support/stores-here.ts';

/**
 * `POST /NAME/batch` and `PUT /NAME?by=FIELD` through HTTP on every store that runs here
 * (http.md "Batch writes" and "Upsert"): all or nothing where the store has transactions,
 * each write on its own elsewhere; one audit entry per write; Idempotency-Key; scopes per
 * operation; references checked for the whole batch at once.
 */
const clients = (storage: string) => `name: clients
description: Clients of the workshop.
storage: { ${storage} }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
endpoints:
  - operation: get
  - operation: create
`;
const jobs = (storage: string) => `name: jobs
description: Jobs done for clients.
storage: { ${storage} }
references:
  client: { field: clientId, automation: clients }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
    clientId: { type: string, format: uuid }
    status: { type: string, enum: [open, closed] }
endpoints:
  - operation: list
  - operation: get
  - operation: create
  - operation: update
  - operation: replace
  - operation: delete
  - operation: batch
`;
const members = (storage: string) => `name: members
description: People we write to, one per email.
storage: { ${storage}, unique: [email] }
schema:
  type: object
  required: [email, name]
  properties:
    email: { type: string, maxLength: 200 }
    name: { type: string, maxLength: 100 }
endpoints:
  - operation: get
  - operation: list
  - operation: upsert
`;

const MISSING = '00000000-0000-4000-8000-000000000000';
/** The PostgreSQL server keeps its tables between runs: each run upserts emails of its own. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const STORES = await storesHere();

for (const store of STORES) {
  const atomic = capabilities[store.backend]?.transactions === true;
  const upserts = capabilities[store.backend]?.upsert === true;
  describe(`batch writes${upserts ? ' and upsert' : ''} on ${store.name}`, { skip: store.skip }, () => {
    let project: TestProject;
    let server: RunningServer;
    let key: Record<string, string>;
    const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      call(server.url, method, path, body, { ...key, ...headers });
    const count = async () => (await api('GET', '/jobs?count=true&limit=1')).json.meta.count as number;

    before(async () => {
      const files: Record<string, string> = { 'clients.yaml': clients(store.storage), 'jobs.yaml': jobs(store.storage) };
      if (upserts) files['members.yaml'] = members(store.storage);
      project = makeProject(files, store.connections);
      server = await listen(project.config({ audit: { enabled: true } }), silentLogger);
      const made = await call(server.url, 'POST', '/admin/keys', { name: 'batch', scopes: ['*'] }, adminHeaders(server));
      key = { authorization: `Bearer ${made.json.secret}` };
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it(`creates, updates, replaces and deletes in one request (${atomic ? 'atomic' : 'one by one'}), one audit entry per write`, async () => {
      const acme = (await api('POST', '/clients', { title: 'Acme' })).json.data.id;
      const first = (await api('POST', '/jobs', { title: 'Old', status: 'open' })).json.data.id;
      const second = (await api('POST', '/jobs', { title: 'Gone' })).json.data.id;
      const answer = await api('POST', '/jobs/batch', {
        operations: [
          { op: 'create', data: { title: 'Printer', clientId: acme, status: 'open' } },
          { op: 'create', data: { title: 'Fax' } },
          { op: 'update', id: first, data: { status: 'closed' } },
          { op: 'replace', id: second, data: { title: 'Renamed' } },
          { op: 'delete', id: second },
        ],
      });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(
        answer.json.data.map((r: { op: string; status: number }) => `${r.op} ${r.status}`),
        ['create 201', 'create 201', 'update 200', 'replace 200', 'delete 204'],
      );
      assert.deepEqual(answer.json.meta, { atomic, written: 5, failed: 0 });
      const created = answer.json.data[0].data;
      assert.equal((await api('GET', `/jobs/${created.id}`)).json.data.title, 'Printer');
      assert.equal((await api('GET', `/jobs/${first}`)).json.data.status, 'closed');
      assert.equal((await api('GET', `/jobs/${second}`)).status, 404);
      const requestId = answer.headers.get('x-request-id');
      const audit = (await call(server.url, 'GET', '/admin/audit?limit=1000', undefined, adminHeaders(server))).json.data.filter(
        (e: { requestId: string }) => e.requestId === requestId,
      );
      assert.deepEqual(audit.map((e: { action: string }) => e.action).sort(), ['create', 'create', 'delete', 'replace', 'update']);
      assert.ok(audit.every((e: { outcome: string; automation: string }) => e.outcome === 'ok' && e.automation === 'jobs'));
    });

    it('checks everything before writing: schema errors and missing references at /operations/N, nothing written', async () => {
      const before = await count();
      const invalid = await api('POST', '/jobs/batch', {
        operations: [
          { op: 'create', data: { title: 'Fine' } },
          { op: 'create', data: { status: 'lost' } },
          { op: 'remove', id: MISSING },
          { op: 'update', data: { title: 'x' } },
        ],
      });
      assert.equal(invalid.status, 422);
      assert.equal(invalid.json.code, 'validation-failed');
      const pointers = invalid.json.errors.map((e: { pointer: string }) => e.pointer);
      for (const pointer of ['/operations/1/data/title', '/operations/1/data/status', '/operations/2/op', '/operations/3/id'])
        assert.ok(pointers.includes(pointer), `${pointer} in ${pointers}`);
      const refs = await api('POST', '/jobs/batch', {
        operations: [
          { op: 'create', data: { title: 'A' } },
          { op: 'create', data: { title: 'B', clientId: MISSING } },
        ],
      });
      assert.equal(refs.status, 422);
      assert.equal(refs.json.code, 'reference-missing');
      assert.deepEqual(
        refs.json.errors.map((e: { pointer: string }) => e.pointer),
        ['/operations/1/data/clientId'],
      );
      const tooMany = await api('POST', '/jobs/batch', {
        operations: Array.from({ length: 101 }, () => ({ op: 'create', data: { title: 'x' } })),
      });
      assert.equal(tooMany.status, 422);
      assert.match(tooMany.json.errors[0].message, /1 to 100 operations, not 101/);
      assert.equal(await count(), before);
    });

    it(
      atomic
        ? 'a write that fails in the store rolls the whole batch back and names it'
        : 'a write that fails in the store fails alone; the others are made',
      async () => {
        const before = await count();
        const answer = await api('POST', '/jobs/batch', {
          operations: [
            { op: 'create', data: { title: 'Kept?' } },
            { op: 'update', id: MISSING, data: { status: 'closed' } },
            { op: 'create', data: { title: 'Kept too?' } },
          ],
        });
        if (atomic) {
          assert.equal(answer.status, 404, answer.text);
          assert.equal(answer.json.errors[0].pointer, '/operations/1/id');
          assert.match(answer.json.detail, /rolled back, nothing was written/);
          assert.equal(await count(), before);
        } else {
          assert.equal(answer.status, 200, answer.text);
          assert.deepEqual(
            answer.json.data.map((r: { status: number }) => r.status),
            [201, 404, 201],
          );
          assert.equal(answer.json.data[1].problem.code, 'not-found');
          assert.deepEqual(answer.json.meta, { atomic: false, written: 2, failed: 1 });
          assert.equal(await count(), before + 2);
        }
      },
    );

    it('a key needs the scope of each operation it sends; Idempotency-Key runs a batch once', async () => {
      const made = await call(server.url, 'POST', '/admin/keys', { name: 'writer', scopes: ['jobs:write'] }, adminHeaders(server));
      const writer = { authorization: `Bearer ${made.json.secret}` };
      const id = (await api('POST', '/jobs', { title: 'Keep' })).json.data.id;
      const refused = await call(server.url, 'POST', '/jobs/batch', { operations: [{ op: 'delete', id }] }, writer);
      assert.equal(refused.status, 403);
      assert.match(refused.json.detail, /jobs:delete/);
      assert.equal((await api('GET', `/jobs/${id}`)).status, 200);
      const before = await count();
      const body = { operations: [{ op: 'create', data: { title: 'Once' } }] };
      const headers = { 'idempotency-key': `batch-${store.backend}-${Date.now()}` };
      const one = await call(server.url, 'POST', '/jobs/batch', body, { ...writer, ...headers });
      const two = await call(server.url, 'POST', '/jobs/batch', body, { ...writer, ...headers });
      assert.equal(one.status, 200, one.text);
      assert.equal(two.headers.get('idempotent-replayed'), 'true');
      assert.equal(two.json.data[0].id, one.json.data[0].id);
      assert.equal(await count(), before + 1);
    });

    if (upserts) {
      it('PUT /members?by=email creates, then replaces the same record; concurrent upserts of one email make one record', async () => {
        const created = await api('PUT', '/members?by=email', { email: `ada-${RUN}@example.com`, name: 'Ada' });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.headers.get('location'), `/members/${created.json.data.id}`);
        const replaced = await api('PUT', '/members', { email: `ada-${RUN}@example.com`, name: 'Ada Lovelace' });
        assert.equal(replaced.status, 200, replaced.text);
        assert.equal(replaced.json.data.id, created.json.data.id);
        assert.equal(replaced.json.data.createdAt, created.json.data.createdAt);
        assert.equal(replaced.json.data.name, 'Ada Lovelace');
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) => api('PUT', '/members?by=email', { email: `grace-${RUN}@example.com`, name: `Grace ${i}` })),
        );
        assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
        assert.equal(new Set(answers.map((a) => a.json.data.id)).size, 1);
        const wrong = await api('PUT', '/members?by=name', { email: 'x@example.com', name: 'X' });
        assert.equal(wrong.status, 400);
        assert.equal(wrong.json.errors[0].pointer, '/query/by');
        const missing = await api('PUT', '/members', { name: 'No email' });
        assert.equal(missing.status, 422);
      });
    }
  });
}

describe('batch and upsert tools over MCP', () => {
  let project: TestProject;
  let server: RunningServer;
  let client: Client;
  type Result = {
    isError?: boolean;
    structuredContent: { data: Record<string, unknown> & Record<string, unknown>[] };
    content: { text: string }[];
  };
  const tool = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as unknown as Result;

  before(async () => {
    project = makeProject({
      'clients.yaml': clients('backend: memory'),
      'jobs.yaml': jobs('backend: memory'),
      'members.yaml': members('backend: memory'),
    });
    server = await listen(project.config(), silentLogger);
    const made = await call(server.url, 'POST', '/admin/keys', { name: 'mcp batch', scopes: ['*'] }, adminHeaders(server));
    client = new Client({ name: 'council-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${made.json.secret}` } },
      }),
    );
  });
  after(async () => {
    await client?.close();
    await server?.close();
    project?.remove();
  });

  it('every client accepts the batch and upsert tools; they are destructive, and the batch not idempotent', async () => {
    const tools = (await client.listTools()).tools;
    for (const name of ['batchJobs', 'upsertMember']) {
      const found = tools.find((t) => t.name === name);
      assert.ok(found, name);
      assert.deepEqual(checkTool(found as Parameters<typeof checkTool>[0]), [], name);
      assert.equal(found.annotations?.destructiveHint, true);
    }
    assert.equal(tools.find((t) => t.name === 'batchJobs')?.annotations?.idempotentHint, false);
  });

  it('batchJobs creates, updates and deletes with typed record and set; upsertMember matches by email', async () => {
    const done = await tool('batchJobs', {
      operations: [
        { op: 'create', id: null, record: { title: 'Printer', clientId: null, status: 'open' }, set: null, if_updated_at: null },
        { op: 'create', id: null, record: { title: 'Fax', clientId: null, status: null }, set: null, if_updated_at: null },
      ],
    });
    assert.equal(done.isError, undefined, JSON.stringify(done));
    const [printer, fax] = done.structuredContent.data as unknown as { id: string; status: number }[];
    assert.deepEqual([printer?.status, fax?.status], [201, 201]);
    const changed = await tool('batchJobs', {
      operations: [
        { op: 'update', id: printer?.id, record: null, set: { title: null, clientId: null, status: 'closed' }, if_updated_at: null },
        { op: 'delete', id: fax?.id, record: null, set: null, if_updated_at: null },
      ],
    });
    assert.equal(changed.isError, undefined, JSON.stringify(changed));
    assert.equal((await call(server.url, 'GET', `/jobs/${printer?.id}`, undefined, {})).status, 401, 'still locked over HTTP');
    const got = await tool('getJob', { id: printer?.id, fields: null, piece: null, offset: null, version: null });
    assert.equal((got.structuredContent.data as unknown as { status: string }).status, 'closed');
    const wrong = await tool('batchJobs', {
      operations: [{ op: 'create', id: null, record: { title: null, clientId: null, status: null }, set: null, if_updated_at: null }],
    });
    assert.equal(wrong.isError, true);
    assert.equal(JSON.parse(wrong.content[0]?.text ?? '{}').code, 'validation-failed');
    const first = await tool('upsertMember', { match_by: null, email: 'mcp@example.com', name: 'First' });
    const second = await tool('upsertMember', { match_by: 'email', email: 'mcp@example.com', name: 'Second' });
    assert.equal(second.isError, undefined, JSON.stringify(second));
    assert.equal(second.structuredContent.data.id, first.structuredContent.data.id);
    assert.equal(second.structuredContent.data.name, 'Second');
  });
});
