import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Client } from '@opensearch-project/opensearch';
import { matchesFilters } from '../../adapters/filter-match.ts';
import { compareRecords, sortValue } from '../../adapters/keyset.ts';
import { opensearchCapabilities } from '../../adapters/opensearch/capabilities.ts';
import { opensearchBackend } from '../../adapters/opensearch/index.ts';
import {
  fieldKinds,
  indexBody,
  indexMapping,
  indexName,
  MAX_RESULT_WINDOW,
  planIndex,
  storagePlan,
} from '../../adapters/opensearch/mapping.ts';
import {
  countBody,
  escapeWildcard,
  filterCondition,
  keysetCondition,
  listBody,
  type Query,
  searchBody,
  sortClauses,
} from '../../adapters/opensearch/query.ts';
import {
  type ListAfter,
  type ListFilter,
  type SortOrder,
  StorageError,
  type StorageSpec,
  type StoredRecord,
} from '../../adapters/types.ts';
import { requireStoreFromEnv } from '../support/stores.ts';
import { contractSpec, newRecord, runRecordStoreContract, variedRecords } from './contract.ts';

const gate = await requireStoreFromEnv('opensearch', 'OPENSEARCH_URL', probe);
const url = gate.url;

const connect = (name = 'contract') => opensearchBackend.connect({ name, backend: 'opensearch', url: url ?? '' }, { dataDir: '' });

// A variable, not a literal: the options type is being extended in parallel.
const contractOptions = {
  skip: gate.skip,
  capabilities: opensearchCapabilities,
  lacks: {
    migrations:
      'opensearch refuses a changed type but cannot retype or drop a mapped field in place (that takes a reindex), and its plan steps are REST requests, not SQL',
    longIndexedStrings:
      'opensearch keeps strings over 8,191 characters but does not index them (keyword ignore_above), so lists neither find nor order them',
  },
};
runRecordStoreContract('opensearch', () => connect(), contractOptions);

// The contract names every collection c_<random>, so its indexes are council-c-*.
after(async () => {
  if (gate.skip || !url) return;
  const client = new Client({ node: url });
  try {
    const { body } = await client.indices.get({ index: 'council-c-*' });
    for (const index of Object.keys(body)) await client.indices.delete({ index });
  } finally {
    await client.close();
  }
});

async function probe(at: string): Promise<void> {
  const client = new Client({ node: at, maxRetries: 0, requestTimeout: 3000 });
  try {
    await client.ping();
  } finally {
    await client.close();
  }
}

const spec: StorageSpec = { ...contractSpec([{ name: 'body', kind: 'string' }], 'tickets_2024'), searchable: ['name', 'body'] };
const kinds = fieldKinds(spec);

describe('opensearch: query translation', () => {
  const condition = (filter: ListFilter) => filterCondition(kinds, filter);
  const none = { match_none: {} };

  it('turns every operator into a typed clause', () => {
    assert.deepEqual(condition({ field: 'name', op: 'eq', value: 'a' }), { term: { name: 'a' } });
    assert.deepEqual(condition({ field: 'age', op: 'ne', value: 3 }), { bool: { must_not: [{ term: { age: 3 } }] } });
    assert.deepEqual(condition({ field: 'score', op: 'gt', value: 1.5 }), { range: { score: { gt: 1.5 } } });
    assert.deepEqual(condition({ field: 'name', op: 'lte', value: 'm' }), { range: { name: { lte: 'm' } } });
    assert.deepEqual(condition({ field: 'age', op: 'in', value: [1, 'two', 3] }), { terms: { age: [1, 3] } });
    assert.deepEqual(condition({ field: 'name', op: 'contains', value: 'a*b?c\\' }), { wildcard: { name: { value: '*a\\*b\\?c\\\\*' } } });
    assert.deepEqual(condition({ field: 'active', op: 'exists', value: true }), { exists: { field: 'active' } });
    assert.deepEqual(condition({ field: 'active', op: 'exists', value: false }), { bool: { must_not: [{ exists: { field: 'active' } }] } });
    assert.deepEqual(condition({ field: 'active', op: 'gt', value: false }), { terms: { active: [true] } });
    assert.deepEqual(condition({ field: 'active', op: 'lt', value: false }), none);
  });

  it('a value of another type than the field matches nothing, and ne everything', () => {
    assert.deepEqual(condition({ field: 'age', op: 'eq', value: '3' }), none);
    assert.deepEqual(condition({ field: 'age', op: 'ne', value: '3' }), { match_all: {} });
    assert.deepEqual(condition({ field: 'name', op: 'gt', value: 3 }), none);
    assert.deepEqual(condition({ field: 'age', op: 'contains', value: '3' }), none);
    assert.deepEqual(condition({ field: 'name', op: 'in', value: [1, true] }), none);
  });

  it('escapes wildcard syntax so contains is a plain substring test', () => {
    assert.equal(escapeWildcard('50% *off* a?b \\o/'), '50% \\*off\\* a\\?b \\\\o/');
  });

  it('refuses json and undeclared fields', () => {
    const refused = (field: string) => (error: unknown) =>
      error instanceof StorageError && error.kind === 'rejected' && error.field === field;
    assert.throws(() => condition({ field: 'tags', op: 'exists', value: true }), refused('tags'));
    assert.throws(() => sortClauses(kinds, { field: 'nickname', direction: 'asc' }), refused('nickname'));
  });

  it('keyset conditions: after a value, after a missing value, both directions', () => {
    const keyset = (value: ListAfter['value'], direction: SortOrder['direction']) =>
      keysetCondition(kinds, { field: 'age', direction }, { value, id: 'k' });
    const missing = { bool: { must_not: [{ exists: { field: 'age' } }] } };
    const tie = (op: string) => ({ bool: { filter: [{ term: { age: 5 } }, { range: { id: { [op]: 'k' } } }] } });
    assert.deepEqual(keyset(5, 'asc'), { bool: { should: [{ range: { age: { gt: 5 } } }, tie('gt'), missing], minimum_should_match: 1 } });
    assert.deepEqual(keyset(5, 'desc'), { bool: { should: [{ range: { age: { lt: 5 } } }, tie('lt')], minimum_should_match: 1 } });
    assert.deepEqual(keyset(null, 'asc'), { bool: { filter: [missing, { range: { id: { gt: 'k' } } }] } });
    assert.deepEqual(keyset(null, 'desc'), {
      bool: {
        should: [{ bool: { filter: [missing, { range: { id: { lt: 'k' } } }] } }, { exists: { field: 'age' } }],
        minimum_should_match: 1,
      },
    });
    assert.deepEqual(keysetCondition(kinds, { field: 'id', direction: 'desc' }, { value: 'k', id: 'k' }), { range: { id: { lt: 'k' } } });
  });

  it('sorts on the field, missing last ascending and first descending, then on the id keyword', () => {
    assert.deepEqual(sortClauses(kinds, { field: 'score', direction: 'desc' }), [
      { score: { order: 'desc', missing: '_first' } },
      { id: { order: 'desc' } },
    ]);
    assert.deepEqual(sortClauses(kinds, { field: 'id', direction: 'asc' }), [{ id: { order: 'asc' } }]);
  });

  it('asks for one record more than the limit; the count ignores the cursor', () => {
    const query = {
      filters: [{ field: 'age', op: 'gte', value: 0 }] as ListFilter[],
      sort: { field: 'name', direction: 'asc' } as const,
      limit: 10,
    };
    const body = listBody(kinds, { ...query, after: { value: 'm', id: 'k' } });
    assert.equal(body.size, 11);
    assert.equal((body.query.bool as { filter: Query[] }).filter.length, 2);
    assert.deepEqual(countBody(kinds, query.filters), { query: { bool: { filter: [{ range: { age: { gte: 0 } } }] } } });
  });

  it('means exactly what filter-match.ts and keyset.ts mean, read with the query DSL semantics', () => {
    const records = variedRecords(60);
    const cases: ListFilter[][] = [
      [],
      [{ field: 'name', op: 'ne', value: 'alpha' }],
      [{ field: 'age', op: 'gt', value: 0 }],
      [{ field: 'score', op: 'lte', value: 1.5 }],
      [{ field: 'name', op: 'contains', value: 'eta' }],
      [{ field: 'active', op: 'exists', value: false }],
      [{ field: 'active', op: 'gte', value: true }],
      [
        { field: 'name', op: 'in', value: ['alpha', '', '中文'] },
        { field: 'age', op: 'lt', value: 31 },
      ],
    ];
    for (const field of ['name', 'age', 'score', 'active', 'createdAt', 'id']) {
      for (const direction of ['asc', 'desc'] as const) {
        const sort = { field, direction };
        for (const filters of cases) {
          const expected = records.filter((r) => matchesFilters(r, filters)).sort(compareRecords(sort));
          assert.deepEqual(pageWithModel(records, filters, sort, 4), expected, `${field} ${direction} ${JSON.stringify(filters)}`);
        }
      }
    }
  });

  it('searches every word across the text subfields, by occurrences then id, from the offset', () => {
    assert.deepEqual(searchBody(['name', 'body'], ['refund', 'policy'], 20, 10), {
      query: {
        multi_match: { query: 'refund policy', type: 'cross_fields', operator: 'and', tie_breaker: 1, fields: ['name.text', 'body.text'] },
      },
      sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
      from: 20,
      size: 11,
      track_total_hits: false,
    });
    assert.equal(searchBody(['name'], ['a'], MAX_RESULT_WINDOW - 10, 10).size, 10, 'the last page inside the window');
    assert.throws(
      () => searchBody(['name'], ['a'], MAX_RESULT_WINDOW, 10),
      (error) => error instanceof StorageError && error.kind === 'rejected' && /first 10000 matches/.test(error.message),
    );
  });
});

describe('opensearch: index mapping and plan', () => {
  const live = () => structuredClone(indexMapping(spec));

  it('names the index after the collection', () => {
    assert.equal(indexName('support_tickets'), 'council-support-tickets');
    assert.throws(
      () => indexName('a/b'),
      (error) => error instanceof StorageError && error.kind === 'rejected',
    );
  });

  it('maps strings as keywords (searchable ones with a text subfield), numbers, booleans, and json unindexed', () => {
    const { dynamic, properties } = indexMapping(spec);
    assert.equal(dynamic, false);
    const keyword = { type: 'keyword', ignore_above: 8191 };
    const text = { text: { type: 'text', analyzer: 'council_words' } };
    assert.deepEqual(properties, {
      name: { ...keyword, fields: text },
      age: { type: 'long' },
      score: { type: 'double' },
      active: { type: 'boolean' },
      tags: { type: 'object', enabled: false },
      profile: { type: 'object', enabled: false },
      body: { ...keyword, fields: text },
      id: keyword,
      createdAt: keyword,
      updatedAt: keyword,
    });
    const settings = indexBody(spec).settings as { index: Record<string, unknown> };
    assert.equal(settings.index.max_result_window, MAX_RESULT_WINDOW);
    assert.deepEqual(Object.keys(settings.index).sort(), ['analysis', 'max_result_window']);
  });

  it('creates a missing index; an index that matches needs nothing', () => {
    const created = planIndex(spec, undefined);
    assert.deepEqual(
      created.steps.map((s) => s.action),
      ['create'],
    );
    assert.match(storagePlan(created).steps[0]?.statement ?? '', /^PUT \/council-tickets-2024 \{"settings"/);
    assert.deepEqual(planIndex(spec, { ...live(), dynamic: 'false' }), { index: 'council-tickets-2024', steps: [], refused: [] });
  });

  it('adds a new field or text subfield, then rewrites the records in place so old values are indexed', () => {
    const before = live();
    delete before.properties.body;
    before.properties.name = { type: 'keyword', ignore_above: 8191 };
    const plan = planIndex(spec, before);
    assert.deepEqual(plan.refused, []);
    assert.deepEqual(
      plan.steps.map((s) => s.action),
      ['putMapping', 'reindexInPlace'],
    );
    const body = plan.steps[0]?.action === 'putMapping' ? plan.steps[0].body : {};
    assert.deepEqual(Object.keys(body.properties as object).sort(), ['body', 'name']);
    assert.deepEqual(
      storagePlan(plan).steps.map((s) => s.statement.split(' ').slice(0, 2).join(' ')),
      ['PUT /council-tickets-2024/_mapping', 'POST /council-tickets-2024/_update_by_query?conflicts=proceed&refresh=true'],
    );
  });

  it('refuses a field whose mapped type changed, naming it, also when retype is allowed', () => {
    const retyped = (name: string, kind: 'string' | 'json') => ({
      ...spec,
      fields: spec.fields.map((f) => (f.name === name ? { ...f, kind } : f)),
      migrations: { drop: [], retype: [name] },
    });
    for (const [name, kind] of [
      ['age', 'string'],
      ['tags', 'string'],
      ['name', 'json'],
    ] as const) {
      const plan = planIndex(retyped(name, kind), live());
      assert.deepEqual(
        plan.refused.map((r) => r.field),
        [name],
      );
      assert.match(plan.refused[0]?.message ?? '', /cannot change a mapped field's type in place/);
    }
    const foreign = live();
    delete foreign.properties.id;
    assert.deepEqual(
      planIndex(spec, foreign).refused.map((r) => r.field),
      ['id'],
    );
    const dotted = { ...spec, fields: [...spec.fields, { name: 'a.b', kind: 'string' as const }] };
    assert.deepEqual(
      planIndex(dotted, live()).refused.map((r) => r.field),
      ['a.b'],
    );
  });

  it('reads a disabled object without a type, as GET _mapping may return it, as json', () => {
    const returned = live();
    returned.properties.tags = { enabled: false };
    assert.deepEqual(planIndex(spec, returned).refused, []);
  });
});

describe('opensearch: connection', () => {
  it('without a url, or with one the client cannot parse, is unavailable', async () => {
    await assert.rejects(opensearchBackend.connect({ name: 'nourl', backend: 'opensearch' }, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, 'unavailable');
      assert.match(error.message, /has no url/);
      return true;
    });
    const unparsable = { name: 'bad', backend: 'opensearch', url: 'http://council:s3cret-pw@[bad' };
    await assert.rejects(opensearchBackend.connect(unparsable, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError && error.kind === 'unavailable' && !error.message.includes('s3cret-pw'));
      return true;
    });
  });

  it('to an unreachable server fails fast as unavailable, naming neither url nor password', async () => {
    const secret = 'http://council:s3cret-pw@127.0.0.1:1';
    const started = Date.now();
    await assert.rejects(opensearchBackend.connect({ name: 'down', backend: 'opensearch', url: secret }, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, 'unavailable');
      assert.ok(!error.message.includes('s3cret-pw') && !error.message.includes('127.0.0.1'), error.message);
      return true;
    });
    assert.ok(Date.now() - started < 6000);
  });

  it('sends the url credentials as basic auth; a refused login is unavailable and names no password', async () => {
    const stub = await stubServer();
    try {
      const connection = await opensearchBackend.connect(
        { name: 'auth', backend: 'opensearch', url: stub.url.replace('//', '//council:s3cret-pw@') },
        { dataDir: '' },
      );
      assert.equal(stub.seen[0]?.headers.authorization, `Basic ${Buffer.from('council:s3cret-pw').toString('base64')}`);
      stub.refuseLogin = true;
      await assert.rejects(
        connection.ping(),
        (error) => error instanceof StorageError && error.kind === 'unavailable' && !/s3cret/.test(error.message),
      );
      await connection.close();
    } finally {
      await stub.stop();
    }
  });

  it('is unavailable while the server is down and serves again once it is back', async () => {
    const stub = await stubServer();
    const connection = await opensearchBackend.connect({ name: 'restart', backend: 'opensearch', url: stub.url }, { dataDir: '' });
    try {
      await stub.stop();
      await assert.rejects(connection.ping(), (error) => error instanceof StorageError && error.kind === 'unavailable');
      await stub.start();
      await connection.ping();
    } finally {
      await connection.close();
      await stub.stop();
    }
  });

  it('creates the index, writes with refresh=wait_for, refuses a taken id, and retries a modify that lost a race', async () => {
    const stub = await stubServer();
    const connection = await opensearchBackend.connect({ name: 'wire', backend: 'opensearch', url: stub.url }, { dataDir: '' });
    try {
      const store = await connection.open(spec);
      assert.deepEqual(
        stub.seen.slice(1, 3).map((r) => `${r.method} ${r.path}`),
        ['GET /council-tickets-2024/_mapping', 'PUT /council-tickets-2024'],
      );
      assert.deepEqual(stub.seen[2]?.body, JSON.parse(JSON.stringify(indexBody(spec))));
      const record = newRecord({ name: 'wired', age: 9007199254740991 });
      await store.create(record);
      const write = stub.seen.at(-1);
      assert.equal(`${write?.method} ${write?.path}`, `PUT /council-tickets-2024/_doc/${record.id}`);
      assert.deepEqual(Object.fromEntries(write?.query ?? []), { op_type: 'create', refresh: 'wait_for' });
      await assert.rejects(store.create(record), (error) => error instanceof StorageError && /already has a record/.test(error.message));
      assert.deepEqual(await store.get(record.id), record);
      assert.equal(await store.get(randomUUID()), undefined);
      let calls = 0;
      const changed = await store.modify(record.id, (current) => {
        if (calls++ === 0) stub.bump(record.id);
        return { ...current, age: 1 };
      });
      assert.equal(calls, 2, 'the version conflict made modify read again');
      assert.deepEqual(await store.get(record.id), changed);
      const versioned = stub.seen.filter((r) => r.method === 'PUT' && r.query.has('if_seq_no')).map((r) => r.query.get('if_seq_no'));
      assert.deepEqual(versioned, ['1', '2']);
      assert.equal(await store.delete(record.id, () => {}), true);
      assert.equal(await store.delete(record.id), false);
    } finally {
      await connection.close();
      await stub.stop();
    }
  });
});

describe('opensearch: index evolution', { skip: gate.skip }, () => {
  it('open rejects a changed property type, naming it, and changes nothing', async () => {
    const connection = await connect('evolution');
    try {
      const base = contractSpec();
      const record = await (await connection.open(base)).create(newRecord({ age: 3 }));
      const changed = { ...base, fields: base.fields.map((f) => (f.name === 'age' ? { ...f, kind: 'string' as const } : f)) };
      assert.deepEqual(
        (await connection.plan(changed)).refused.map((r) => r.field),
        ['age'],
      );
      await assert.rejects(
        connection.open(changed),
        (error) => error instanceof StorageError && error.kind === 'rejected' && error.field === 'age',
      );
      assert.deepEqual(await (await connection.open(base)).get(record.id), record);
    } finally {
      await connection.close();
    }
  });

  it('a property declared or made searchable later finds the records written before', async () => {
    const connection = await connect('evolution');
    try {
      const base = contractSpec();
      const record = await (await connection.open(base)).create(newRecord({ name: 'Refund desk', nickname: 'zed' }));
      const grown: StorageSpec = { ...contractSpec([{ name: 'nickname', kind: 'string' }], base.collection), searchable: ['name'] };
      const store = await connection.open(grown);
      const page = await store.list({
        filters: [{ field: 'nickname', op: 'eq', value: 'zed' }],
        sort: { field: 'id', direction: 'asc' },
        limit: 5,
      });
      assert.deepEqual(page.records, [record]);
      assert.deepEqual((await store.search({ text: 'refund', offset: 0, limit: 5 })).records, [record]);
      assert.deepEqual((await connection.plan(grown)).steps, []);
    } finally {
      await connection.close();
    }
  });
});

/** Pages through `records` the way OpenSearch would run listBody (see `matchesQuery`). */
function pageWithModel(records: readonly StoredRecord[], filters: ListFilter[], sort: SortOrder, limit: number): StoredRecord[] {
  const seen: StoredRecord[] = [];
  let after: ListAfter | undefined;
  for (let page = 0; page < 100; page++) {
    const body = listBody(kinds, { filters, sort, limit, ...(after && { after }) });
    const hits = records.filter((r) => matchesQuery(r, body.query)).sort(sortComparator(body.sort));
    const shown = hits.slice(0, limit);
    seen.push(...shown);
    if (hits.length <= limit) return seen;
    const last = shown.at(-1) as StoredRecord;
    after = { value: sortValue(last, sort.field), id: last.id };
  }
  throw new Error('paging did not end');
}

/** The query DSL clauses query.ts emits, as OpenSearch documents them: a model to check meaning, not a store. */
function matchesQuery(record: StoredRecord, query: Query): boolean {
  const [type, arg] = Object.entries(query)[0] as [string, Record<string, unknown>];
  if (type === 'match_all') return true;
  if (type === 'match_none') return false;
  if (type === 'exists') return sortValue(record, arg.field as string) !== null;
  if (type === 'bool') {
    const clauses = (name: string) => (arg[name] ?? []) as Query[];
    const should = clauses('should').filter((q) => matchesQuery(record, q)).length;
    return (
      clauses('filter').every((q) => matchesQuery(record, q)) &&
      !clauses('must_not').some((q) => matchesQuery(record, q)) &&
      (!arg.should || should >= (arg.minimum_should_match as number))
    );
  }
  const [field, operand] = Object.entries(arg)[0] as [string, unknown];
  const value = sortValue(record, field);
  switch (type) {
    case 'term':
      return value === operand;
    case 'terms':
      return (operand as unknown[]).includes(value);
    case 'range':
      return Object.entries(operand as object).every(([op, bound]) => {
        if (value === null || typeof value !== typeof bound) return false;
        return op === 'gt' ? value > bound : op === 'gte' ? value >= bound : op === 'lt' ? value < bound : value <= bound;
      });
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp((operand as { value: string }).value).test(value);
  }
  throw new Error(`the model does not know ${type}`);
}

/** Lucene wildcard syntax: `*` any run, `?` one character, `\` takes the next one literally. */
function wildcardRegExp(pattern: string): RegExp {
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    source += c === '\\' ? literal(chars[++i] ?? '') : c === '*' ? '.*' : c === '?' ? '.' : literal(c);
  }
  return new RegExp(`^${source}$`, 'su');
}

function sortComparator(sort: readonly Query[]): (a: StoredRecord, b: StoredRecord) => number {
  return (a, b) => {
    for (const clause of sort) {
      const [[field, { order, missing }]] = Object.entries(clause) as [[string, { order: string; missing?: string }]];
      const [av, bv] = [sortValue(a, field), sortValue(b, field)];
      if (av === bv) continue;
      if (av === null || bv === null) return (av === null ? 1 : -1) * (missing === '_first' ? -1 : 1);
      return (av < bv ? -1 : 1) * (order === 'asc' ? 1 : -1);
    }
    return 0;
  };
}

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/**
 * An HTTP server answering the few requests the wiring test sends, as OpenSearch's REST
 * API documents them, with documents and sequence numbers: it checks what the real client
 * puts on the wire, not how OpenSearch behaves.
 */
async function stubServer() {
  const docs = new Map<string, { source: unknown; seqNo: number }>();
  let seqNo = 0;
  let index = false;
  const state = {
    url: '',
    seen: [] as Seen[],
    refuseLogin: false,
    bump: (id: string) => {
      const doc = docs.get(id);
      if (doc) doc.seqNo = ++seqNo;
    },
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const answer = (method: string, path: string, query: URLSearchParams, body: unknown): [number, unknown?] => {
    if (state.refuseLogin) return [401, { error: { type: 'security_exception', reason: 'authentication failed' } }];
    if (path === '/') return [200];
    if (path.endsWith('/_mapping')) return index ? [200, {}] : [404, { error: { type: 'index_not_found_exception' } }];
    if (method === 'PUT' && path.split('/').length === 2) {
      index = true;
      return [200, { acknowledged: true }];
    }
    const id = decodeURIComponent(path.split('/').at(-1) ?? '');
    const doc = docs.get(id);
    const expected = query.get('if_seq_no');
    const conflict = (query.get('op_type') === 'create' && doc) || (expected !== null && (!doc || String(doc.seqNo) !== expected));
    if (method !== 'GET' && conflict) return [409, { error: { type: 'version_conflict_engine_exception' } }];
    if (method === 'GET')
      return doc ? [200, { found: true, _seq_no: doc.seqNo, _primary_term: 1, _source: doc.source }] : [404, { found: false }];
    if (method === 'DELETE') return docs.delete(id) ? [200, { result: 'deleted' }] : [404, { result: 'not_found' }];
    docs.set(id, { source: body, seqNo: ++seqNo });
    return [201, { result: 'created' }];
  };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://stub');
      const body = text ? JSON.parse(text) : undefined;
      state.seen.push({ method: req.method ?? '', path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body });
      const [status, payload] = answer(req.method ?? '', parsed.pathname, parsed.searchParams, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' || payload === undefined ? undefined : JSON.stringify(payload));
    });
  });
  let port = 0;
  await state.start();
  port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${port}`;
  return state;
}
