import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
      assert.deepEqual(alone?.n, [5], 'a record over the budget comes alone');
      assert.deepEqual(
        (alone?.meta.cut as { pointer: string; length: number }[]).map((c) => [c.pointer, c.length]),
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
