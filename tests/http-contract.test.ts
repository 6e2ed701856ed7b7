import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import type { RunningServer } from '../engine/server/listen.ts';
import { contactsManifest } from './support/contacts.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { call, makeProject, startServer, type TestProject } from './support/project.ts';
import { redisServerGate } from './support/redis-server.ts';

/**
 * The HTTP contract of documents/http.md, through a real listening server, once per
 * store: every backend must answer the same requests with the same statuses and bodies.
 */
function httpContract(
  label: string,
  storage: string,
  options: { url?: string; skip?: string | false; connections?: Record<string, { backend: string; url?: string }> } = {},
) {
  describe(`HTTP contract on ${label}`, { skip: options.skip ?? false }, () => {
    const name = `contacts${Math.random().toString(36).slice(2, 8)}`;
    const base = `/${name}`;
    let project: TestProject;
    let server: RunningServer;
    let url: string;
    const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(url, method, path, body, headers);
    const create = async (body: Record<string, unknown>) => {
      const r = await req('POST', base, body);
      assert.equal(r.status, 201, r.text);
      return r.json.data;
    };

    before(async () => {
      project = makeProject({ 'contacts.yaml': contactsManifest(name, storage) }, connectionsOf(options));
      server = await startServer(project);
      url = server.url;
      assert.equal(server.engine.registry.failures().length, 0, JSON.stringify(server.engine.registry.failures()));
    });
    after(async () => {
      await server?.close();
      project?.remove();
    });

    it('creates with 201, Location, engine fields and schema defaults', async () => {
      const r = await req('POST', base, { name: 'Ada', email: 'ada@example.com' });
      assert.equal(r.status, 201);
      const data = r.json.data;
      assert.match(data.id, /^[0-9a-f-]{36}$/);
      assert.equal(r.headers.get('location'), `${base}/${data.id}`);
      assert.equal(data.plan, 'free');
      assert.equal(data.vip, false);
      assert.equal(data.createdAt, data.updatedAt);
      assert.ok(!Number.isNaN(Date.parse(data.createdAt)));
      const got = await req('GET', `${base}/${data.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.json, { data });
    });

    it('round-trips nested objects, arrays, numbers and unicode', async () => {
      const body = {
        name: 'Zoë 🚀 "quoted"',
        email: 'z@example.com',
        age: 41,
        score: 2.5,
        address: { city: 'Kraków', zip: '30-001' },
        tags: ['a', 'b'],
      };
      const created = await create(body);
      const got = await req('GET', `${base}/${created.id}`);
      assert.deepEqual(
        { ...got.json.data, id: undefined, createdAt: undefined, updatedAt: undefined },
        { ...body, plan: 'free', vip: false, id: undefined, createdAt: undefined, updatedAt: undefined },
      );
    });

    it('404 for unknown and malformed ids, on every item operation', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' or '1'='1"]) {
        const path = `${base}/${encodeURIComponent(id)}`;
        for (const [method, body] of [
          ['GET'],
          ['DELETE'],
          ['PATCH', { name: 'x' }],
          ['PUT', { name: 'x', email: 'x@example.com' }],
        ] as const) {
          const r = await req(method, path, body);
          assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
          assert.equal(r.headers.get('content-type'), 'application/problem+json');
          assert.equal(r.json.code, 'not-found');
        }
      }
    });

    it('422 names every invalid field with a pointer; additionalProperties is enforced', async () => {
      const r = await req('POST', base, { name: null, email: 'nope', plan: 'gold', extra: 1, age: -1, id: 'x' });
      assert.equal(r.status, 422);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(r.json.code, 'validation-failed');
      assert.equal(r.json.status, 422);
      assert.equal(typeof r.json.type, 'string');
      assert.equal(typeof r.json.title, 'string');
      const pointers = r.json.errors.map((e: { pointer: string }) => e.pointer).sort();
      assert.deepEqual(pointers, ['/age', '/email', '/extra', '/id', '/name', '/plan']);
      for (const e of r.json.errors) assert.equal(typeof e.message, 'string');
      assert.match(r.json.errors.find((e: { pointer: string }) => e.pointer === '/email').message, /email address, e\.g\./);
      const worded = await req('POST', base, { name: '', email: 'a@example.com', age: 'x', tags: 'one' });
      assert.deepEqual(Object.fromEntries(worded.json.errors.map((e: { pointer: string; message: string }) => [e.pointer, e.message])), {
        '/name': 'must be at least 1 character long',
        '/age': 'must be an integer',
        '/tags': 'must be an array',
      });
      const arrayBody = await req('POST', base, [1, 2]);
      assert.equal(arrayBody.status, 422);
    });

    it('an integer JSON cannot carry exactly is refused, never stored rounded', async () => {
      const body = '{"name": "Big", "email": "big@example.com", "age": 9007199254740993}';
      const r = await req('POST', base, body);
      assert.equal(r.status, 422, r.text);
      assert.deepEqual(r.json.errors, [
        {
          pointer: '/age',
          message:
            '9007199254740993 cannot be kept exactly as a JSON number (it would be stored as 9007199254740992); send at most 15 significant digits, or send it as a string',
        },
      ]);
      // One that a double does carry exactly, but past the safe range, is the schema's to refuse.
      const unsafe = await req('POST', base, '{"name": "Big", "email": "big@example.com", "age": 9007199254740992}');
      assert.equal(unsafe.status, 422, unsafe.text);
      assert.deepEqual(unsafe.json.errors, [
        {
          pointer: '/age',
          message: 'must be an integer from -9007199254740991 to 9007199254740991: larger integers cannot be kept exactly',
        },
      ]);
      const largest = await create({ name: 'Big', email: 'big@example.com', age: Number.MAX_SAFE_INTEGER });
      assert.equal((await req('GET', `${base}/${largest.id}`)).json.data.age, Number.MAX_SAFE_INTEGER);
      const filter = await req('GET', `${base}?age=9007199254740993`);
      assert.equal(filter.status, 400);
      assert.match(filter.json.errors[0].message, /larger integers cannot be kept exactly/);
      await req('DELETE', `${base}/${largest.id}`);
    });

    it('400 malformed JSON, 415 non-JSON, 413 too large (declared and chunked)', async () => {
      assert.equal((await req('POST', base, '{"name": "x",')).status, 400);
      assert.equal((await req('POST', base, '{"name": "x"}', { 'content-type': 'text/plain' })).status, 415);
      assert.equal((await req('POST', base, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
      const noType = await fetch(`${url}${base}`, { method: 'POST', body: new Uint8Array([123, 125]) });
      assert.equal(noType.status, 415);
      const big = JSON.stringify({ name: 'x'.repeat(70 * 1024), email: 'a@example.com' });
      const declared = await req('POST', base, big);
      assert.equal(declared.status, 413);
      assert.equal(declared.json.code, 'payload-too-large');
      const chunked = await rawRequest(url, 'POST', base, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, [
        big.slice(0, 40000),
        big.slice(40000),
      ]);
      assert.equal(chunked.status, 413);
      const badUtf8 = await fetch(`${url}${base}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      });
      assert.equal(badUtf8.status, 400);
    });

    it('PATCH merges, null removes an optional field, and the result must still be valid', async () => {
      const created = await create({ name: 'Bo', email: 'bo@example.com', age: 30, address: { city: 'Oslo', zip: '0150' } });
      const patched = await req(
        'PATCH',
        `${base}/${created.id}`,
        { age: 31, address: { zip: null } },
        { 'content-type': 'application/merge-patch+json' },
      );
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json.data.age, 31);
      assert.deepEqual(patched.json.data.address, { city: 'Oslo' });
      assert.equal(patched.json.data.createdAt, created.createdAt);
      assert.ok(patched.json.data.updatedAt >= created.updatedAt);
      const cleared = await req('PATCH', `${base}/${created.id}`, { age: null });
      assert.equal(cleared.status, 200);
      assert.equal('age' in cleared.json.data, false);
      const invalid = await req('PATCH', `${base}/${created.id}`, { name: null, plan: 'gold' });
      assert.equal(invalid.status, 422);
      assert.deepEqual(invalid.json.errors.map((e: { pointer: string }) => e.pointer).sort(), ['/name', '/plan']);
      const unchanged = await req('GET', `${base}/${created.id}`);
      assert.equal(unchanged.json.data.name, 'Bo');
      const engineAndSchema = await req('PATCH', `${base}/${created.id}`, { createdAt: 'x', plan: 'gold' });
      assert.equal(engineAndSchema.status, 422);
      assert.deepEqual(
        engineAndSchema.json.errors.map((e: { pointer: string }) => e.pointer).sort(),
        ['/createdAt', '/plan'],
        'engine-field and schema errors come in one answer',
      );
      assert.equal((await req('GET', `${base}/${created.id}`)).json.data.createdAt, created.createdAt);
      const jsonPatch = await req('PATCH', `${base}/${created.id}`, [{ op: 'replace', path: '/age', value: 1 }], {
        'content-type': 'application/json-patch+json',
      });
      assert.equal(jsonPatch.status, 415);
      assert.match(jsonPatch.json.detail, /merge patch/);
    });

    it('?fields= returns only the fields asked for (and id), on get and list; unknown names are a 400 with suggestions', async () => {
      const created = await create({ name: 'Slim', email: 'slim@example.com', age: 40, tags: ['a'] });
      const one = await req('GET', `${base}/${created.id}?fields=name,age`);
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(one.json.data, { id: created.id, name: 'Slim', age: 40 });
      const page = await req('GET', `${base}?fields=email&limit=50`);
      assert.equal(page.status, 200, page.text);
      for (const record of page.json.data) assert.deepEqual(Object.keys(record).sort(), ['email', 'id']);
      const typo = await req('GET', `${base}/${created.id}?fields=nmae`);
      assert.equal(typo.status, 400);
      assert.equal(typo.json.errors[0].pointer, '/query/fields');
      assert.match(typo.json.errors[0].message, /"nmae" is not a field \(did you mean "name"\?\)/);
      assert.equal((await req('GET', `${base}/${created.id}?fields=`)).status, 400);
      assert.equal((await req('GET', `${base}/${created.id}?limit=1`)).status, 400, 'get takes only fields');
    });

    it('ETag and If-Match: a stale version is refused with 412 and writes nothing; a current one passes', async () => {
      const created = await req('POST', base, { name: 'Versioned', email: 'v@example.com' });
      const id = created.json.data.id;
      const tag = (await req('GET', `${base}/${id}`)).headers.get('etag') as string;
      assert.equal(tag, `"${created.json.data.updatedAt}"`, 'the ETag is the version, updatedAt');
      assert.equal(created.headers.get('etag'), tag, 'create answers the same ETag a GET gives');
      const patched = await req('PATCH', `${base}/${id}`, { age: 1 }, { 'if-match': tag });
      assert.equal(patched.status, 200, patched.text);
      const fresh = patched.headers.get('etag') as string;
      assert.notEqual(fresh, tag);
      assert.equal((await req('GET', `${base}/${id}`)).headers.get('etag'), fresh);
      for (const [method, body] of [
        ['PATCH', { age: 2 }],
        ['PUT', { name: 'Overwritten', email: 'o@example.com' }],
        ['DELETE', undefined],
      ] as const) {
        const stale = await req(method, `${base}/${id}`, body, { 'if-match': tag });
        assert.equal(stale.status, 412, `${method}: ${stale.text}`);
        assert.equal(stale.json.code, 'precondition-failed');
        assert.equal(stale.headers.get('etag'), fresh, 'the 412 carries the current ETag');
      }
      assert.equal((await req('GET', `${base}/${id}`)).json.data.age, 1, 'nothing was written');
      assert.equal((await req('PATCH', `${base}/${id}`, { age: 3 }, { 'if-match': `W/${fresh}` })).status, 412, 'weak tags never match');
      assert.equal((await req('PATCH', `${base}/${id}`, { age: 3 }, { 'if-match': '*' })).status, 200);
      const current = (await req('GET', `${base}/${id}`)).headers.get('etag') as string;
      assert.equal((await req('DELETE', `${base}/${id}`, undefined, { 'if-match': `"other", ${current}` })).status, 204);
    });

    it('concurrent writers with the same If-Match: exactly one wins, the others get 412', async () => {
      for (let round = 0; round < 5; round++) {
        const id = (await create({ name: `Race ${round}`, email: 'race@example.com', age: 0 })).id;
        const tag = (await req('GET', `${base}/${id}`)).headers.get('etag') as string;
        const answers = await Promise.all([1, 2, 3, 4].map((n) => req('PATCH', `${base}/${id}`, { age: n }, { 'if-match': tag })));
        const statuses = answers.map((a) => a.status).sort();
        assert.deepEqual(statuses, [200, 412, 412, 412], `round ${round}`);
        const winner = answers.find((a) => a.status === 200);
        assert.equal((await req('GET', `${base}/${id}`)).json.data.age, winner?.json.data.age, "the stored value is the winner's");
      }
    });

    it('PUT replaces the whole record, keeps id and createdAt, applies defaults', async () => {
      const created = await create({ name: 'Cy', email: 'cy@example.com', plan: 'pro', age: 5 });
      const replaced = await req('PUT', `${base}/${created.id}`, { name: 'Cyd', email: 'cyd@example.com' });
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal(replaced.json.data.id, created.id);
      assert.equal(replaced.json.data.createdAt, created.createdAt);
      assert.equal(replaced.json.data.plan, 'free');
      assert.equal('age' in replaced.json.data, false);
      assert.equal((await req('PUT', `${base}/${created.id}`, { name: 'no email' })).status, 422);
    });

    it('DELETE answers 204 with no body, then the record is gone', async () => {
      const created = await create({ name: 'Del', email: 'del@example.com' });
      const deleted = await req('DELETE', `${base}/${created.id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');
      assert.equal((await req('GET', `${base}/${created.id}`)).status, 404);
      assert.equal((await req('DELETE', `${base}/${created.id}`)).status, 404);
    });

    describe('list', () => {
      const listName = `people${Math.random().toString(36).slice(2, 8)}`;
      let listServer: RunningServer;
      let listProject: TestProject;
      let lurl: string;
      const lbase = `/${listName}`;
      const all: Record<string, any>[] = [];

      before(async () => {
        listProject = makeProject({ 'people.yaml': contactsManifest(listName, storage) }, connectionsOf(options));
        listServer = await startServer(listProject);
        lurl = listServer.url;
        for (let i = 0; i < 45; i++) {
          const body: Record<string, unknown> = {
            name: `P${String((i * 7) % 45).padStart(2, '0')}`,
            email: `p${i}@example.com`,
            plan: i % 3 === 0 ? 'pro' : 'free',
            vip: i % 2 === 0,
          };
          if (i % 5 !== 0) body.age = i % 10;
          const r = await call(lurl, 'POST', lbase, body);
          assert.equal(r.status, 201);
          all.push(r.json.data);
        }
      });
      after(async () => {
        await listServer?.close();
        listProject?.remove();
      });

      const page = (query: string) => call(lurl, 'GET', `${lbase}${query}`);
      async function walk(query: string, limit: number) {
        const seen: Record<string, any>[] = [];
        let next: string | null = null;
        let pages = 0;
        do {
          const sep = query ? '&' : '?';
          const r = await page(`${query}${sep}limit=${limit}${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
          assert.equal(r.status, 200, r.text);
          assert.equal(r.json.meta.limit, limit);
          assert.ok(r.json.data.length <= limit);
          seen.push(...r.json.data);
          next = r.json.meta.next;
          pages++;
          assert.ok(pages < 100);
        } while (next);
        return seen;
      }

      it('envelope with default limit 20 and meta.next', async () => {
        const r = await page('');
        assert.equal(r.status, 200);
        assert.equal(r.json.data.length, 20);
        assert.deepEqual(Object.keys(r.json.meta).sort(), ['limit', 'next']);
        assert.equal(r.json.meta.limit, 20);
        assert.equal(typeof r.json.meta.next, 'string');
      });

      it('pages through every record exactly once in createdAt order', async () => {
        const seen = await walk('', 10);
        assert.deepEqual(
          seen.map((r) => r.id),
          all.map((r) => r.id),
        );
      });

      for (const sort of ['name', '-name', 'age', '-age', '-createdAt']) {
        it(`sort=${sort} pages in order, missing values last ascending / first descending`, async () => {
          const seen = await walk(`?sort=${sort}`, 7);
          assert.equal(seen.length, 45);
          assert.equal(new Set(seen.map((r) => r.id)).size, 45);
          const field = sort.replace('-', '');
          const desc = sort.startsWith('-');
          const expected = [...all].sort((a, b) => {
            const av = a[field] ?? null;
            const bv = b[field] ?? null;
            let c = av === bv ? 0 : av === null ? 1 : bv === null ? -1 : av < bv ? -1 : 1;
            if (c === 0) c = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
            return desc ? -c : c;
          });
          assert.deepEqual(
            seen.map((r) => r.id),
            expected.map((r) => r.id),
          );
        });
      }

      it('a list that declares no sort still pages to the end in createdAt order', async () => {
        const manifest = contactsManifest(`${listName}x`, storage).replace('    sort: [name, age, createdAt]\n', '');
        const unsorted = makeProject({ 'unsorted.yaml': manifest }, connectionsOf(options));
        const s = await startServer(unsorted);
        try {
          const path = `/${listName}x`;
          const ids: string[] = [];
          for (let i = 0; i < 12; i++)
            ids.push((await call(s.url, 'POST', path, { name: `U${i}`, email: `u${i}@example.com` })).json.data.id);
          const seen: string[] = [];
          let next: string | null = null;
          do {
            const r = await call(s.url, 'GET', `${path}?limit=5${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
            assert.equal(r.status, 200, r.text);
            seen.push(...r.json.data.map((d: { id: string }) => d.id));
            next = r.json.meta.next;
          } while (next);
          assert.deepEqual(seen, ids);
          const unknown = await call(s.url, 'GET', `${path}?nope=1`);
          assert.equal(unknown.status, 400);
          assert.match(
            unknown.json.errors[0].message,
            /accepted: limit, cursor, fields, count, plan, plan\[[a-z|]+\], age, (age\[[a-z|]+\], )?vip, (vip\[[a-z|]+\], )?score/,
            'sort is not offered where it is refused',
          );
          const explicit = await call(s.url, 'GET', `${path}?sort=createdAt`);
          assert.equal(explicit.status, 400, 'an undeclared sort stays refused when asked for by name');
        } finally {
          await s.close();
          unsorted.remove();
        }
      });

      it('typed filters: string enum, integer, boolean, combined', async () => {
        const pro = await walk('?plan=pro', 50);
        assert.deepEqual(
          pro.map((r) => r.id).sort(),
          all
            .filter((r) => r.plan === 'pro')
            .map((r) => r.id)
            .sort(),
        );
        const age3 = await walk('?age=3', 50);
        assert.deepEqual(
          age3.map((r) => r.id).sort(),
          all
            .filter((r) => r.age === 3)
            .map((r) => r.id)
            .sort(),
        );
        const vipPro = await walk('?vip=true&plan=pro', 50);
        assert.deepEqual(
          vipPro.map((r) => r.id).sort(),
          all
            .filter((r) => r.vip && r.plan === 'pro')
            .map((r) => r.id)
            .sort(),
        );
      });

      it('400 for bad limits, unknown or repeated parameters, bad filter values, bad sort, bad cursor', async () => {
        for (const q of [
          '?limit=0',
          '?limit=101',
          '?limit=abc',
          '?limit=1.5',
          '?nope=1',
          '?plan=gold',
          '?age=old',
          '?age=1.5',
          '?vip=yes',
          '?score=abc',
          '?age=-1',
          '?email=a@example.com',
          '?sort=name,-age',
          '?sort=email',
          '?sort=',
          '?plan=pro&plan=free',
          '?cursor=garbage',
          '?cursor=eyJ4IjoxfQ',
        ]) {
          const r = await page(q);
          assert.equal(r.status, 400, `${q}: ${r.text}`);
          assert.equal(r.json.code, 'invalid-query');
          assert.ok(r.json.errors.length >= 1);
          assert.match(r.json.errors[0].pointer, /^\/query\//);
        }
        const forge = (payload: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(payload)).toString('base64url'));
        const uuid = '00000000-0000-4000-8000-000000000000';
        const ok = { s: 'age', f: {}, l: 5, v: 3, i: uuid };
        assert.equal((await page(`?cursor=${forge(ok)}`)).status, 200, 'the forging helper builds a well-formed cursor');
        const legacy = await page(`?cursor=${forge({ ...ok, f: { plan: 'pro' } })}`);
        assert.equal(legacy.status, 200, 'a cursor issued before filter operators (f as an object) still continues its list');
        assert.ok(legacy.json.data.every((r: { plan: string }) => r.plan === 'pro'));
        for (const q of [
          `?cursor=${forge({ ...ok, v: 'abc' })}`,
          `?cursor=${forge({ ...ok, s: 'name', i: 'not-a-uuid' })}`,
          `?cursor=${forge({ ...ok, s: 'createdAt', v: 'yesterday' })}`,
          `?cursor=${forge({ ...ok, s: 'createdAt', v: null })}`,
          `?cursor=${forge({ ...ok, v: 1.5 })}`,
          `?cursor=${forge({ ...ok, s: 'email' })}`,
          `?cursor=${forge({ ...ok, l: 1000 })}`,
          `?cursor=${forge({ ...ok, f: { plan: 'gold' } })}`,
          `?cursor=${forge({ ...ok, f: { nope: 1 } })}`,
          `?cursor=${forge({ ...ok, f: { age: '3' } })}`,
          `?cursor=${forge({ ...ok, f: 'plan' })}`,
          `?cursor=${forge({ ...ok, f: [['plan', 'eq']] })}`,
          `?cursor=${forge({ ...ok, f: [['plan', 'like', 'pro']] })}`,
          `?cursor=${forge({ ...ok, f: [['plan', 'in', []]] })}`,
          `?cursor=${forge({ ...ok, f: [['plan', 'in', ['gold']]] })}`,
          `?cursor=${forge({ ...ok, f: [['email', 'eq', 'a@example.com']] })}`,
        ]) {
          const r = await page(q);
          assert.equal(r.status, 400, `forged cursor ${q}: ${r.text}`);
        }
        const typo = await page('?plna=pro');
        assert.match(typo.json.errors[0].message, /did you mean "plan"/);
        const notFilterable = await page('?email=a@example.com');
        assert.match(notFilterable.json.errors[0].message, /is a field but this list cannot filter on it/);
        const first = await page('?sort=name&limit=5');
        const next = encodeURIComponent(first.json.meta.next);
        const mismatch = await page(`?sort=-name&cursor=${next}`);
        assert.equal(mismatch.status, 400);
        assert.equal(mismatch.json.errors[0].pointer, '/query/sort');
        assert.equal((await page(`?plan=pro&cursor=${next}`)).status, 400);
      });

      it('?cursor= alone continues the same list: sort, filters and limit travel in the cursor', async () => {
        const first = await page('?plan=free&sort=-age&limit=4');
        assert.equal(first.status, 200);
        const seen = [...first.json.data];
        let next: string | null = first.json.meta.next;
        while (next) {
          const r = await page(`?cursor=${encodeURIComponent(next)}`);
          assert.equal(r.status, 200, r.text);
          assert.equal(r.json.meta.limit, 4);
          seen.push(...r.json.data);
          next = r.json.meta.next;
        }
        const expected = await walk('?plan=free&sort=-age', 100);
        assert.deepEqual(
          seen.map((r) => r.id),
          expected.map((r) => r.id),
        );
        assert.ok(seen.every((r) => r.plan === 'free'));
        const repeated = await page(`?plan=free&sort=-age&limit=2&cursor=${encodeURIComponent(first.json.meta.next)}`);
        assert.equal(repeated.status, 200, 'repeating the same sort and filters is allowed, and limit may change');
        assert.equal(repeated.json.data.length, 2);
      });

      it('a cursor stays valid while records are inserted: no duplicates, nothing skipped', async () => {
        const seen: string[] = [];
        let next: string | null = null;
        const inserted: string[] = [];
        do {
          const r = await page(`?sort=name&limit=8${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
          seen.push(...r.json.data.map((x: { id: string }) => x.id));
          next = r.json.meta.next;
          const extra = await call(lurl, 'POST', lbase, {
            name: `P${String(inserted.length * 3).padStart(2, '0')}x`,
            email: 'late@example.com',
          });
          inserted.push(extra.json.data.id);
        } while (next);
        assert.equal(new Set(seen).size, seen.length);
        for (const record of all) assert.ok(seen.includes(record.id), `record ${record.name} was skipped`);
        for (const id of inserted) await call(lurl, 'DELETE', `${lbase}/${id}`);
      });
    });

    it('405 with Allow for an operation the manifest does not declare; 404 for unknown paths', async () => {
      const r = await req('POST', `${base}/00000000-0000-4000-8000-000000000000`, {});
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('allow'), 'GET, HEAD, PATCH, PUT, DELETE');
      const created = await create({ name: 'Head', email: 'head@example.com' });
      const head = await req('HEAD', `${base}/${created.id}`);
      assert.equal(head.status, 200, 'HEAD, listed in Allow, is answered');
      assert.equal((await req('GET', `${base}/a/b`)).status, 404);
      const slash = await req('GET', `${base}/`);
      assert.equal(slash.status, 404);
      assert.match(slash.json.detail, /remove the trailing slash/);
      const unknown = await req('GET', '/no-such-automation');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers.get('content-type'), 'application/problem+json');
    });

    it('never answers 500 to hostile input', async () => {
      const bodies = [
        '{"__proto__": {"polluted": true}, "name": "p", "email": "p@example.com"}',
        '{"constructor": {"prototype": {}}}',
        '['.repeat(5000) + ']'.repeat(5000),
        '{"name": 1e400, "email": "x"}',
        '"just a string"',
        'null',
        '\u0000',
        '{"name": "\\ud800", "email": "a@example.com"}',
      ];
      for (const body of bodies) {
        const r = await req('POST', base, body);
        assert.ok(r.status >= 400 && r.status < 500, `${body.slice(0, 40)} -> ${r.status} ${r.text}`);
      }
      const surrogate = await req('POST', base, '{"name": "\\udc00", "email": "a@example.com"}');
      assert.equal(surrogate.status, 400);
      assert.match(surrogate.json.detail, /unpaired surrogate/);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      for (const path of [
        `${base}?limit=${'9'.repeat(400)}`,
        `${base}?sort=${'-'.repeat(50)}`,
        `${base}?cursor=${'A'.repeat(5000)}`,
        `${base}/%00`,
        `${base}/%ZZ`,
      ]) {
        const r = await req('GET', path);
        assert.ok(r.status >= 400 && r.status < 500, `${path.slice(0, 60)} -> ${r.status}`);
      }
    });
  });
}

/** A raw HTTP/1.1 request, for bodies fetch cannot send (chunked with no length). */
function rawRequest(base: string, method: string, path: string, headers: Record<string, string>, chunks: string[]) {
  return new Promise<{ status: number }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

httpContract('memory', '  backend: memory');
httpContract('postgres (embedded PGlite)', '  backend: postgres');
/** The extra connections a suite's manifests name. */
function connectionsOf(options: { url?: string; connections?: Record<string, { backend: string; url?: string }> }) {
  return options.connections ?? (options.url ? { pgserver: { backend: 'postgres', url: options.url } } : {});
}

const gate = await postgresServerGate();
httpContract('postgres (server)', '  backend: postgres\n  connection: pgserver', { url: gate.url, skip: gate.skip });
const redisGate = await redisServerGate();
httpContract('redis', '  backend: redis\n  connection: rds', {
  skip: redisGate.skip,
  connections: { rds: { backend: 'redis', url: redisGate.url } },
});
httpContract('redis without a url (memory fallback)', '  backend: redis\n  connection: rdsmem', {
  connections: { rdsmem: { backend: 'redis', url: '' } },
});

// The suites name their automations contacts<random> and people<random>; remove what they left in Redis.
after(async () => {
  if (redisGate.skip) return;
  const client = createClient({ url: redisGate.url });
  client.on('error', () => {});
  await client.connect();
  for (const pattern of ['council:contacts*', 'council:people*']) {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) if (keys.length) await client.del(keys);
  }
  await client.close();
});
