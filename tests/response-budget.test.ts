import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { call, makeProject, type TestProject } from './support/project.ts';

/**
 * Responses sized for models, through a real server: a list or search page stops before
 * the record that would make its body longer than `pagination.maxResponseChars`, says so
 * with `meta.truncated`, and `meta.next` continues right after the last record sent, so
 * paging reads every record exactly once, in order.
 */
const BUDGET = 3000;

function manifest(storage: string): string {
  return `name: letters
description: Long letters.
access: { public: true }
storage: { ${storage} }
schema:
  type: object
  properties:
    n: { type: integer, description: Order written. }
    title: { type: string, description: Title. }
    body: { type: string, description: Text. }
endpoints:
  - operation: list
    sort: [n]
  - operation: create
  - operation: search
    fields: [title]
`;
}

for (const [label, storage] of [
  ['memory', 'backend: memory'],
  ['postgres (embedded PGlite)', 'backend: postgres'],
] as const) {
  describe(`response budget on ${label}`, () => {
    let project: TestProject;
    let server: RunningServer;
    const COUNT = 12;
    before(async () => {
      project = makeProject({ 'letters.yaml': manifest(storage) });
      const config = project.config();
      server = await listen({ ...config, pagination: { ...config.pagination, maxResponseChars: BUDGET } }, silentLogger);
      for (let n = 0; n < COUNT; n++) {
        // Letter 5 alone is longer than the whole budget.
        const body = n === 5 ? 'y'.repeat(BUDGET * 2) : `${'x'.repeat(400)} ${n}`;
        assert.equal((await call(server.url, 'POST', '/letters', { n, title: `letter word${n % 2}`, body })).status, 201);
      }
    });
    after(async () => {
      await server.close();
      project.remove();
    });

    /** Every page from `first`, following meta.next; each body's length and meta kept. */
    async function pages(first: string) {
      const out: { length: number; n: number[]; meta: Record<string, unknown> }[] = [];
      let path: string | null = first;
      while (path !== null && out.length < 50) {
        const response = await call(server.url, 'GET', path);
        assert.equal(response.status, 200, response.text);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        out.push({ length: response.text.length, n: response.json.data.map((r: { n: number }) => r.n), meta: response.json.meta });
        const next = response.json.meta.next as string | null;
        path = next === null ? null : `${first.split('?')[0]}?cursor=${encodeURIComponent(next)}`;
      }
      return out;
    }

    it('a list is cut to fit, flagged, and paging continues where it stopped, every record once', async () => {
      const read = await pages('/letters?sort=n&limit=20');
      assert.deepEqual(
        read.flatMap((p) => p.n),
        Array.from({ length: COUNT }, (_, n) => n),
      );
      assert.ok(read.length > 2, `several pages: ${read.map((p) => p.n.length).join(', ')}`);
      for (const page of read) {
        assert.ok(page.length <= BUDGET, `a page of ${page.length} characters: ${page.n}`);
        assert.equal(page.meta.limit, 20);
      }
      const truncated = read.slice(0, -1);
      assert.ok(
        truncated.every((p) => p.meta.truncated === true),
        'every page cut short says so',
      );
      assert.equal(read.at(-1)?.meta.truncated, undefined, 'the last page holds all that was left');
      const alone = read.find((p) => p.n.includes(5));
      assert.ok(alone);
      assert.deepEqual(alone.n, [5], 'a record over the budget comes alone');
      assert.deepEqual(
        (alone.meta.cut as { pointer: string; length: number }[]).map((c) => [c.pointer, c.length]),
        [['/body', BUDGET * 2]],
        'cut to fit, and named',
      );
    });

    it('fewer fields, more records per page', async () => {
      const [whole] = await pages('/letters?sort=n&limit=20');
      const [slim] = await pages('/letters?sort=n&limit=20&fields=n');
      assert.ok(whole && slim);
      assert.deepEqual(slim.n.length, COUNT, 'ids and n fit in one page');
      assert.equal(slim.meta.truncated, undefined);
      assert.ok(whole.n.length < COUNT);
    });

    it('search pages are cut the same way and continue by offset', async () => {
      const read = await pages('/letters/search?q=word0&limit=20');
      const found = read.flatMap((p) => p.n).sort((a, b) => a - b);
      assert.deepEqual(found, [0, 2, 4, 6, 8, 10]);
      assert.ok(read.length > 1);
      assert.equal(read[0]?.meta.truncated, true);
    });
  });
}

/**
 * One record longer than the whole budget (the 300,219 characters, at the default
 * 50,000): every operation that returns it (list, search, get, create, update, replace, and
 * MCP's tools, which send the same requests) answers within the budget with its long values
 * cut and named in `meta.cut`; each cut's `next` reads the rest in pieces that each fit
 * too, and together give the record back exactly. Every answer matches the schema the
 * served OpenAPI document gives for it.
 */
const NOTES = (storage: string) => `name: notes
description: Notes, some very long.
access: { public: true }
storage: { ${storage} }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200, description: Title. }
    body: { type: string, description: Text. }
    tags: { type: array, items: { type: string }, description: Labels. }
endpoints:
  - operation: list
  - operation: search
    fields: [title]
  - operation: get
  - operation: create
  - operation: update
  - operation: replace
`;

/** 300,219 characters mixing ASCII, accents, emoji, quotes, newlines and control characters: segments of
 * 13 UTF-16 units, the last cut after its emoji (300,219 = 23,093 segments and 10 units). */
const LONG = Array.from({ length: 23_094 }, (_, i) => `line ${i % 10} é😀"\n\u0001`)
  .join('')
  .slice(0, 300_219);

type Answer = { status: number; text: string; json: any };

/** Validates an answer against the schema the served document gives for that operation and status. */
function documented(doc: unknown) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(structuredClone(doc) as object, 'openapi.json');
  return (path: string, method: string, status: number, answer: Answer) => {
    const escaped = encodeURIComponent(path.replace(/~/g, '~0').replace(/\//g, '~1'));
    const validate = ajv.getSchema(`openapi.json#/paths/${escaped}/${method}/responses/${status}/content/application~1json/schema`);
    assert.ok(validate, `the document has a schema for ${method} ${path} ${status}`);
    assert.equal(validate(structuredClone(answer.json)), true, `${method} ${path}: ${JSON.stringify(validate.errors)}`);
  };
}

for (const [label, storage] of [
  ['memory', 'backend: memory'],
  ['postgres (embedded PGlite)', 'backend: postgres'],
] as const) {
  describe(`a single record over the budget, on ${label}`, () => {
    const budget = 50_000;
    let project: TestProject;
    let server: RunningServer;
    let check: ReturnType<typeof documented>;
    const record = { title: 'The long one', body: LONG, tags: Array.from({ length: 20_000 }, (_, i) => `tag-${i}`) };
    let id = '';
    before(async () => {
      project = makeProject({ 'notes.yaml': NOTES(storage) });
      const config = project.config();
      server = await listen({ ...config, server: { ...config.server, bodyLimit: 1024 * 1024 } }, silentLogger);
      check = documented((await call(server.url, 'GET', '/openapi.json')).json);
    });
    after(async () => {
      await server.close();
      project.remove();
    });

    /** Reads the whole value behind one cut, piece by piece, checking each piece. */
    async function rest(
      cut: { pointer: string; returned: number; next: string },
      start: unknown,
    ): Promise<{ value: unknown; pieces: number }> {
      let value = start;
      let next: string | null = cut.next;
      let pieces = 0;
      while (next !== null) {
        assert.ok(pieces++ < 100, 'reading ends');
        const piece = await call(server.url, 'GET', next);
        assert.equal(piece.status, 200, piece.text);
        assert.ok(piece.text.length <= budget, `a piece of ${piece.text.length} characters`);
        check('/notes/{id}', 'get', 200, piece);
        assert.equal(piece.json.piece.pointer, cut.pointer);
        value = typeof value === 'string' ? value + piece.json.piece.value : [...(value as unknown[]), ...piece.json.piece.value];
        next = piece.json.meta.next;
      }
      return { value, pieces };
    }

    /** The record an answer stands for, each cut value read whole through its pieces. */
    async function whole(data: Record<string, unknown>, cuts: { pointer: string; returned: number; next: string }[]) {
      const out = { ...data };
      let pieces = 0;
      for (const cut of cuts) {
        const field = cut.pointer.slice(1);
        const read = await rest(cut, data[field]);
        out[field] = read.value;
        pieces += read.pieces;
      }
      return { record: out, pieces };
    }

    function assertCut(answer: Answer, data: Record<string, unknown>, t: { diagnostic(m: string): void }, what: string) {
      assert.ok(answer.text.length <= budget, `${what}: ${answer.text.length} characters`);
      const cuts = answer.json.meta.cut as { pointer: string; length: number; returned: number; next: string }[];
      assert.deepEqual(
        cuts.map((c) => [c.pointer, c.length]),
        [
          ['/body', 300_219],
          ['/tags', 20_000],
        ],
        `${what}: the two long values are named`,
      );
      assert.equal(data.title, record.title, `${what}: a short value stays whole`);
      for (const cut of cuts) {
        assert.ok(cut.returned > 0 && cut.returned < cut.length);
        assert.match(cut.next, new RegExp(`^/notes/${data.id}\\?piece=${cut.pointer}&offset=${cut.returned}&version=`));
      }
      t.diagnostic(
        `${what}: ${answer.text.length} characters (record: ${JSON.stringify(record).length + 100}); body ${cuts[0]?.returned} of 300219, tags ${cuts[1]?.returned} of 20000`,
      );
      return cuts;
    }

    it('create answers within the budget, says the record is stored whole, and the pieces give it back', async (t) => {
      const created = await call(server.url, 'POST', '/notes', record);
      assert.equal(created.status, 201, created.text.slice(0, 500));
      check('/notes', 'post', 201, created);
      id = created.json.data.id;
      assert.equal(created.headers.get('location'), `/notes/${id}`);
      const cuts = assertCut(created, created.json.data, t, 'create');
      assert.match(created.json.meta.detail, /stored whole/);
      const read = await whole(created.json.data, cuts);
      assert.deepEqual({ title: read.record.title, body: read.record.body, tags: read.record.tags }, record);
      t.diagnostic(`read back through ${read.pieces} pieces`);
    });

    it('get, list and search answer within the budget, cut the same way; ?fields= of the short ones comes whole', async (t) => {
      const got = await call(server.url, 'GET', `/notes/${id}`);
      assert.equal(got.status, 200);
      check('/notes/{id}', 'get', 200, got);
      const cuts = assertCut(got, got.json.data, t, 'get');
      assert.doesNotMatch(got.json.meta.detail, /stored whole/);
      const read = await whole(got.json.data, cuts);
      assert.deepEqual({ title: read.record.title, body: read.record.body, tags: read.record.tags }, record);

      const slim = await call(server.url, 'GET', `/notes/${id}?fields=title`);
      assert.deepEqual(slim.json, { data: { id, title: record.title } });
      check('/notes/{id}', 'get', 200, slim);

      await call(server.url, 'POST', '/notes', { title: 'short' });
      const listed = await call(server.url, 'GET', '/notes?limit=20');
      assert.equal(listed.status, 200);
      check('/notes', 'get', 200, listed);
      assert.equal(listed.json.data.length, 1, 'the long record comes alone');
      assertCut(listed, listed.json.data[0], t, 'list');
      assert.equal(listed.json.meta.truncated, true);
      const second = await call(server.url, 'GET', `/notes?cursor=${encodeURIComponent(listed.json.meta.next)}`);
      assert.deepEqual(
        second.json.data.map((n: { title: string }) => n.title),
        ['short'],
        'paging goes on after it',
      );
      const found = await call(server.url, 'GET', '/notes/search?q=long');
      check('/notes/search', 'get', 200, found);
      assertCut(found, found.json.data[0], t, 'search');
      const fields = await call(server.url, 'GET', '/notes?fields=title,tags&limit=20');
      check('/notes', 'get', 200, fields);
      assert.deepEqual(
        (fields.json.meta.cut as { pointer: string }[]).map((c) => c.pointer),
        ['/tags'],
      );
    });

    it('update and replace answer within the budget; a piece link of the old version is a 412', async (t) => {
      const before = await call(server.url, 'GET', `/notes/${id}`);
      const stale = before.json.meta.cut[0].next as string;
      const updated = await call(server.url, 'PATCH', `/notes/${id}`, { title: 'Renamed' });
      assert.equal(updated.status, 200);
      check('/notes/{id}', 'patch', 200, updated);
      assertCut(updated, { ...updated.json.data, title: record.title }, t, 'update');
      assert.match(updated.json.meta.detail, /stored whole/);
      const gone = await call(server.url, 'GET', stale);
      assert.equal(gone.status, 412);
      assert.equal(gone.json.code, 'precondition-failed');
      assert.match(gone.json.detail, /changed since this piece's link was made/);
      const replaced = await call(server.url, 'PUT', `/notes/${id}`, record);
      assert.equal(replaced.status, 200);
      check('/notes/{id}', 'put', 200, replaced);
      assertCut(replaced, replaced.json.data, t, 'replace');
    });

    it('bad piece requests are 400s naming the parameter', async () => {
      for (const [query, pointer] of [
        ['piece=/nope', '/query/piece'],
        ['piece=body', '/query/piece'],
        ['piece=/title&offset=-1', '/query/offset'],
        ['piece=/body&offset=300220', '/query/offset'],
        ['offset=5', '/query/offset'],
        ['piece=/body&fields=title', '/query/fields'],
        ['pice=/body', '/query/pice'],
      ] as const) {
        const answer = await call(server.url, 'GET', `/notes/${id}?${query}`);
        assert.equal(answer.status, 400, query);
        assert.deepEqual(
          answer.json.errors.map((e: { pointer: string }) => e.pointer),
          [pointer],
          query,
        );
      }
    });

    it('through MCP: the get tool answers within the budget, and the same tool reads a piece', async () => {
      const client = new Client({ name: 'budget-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
      try {
        const got = await client.callTool({ name: 'getNote', arguments: { id } });
        const text = (got.content as { text: string }[])[0]?.text ?? '';
        assert.ok(text.length <= budget, `the tool result is ${text.length} characters`);
        const answer = JSON.parse(text);
        assert.deepEqual(
          answer.meta.cut.map((c: { pointer: string }) => c.pointer),
          ['/body', '/tags'],
        );
        const link = new URL(answer.meta.cut[0].next, 'http://council.test').searchParams;
        const piece = await client.callTool({
          name: 'getNote',
          arguments: { id, piece: link.get('piece'), offset: Number(link.get('offset')), version: link.get('version') },
        });
        const pieceText = (piece.content as { text: string }[])[0]?.text ?? '';
        assert.ok(pieceText.length <= budget);
        const data = JSON.parse(pieceText).piece;
        assert.equal(data.offset, answer.meta.cut[0].returned);
        assert.equal(data.value, record.body.slice(data.offset, data.offset + data.returned));
      } finally {
        await client.close();
      }
    });
  });
}
