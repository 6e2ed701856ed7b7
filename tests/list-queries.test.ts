import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OpenAPIObject, OperationObject, ParameterObject } from 'openapi3-ts/oas31';
import { createClient } from 'redis';
import type { RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { call, makeProject, startServer, type TestProject } from './support/project.ts';
import { redisServerGate } from './support/redis-server.ts';

/** Articles with every filter kind, a search endpoint where the backend can search, and sort. */
function articlesManifest(name: string, storage: string, search: boolean): string {
  return `name: ${name}
description: Help-center articles the list-query tests read.
access: { public: true }
storage:
${storage}
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, minLength: 1 }
    body: { type: string }
    topic: { type: string, enum: [billing, shipping, account] }
    views: { type: integer, minimum: 0 }
    rating: { type: number }
    published: { type: boolean }
endpoints:
  - operation: list
    filters: [topic, views, rating, published, title]
    sort: [views, title]
  - operation: get
  - operation: create
  - operation: delete
${search ? '  - operation: search\n    fields: [title, body]\n' : ''}`;
}

const ARTICLES = [
  { title: 'Refund policy', body: 'How to ask for a refund of a payment.', topic: 'billing', views: 120, rating: 4.5, published: true },
  {
    title: 'Refund timing',
    body: 'A refund reaches your card in 5 days; refund status is in the app.',
    topic: 'billing',
    views: 40,
    published: true,
  },
  { title: 'Lost parcel', body: 'What to do when a parcel is lost.', topic: 'shipping', views: 300, rating: 3.9, published: false },
  { title: 'Change email', body: 'Update the email of your account.', topic: 'account', views: 0, rating: 4.9, published: true },
  { title: 'Shipping 100% guide', body: 'Everything about shipping costs.', topic: 'shipping', rating: 2.5 },
  { title: 'Close account', topic: 'account', views: 7, published: false },
];

function listQueries(label: string, storage: string, options: { operators: 'all' | 'equality'; search: boolean; skip?: string | false }) {
  describe(`list queries on ${label}`, { skip: options.skip ?? false }, () => {
    const name = `articles${Math.random().toString(36).slice(2, 8)}`;
    let project: TestProject;
    let server: RunningServer;
    const ids = new Map<string, string>();
    const get = (path: string) => call(server.url, 'GET', `/${name}${path}`);
    const titles = async (query: string) => {
      const r = await get(query);
      assert.equal(r.status, 200, `${query}: ${r.text}`);
      return (r.json.data as { title: string }[]).map((a) => a.title).sort();
    };
    const titlesWhere = (keep: (a: (typeof ARTICLES)[number]) => boolean) =>
      ARTICLES.filter(keep)
        .map((a) => a.title)
        .sort();

    before(async () => {
      project = makeProject({ 'articles.yaml': articlesManifest(name, storage, options.search) }, connectionsFor(storage));
      server = await startServer(project);
      assert.deepEqual(server.engine.registry.failures(), []);
      for (const article of ARTICLES) {
        const r = await call(server.url, 'POST', `/${name}`, article);
        assert.equal(r.status, 201, r.text);
        ids.set(article.title, r.json.data.id);
      }
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it('in: a comma-separated list of typed values; count: how many match in all', async () => {
      assert.deepEqual(
        await titles('?topic[in]=billing,account'),
        titlesWhere((a) => a.topic !== 'shipping'),
      );
      assert.deepEqual(await titles('?views[in]=0,7,300'), ['Change email', 'Close account', 'Lost parcel']);
      const counted = await get('?topic=billing&limit=1&count=true');
      assert.equal(counted.json.meta.count, 2);
      assert.equal(counted.json.data.length, 1);
      const next = await get(`?cursor=${counted.json.meta.next}&count=true`);
      assert.equal(next.json.meta.count, 2, 'a later page counts the whole list too');
      assert.equal((await get('?topic=billing')).json.meta.count, undefined, 'no count unless asked');
    });

    it('range, ne, contains and exists, typed by the schema', { skip: options.operators === 'all' ? false : 'equality only' }, async () => {
      assert.deepEqual(await titles('?views[gte]=40&views[lt]=300'), ['Refund policy', 'Refund timing']);
      assert.deepEqual(await titles('?rating[gt]=4.5'), ['Change email']);
      assert.deepEqual(await titles('?rating[lte]=2.5'), ['Shipping 100% guide']);
      assert.deepEqual(
        await titles('?topic[ne]=billing'),
        titlesWhere((a) => a.topic !== 'billing'),
      );
      assert.deepEqual(
        await titles('?published[ne]=true'),
        titlesWhere((a) => a.published !== true),
        'ne keeps records without the field',
      );
      assert.deepEqual(await titles('?title[contains]=Refund'), ['Refund policy', 'Refund timing']);
      assert.deepEqual(await titles('?title[contains]=refund'), [], 'contains is case-sensitive');
      assert.deepEqual(await titles('?title[contains]=100%25'), ['Shipping 100% guide'], 'no wildcard: % is a character');
      assert.deepEqual(
        await titles('?views[exists]=false'),
        titlesWhere((a) => a.views === undefined),
      );
      assert.deepEqual(await titles('?rating[exists]=true&published=true'), ['Change email', 'Refund policy']);
      assert.deepEqual(await titles('?title[gte]=R&title[lt]=S'), ['Refund policy', 'Refund timing']);
    });

    it('a cursor carries the operators: ?cursor= alone continues, other filters with it are refused', async () => {
      const query = options.operators === 'all' ? '?views[gte]=0&sort=-views&limit=2' : '?topic[in]=billing,account&sort=-views&limit=2';
      const seen: string[] = [];
      let r = await get(query);
      seen.push(...r.json.data.map((a: { title: string }) => a.title));
      while (r.json.meta.next) {
        r = await get(`?cursor=${r.json.meta.next}`);
        assert.equal(r.status, 200, r.text);
        seen.push(...r.json.data.map((a: { title: string }) => a.title));
      }
      const expected =
        options.operators === 'all'
          ? ['Lost parcel', 'Refund policy', 'Refund timing', 'Close account', 'Change email']
          : ['Refund policy', 'Refund timing', 'Close account', 'Change email'];
      assert.deepEqual(seen, expected);
      const first = await get(query);
      const changed = await get(`?cursor=${first.json.meta.next}&topic[in]=billing`);
      assert.equal(changed.status, 400);
      assert.equal(changed.json.errors[0].pointer, '/query/cursor');
    });

    it('400 names the parameter and says what to send', async () => {
      const cases: [string, string, RegExp][] = [
        ['?views[in]=1,x', '/query/views[in]', /value 2 of the comma-separated list \("x"\) must be an integer/],
        [
          '?topic[in]=billing,gold',
          '/query/topic[in]',
          /value 2 of the comma-separated list \("gold"\) must be one of: "billing", "shipping", "account"/,
        ],
        ['?topic[like]=bill', '/query/topic[like]', /does not offer that operator on "topic"; accepted: .*topic\[/],
        ['?count=yes', '/query/count', /must be true or false/],
        ['?views[in]=1&views[in]=2', '/query/views[in]', /given more than once/],
        [`?views[in]=${Array.from({ length: 101 }, (_, i) => i).join(',')}`, '/query/views[in]', /at most 100/],
      ];
      if (options.operators === 'all') {
        cases.push(
          ['?published[gt]=true', '/query/published[gt]', /does not offer that operator on "published"/],
          ['?views[gte]=many', '/query/views[gte]', /must be an integer/],
          ['?title[contains]=', '/query/title[contains]', /must not be empty/],
          ['?rating[exists]=1', '/query/rating[exists]', /must be true or false/],
        );
      } else {
        cases.push(['?views[gte]=3', '/query/views[gte]', /does not offer that operator on "views"; accepted: .*views, views\[in\]/]);
      }
      for (const [query, pointer, message] of cases) {
        const r = await get(query);
        assert.equal(r.status, 400, `${query}: ${r.text}`);
        assert.equal(r.json.code, 'invalid-query');
        assert.equal(r.json.errors[0].pointer, pointer, query);
        assert.match(r.json.errors[0].message, message, query);
      }
    });

    it('OpenAPI documents one parameter per offered operator, and search where there is one', async () => {
      const doc = (await call(server.url, 'GET', '/openapi.json')).json as OpenAPIObject;
      const list = doc.paths?.[`/${name}`]?.get as OperationObject;
      const names = (list.parameters as ParameterObject[]).map((p) => p.name);
      const views = names.filter((n) => n.startsWith('views'));
      const published = names.filter((n) => n.startsWith('published'));
      if (options.operators === 'all') {
        assert.deepEqual(views, ['views', 'views[ne]', 'views[gt]', 'views[gte]', 'views[lt]', 'views[lte]', 'views[in]', 'views[exists]']);
        assert.deepEqual(published, ['published', 'published[ne]', 'published[exists]']);
        assert.ok(names.includes('title[contains]'));
      } else {
        assert.deepEqual(views, ['views', 'views[in]']);
      }
      assert.ok(names.includes('count'));
      const search = doc.paths?.[`/${name}/search`]?.get as OperationObject | undefined;
      if (!options.search) return assert.equal(search, undefined);
      assert.equal(search?.operationId, `search${name[0]?.toUpperCase()}${name.slice(1)}`);
      const q = ((search?.parameters ?? []) as ParameterObject[]).find((p) => p.name === 'q');
      assert.equal(q?.required, true);
      assert.match(q?.description ?? '', /`title`, `body`/);
    });

    it('search: every word, best first, paged by cursor; its route is not an id', {
      skip: options.search ? false : 'no search',
    }, async () => {
      const r = await get('/search?q=refund&limit=1');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        r.json.data.map((a: { title: string }) => a.title),
        ['Refund timing'],
        'three mentions rank above two (no stemming: "refunds" is another word)',
      );
      const next = await get(`/search?cursor=${r.json.meta.next}`);
      assert.deepEqual(
        next.json.data.map((a: { title: string }) => a.title),
        ['Refund policy'],
      );
      assert.equal(next.json.meta.next, null);
      assert.deepEqual((await get('/search?q=REFUND%20payment&fields=title')).json.data, [
        { id: ids.get('Refund policy'), title: 'Refund policy' },
      ]);
      assert.deepEqual((await get('/search?q=refun')).json.data, []);
      for (const [query, pointer] of [
        ['', '/query/q'],
        ['?q=%20%3F%21', '/query/q'],
        ['?q=a&sort=title', '/query/sort'],
        ['?cursor=bogus', '/query/cursor'],
        [`?q=${'x'.repeat(501)}`, '/query/q'],
      ]) {
        const bad = await get(`/search${query}`);
        assert.equal(bad.status, 400, `${query}: ${bad.text}`);
        assert.equal(bad.json.errors[0].pointer, pointer);
      }
      const post = await call(server.url, 'POST', `/${name}/search`, {});
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      // Not an update or delete of a record called `search`: the path is the search's.
      for (const method of ['PATCH', 'DELETE']) {
        const other = await call(server.url, method, `/${name}/search`, {});
        assert.equal(other.status, 405, `${method}: ${other.text}`);
        assert.equal(other.headers.get('allow'), 'GET, HEAD');
      }
    });
  });
}

function connectionsFor(storage: string): Record<string, { backend: string; url?: string }> {
  if (storage.includes('pgserver')) return { pgserver: { backend: 'postgres', url: pgGate.url } };
  if (storage.includes('rds')) return { rds: { backend: 'redis', url: redisGate.url } };
  return {};
}

const pgGate = await postgresServerGate();
const redisGate = await redisServerGate();

listQueries('memory', '  backend: memory', { operators: 'all', search: true });
listQueries('postgres (embedded PGlite)', '  backend: postgres', { operators: 'all', search: true });
listQueries('postgres (server)', '  backend: postgres\n  connection: pgserver', { operators: 'all', search: true, skip: pgGate.skip });
listQueries('redis', '  backend: redis\n  connection: rds', { operators: 'equality', search: false, skip: redisGate.skip });

after(async () => {
  if (redisGate.skip) return;
  const client = createClient({ url: redisGate.url });
  client.on('error', () => {});
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: 'council:articles*', COUNT: 1000 })) if (keys.length) await client.del(keys);
  await client.close();
});
