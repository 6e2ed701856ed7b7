import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { elasticsearchCapabilities } from '../../adapters/elasticsearch/capabilities.ts';
import { ELASTICSEARCH } from '../../adapters/elasticsearch/dialect.ts';
import { elasticsearchBackend } from '../../adapters/elasticsearch/index.ts';
import { clientTarget } from '../../adapters/elasticsearch/url.ts';
import { fieldKinds, indexBody, indexMapping, indexName, planIndex } from '../../adapters/search-dsl/mapping.ts';
import { countBody, listBody } from '../../adapters/search-dsl/query.ts';
import { type ConnectContext, GET_MANY_MAX, type ListQuery, StorageError, type StorageSpec } from '../../adapters/types.ts';
import { searchStub } from '../support/search-stub.ts';
import { requireStoreFromEnv } from '../support/stores.ts';
import { contractSpec, newRecord, runRecordStoreContract } from './contract.ts';
import { runIndexEvolution } from './search-evolution.ts';

const gate = await requireStoreFromEnv('elasticsearch', 'ELASTICSEARCH_URL', probe);
const url = gate.url;

const connect = (name = 'contract') => elasticsearchBackend.connect({ name, backend: 'elasticsearch', url: url ?? '' }, { dataDir: '' });

// A variable, not a literal: the options type is being extended in parallel.
const contractOptions = {
  skip: gate.skip,
  capabilities: elasticsearchCapabilities,
  lacks: {
    migrations:
      'elasticsearch refuses a changed type but cannot retype or drop a mapped field in place (that takes a reindex), and its plan steps are REST requests, not SQL',
    longIndexedStrings:
      'elasticsearch keeps strings over 8,191 characters but does not index them (keyword ignore_above), so lists neither find nor order them',
  },
};
runRecordStoreContract('elasticsearch', () => connect(), contractOptions);
runIndexEvolution('elasticsearch', () => connect('evolution'), gate.skip);

/** A client to the test cluster, reading the url as the backend does (credentials, apiKey). */
function testClient(at: string, options: { requestTimeout?: number } = {}): Client {
  const target = clientTarget(at);
  if ('problem' in target) throw new Error(`ELASTICSEARCH_URL ${target.problem}`);
  return new Client({ node: target.node, ...(target.auth ? { auth: target.auth } : {}), maxRetries: 0, ...options });
}

// The contract names every collection c_<random>, so its indexes are council-c-*.
after(async () => {
  if (gate.skip || !url) return;
  const client = testClient(url);
  try {
    // One by one: Elasticsearch 8 refuses to delete by wildcard (action.destructive_requires_name).
    for (const index of Object.keys(await client.indices.get({ index: 'council-c-*' }))) await client.indices.delete({ index });
  } finally {
    await client.close();
  }
});

async function probe(at: string): Promise<void> {
  const client = testClient(at, { requestTimeout: 3000 });
  try {
    await client.ping();
  } finally {
    await client.close();
  }
}

// The translation is OpenSearch's too: tests/adapters/search-dsl.test.ts checks it. Here:
// Elasticsearch's dialect, its url, and what its client puts on the wire.
const spec: StorageSpec = { ...contractSpec([{ name: 'body', kind: 'string' }], 'tickets_2024'), searchable: ['name', 'body'] };
const secret = 's3cret-pw';
const isUnavailable = (error: unknown) => error instanceof StorageError && error.kind === 'unavailable';
const elastic = { 'x-elastic-product': 'Elasticsearch' };
/** A stub that answers as Elasticsearch does; `open` connects to it and opens `spec`. */
async function elasticStub() {
  const stub = await searchStub(elastic);
  return Object.assign(stub, {
    connect: (name: string, context: Partial<ConnectContext> = {}, at = stub.url) =>
      elasticsearchBackend.connect({ name, backend: 'elasticsearch', url: at }, { dataDir: '', ...context }),
  });
}

/** The message names neither the url's host nor its password or key. */
function revealsNothing(error: unknown): boolean {
  const message = (error as Error).message;
  return !message.includes(secret) && !message.includes('127.0.0.1');
}

describe('elasticsearch: dialect', () => {
  it("refuses Elasticsearch's metadata fields as property names, naming Elasticsearch", () => {
    const named = (name: string) => ({ ...spec, fields: [...spec.fields, { name, kind: 'string' as const }] });
    for (const name of ['_tier', '_ignored_source', '_tsid', '_index_mode', '_primary_term']) {
      const [refused] = planIndex(named(name), undefined, ELASTICSEARCH).refused;
      assert.equal(refused?.field, name);
      assert.match(refused?.message ?? '', /is an Elasticsearch metadata field name/);
    }
    assert.throws(
      () => indexName('a b', ELASTICSEARCH),
      (error) => error instanceof StorageError && /cannot name an Elasticsearch index/.test(error.message),
    );
  });
});

describe('elasticsearch: url', () => {
  it('a user and password are basic auth, and leave the node url', () => {
    assert.deepEqual(clientTarget(`https://council:${secret}@search.example.com:9243/es`), {
      node: 'https://search.example.com:9243/es',
      auth: { username: 'council', password: secret },
    });
    assert.deepEqual(clientTarget('http://es:9200'), { node: 'http://es:9200/' });
    assert.deepEqual(clientTarget('http://c%40t:p%2Fw@es:9200'), { node: 'http://es:9200/', auth: { username: 'c@t', password: 'p/w' } });
  });

  it('apiKey is an API key, encoded (its + kept) or as id:key, and leaves the node url', () => {
    assert.deepEqual(clientTarget('https://search.example.com?apiKey=aWQ6a2V5+/w=='), {
      node: 'https://search.example.com/',
      auth: { apiKey: 'aWQ6a2V5+/w==' },
    });
    assert.deepEqual(clientTarget('https://search.example.com/?apiKey=VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'), {
      node: 'https://search.example.com/',
      auth: { apiKey: { id: 'VuaCfGcBCdbkQm-e5aOx', api_key: 'ui2lp2axTNmsyakw9tvNnw' } },
    });
  });

  it('refuses what it cannot read, naming neither the url nor a secret', () => {
    const problems = [
      [`http://council:${secret}@[bad`, /cannot parse/],
      [`ftp://council:${secret}@es:21`, /not http/],
      [`https://es:9200?api_key=${secret}`, /parameter other than apiKey/],
      [`https://es:9200?apiKey=${secret}&${secret}=1`, /parameter other than apiKey/],
      [`https://council:${secret}@es:9200?apiKey=${secret}`, /both a user and an apiKey/],
      ['https://es:9200?apiKey=', /empty apiKey/],
    ] as const;
    for (const [text, expected] of problems) {
      const target = clientTarget(text);
      assert.ok('problem' in target, text);
      assert.match(target.problem, expected);
      assert.ok(!target.problem.includes(secret) && !target.problem.includes('es:9200'), target.problem);
    }
  });
});

describe('elasticsearch: connection', () => {
  it('without a url, or with one it cannot use, is unavailable, naming no secret', async () => {
    await assert.rejects(elasticsearchBackend.connect({ name: 'nourl', backend: 'elasticsearch' }, { dataDir: '' }), (error) => {
      assert.ok(isUnavailable(error));
      assert.match((error as Error).message, /has no url/);
      return true;
    });
    for (const bad of [`http://council:${secret}@[bad`, `https://es:9200?token=${secret}`]) {
      await assert.rejects(elasticsearchBackend.connect({ name: 'bad', backend: 'elasticsearch', url: bad }, { dataDir: '' }), (error) => {
        assert.ok(isUnavailable(error) && revealsNothing(error), (error as Error).message);
        return true;
      });
    }
  });

  it('to an unreachable server fails fast as unavailable, naming neither url nor password', async () => {
    const started = Date.now();
    const down = `http://council:${secret}@127.0.0.1:1`;
    await assert.rejects(elasticsearchBackend.connect({ name: 'down', backend: 'elasticsearch', url: down }, { dataDir: '' }), (error) => {
      assert.ok(isUnavailable(error) && revealsNothing(error), (error as Error).message);
      assert.match((error as Error).message, /could not connect \(ECONNREFUSED\)/);
      return true;
    });
    assert.ok(Date.now() - started < 6000);
  });

  it('to a server that is not Elasticsearch (no x-elastic-product) is unavailable, saying so', async () => {
    const stub = await searchStub();
    try {
      await assert.rejects(
        elasticsearchBackend.connect({ name: 'other', backend: 'elasticsearch', url: stub.url }, { dataDir: '' }),
        (error) => isUnavailable(error) && /no Elasticsearch at the url/.test((error as Error).message),
      );
    } finally {
      await stub.stop();
    }
  });

  it('sends url credentials as basic auth and apiKey as an API key, never on the request line; a refused login is unavailable', async () => {
    const stub = await elasticStub();
    try {
      const basic = await stub.connect('basic', {}, stub.url.replace('//', `//council:${secret}@`));
      assert.equal(stub.seen.at(-1)?.headers.authorization, `Basic ${Buffer.from(`council:${secret}`).toString('base64')}`);
      stub.refuseLogin = true;
      await assert.rejects(basic.ping(), (error) => isUnavailable(error) && revealsNothing(error));
      await basic.close();
      stub.refuseLogin = false;
      const keyed = await stub.connect('keyed', {}, `${stub.url}/?apiKey=aWQ6a2V5+/w==`);
      const request = stub.seen.at(-1);
      assert.equal(request?.headers.authorization, 'ApiKey aWQ6a2V5+/w==');
      assert.equal(`${request?.method} ${request?.path}?${request?.query}`, 'HEAD /?', 'the key is not on the request line');
      await keyed.close();
    } finally {
      await stub.stop();
    }
  });

  it('is unavailable while the server is down and serves again once it is back', async () => {
    const stub = await elasticStub();
    const connection = await stub.connect('restart');
    try {
      await stub.stop();
      await assert.rejects(connection.ping(), isUnavailable);
      await stub.start();
      await connection.ping();
    } finally {
      await connection.close();
      await stub.stop();
    }
  });

  it('creates the index and writes with no body wrapper: the document is the request body, refresh=wait_for, compare-and-set on modify', async () => {
    const stub = await elasticStub();
    const connection = await stub.connect('wire');
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
      assert.deepEqual(write?.body, record);
      await assert.rejects(store.create(record), (error) => error instanceof StorageError && error.kind === 'conflict');
      assert.deepEqual(await store.get(record.id), record);
      assert.equal(await store.get(randomUUID()), undefined);
      let calls = 0;
      const changed = await store.modify(record.id, (current) => {
        if (calls++ === 0) stub.bump(record.id);
        return { ...current, age: 1 };
      });
      assert.equal(calls, 2, 'the version conflict made modify read again');
      assert.deepEqual(await store.get(record.id), changed);
      const versioned = stub.seen.filter((r) => r.method === 'PUT' && r.query.has('if_seq_no'));
      assert.deepEqual(
        versioned.map((r) => r.query.get('if_seq_no')),
        ['1', '2'],
      );
      assert.deepEqual(versioned.at(-1)?.body, changed);
      assert.equal(await store.delete(record.id, () => {}), true);
      const removal = stub.seen.at(-1);
      assert.equal(`${removal?.method} ${removal?.path}`, `DELETE /council-tickets-2024/_doc/${record.id}`);
      assert.deepEqual(Object.fromEntries(removal?.query ?? []), { refresh: 'wait_for', if_seq_no: '3', if_primary_term: '1' });
      assert.equal(await store.delete(record.id), false);
    } finally {
      await connection.close();
      await stub.stop();
    }
  });

  it('lists, counts and reads many with the query DSL as the request body', async () => {
    const stub = await elasticStub();
    const connection = await stub.connect('reads');
    try {
      const store = await connection.open(spec);
      assert.ok(store.getMany);
      const [a, b] = [newRecord({ name: 'a', age: 1 }), newRecord({ name: 'b', age: 2 })];
      await store.create(a);
      await store.create(b);
      const query: ListQuery = {
        filters: [{ field: 'age', op: 'gte', value: 1 }],
        sort: { field: 'name', direction: 'asc' },
        limit: 5,
        count: true,
      };
      const before = stub.seen.length;
      const page = await store.list(query);
      assert.deepEqual(page, { records: [a, b], hasMore: false, total: 2 });
      const sent = stub.seen.slice(before).sort((x, y) => (x.path < y.path ? -1 : 1));
      assert.deepEqual(
        sent.map((r) => `${r.method} ${r.path}`),
        ['POST /council-tickets-2024/_count', 'POST /council-tickets-2024/_search'],
      );
      const kinds = fieldKinds(spec);
      assert.deepEqual(sent[0]?.body, JSON.parse(JSON.stringify(countBody(kinds, query.filters))));
      assert.deepEqual(sent[1]?.body, JSON.parse(JSON.stringify(listBody(kinds, query))));
      const missing = randomUUID();
      const found = await store.getMany([b.id, missing, a.id, b.id, '']);
      assert.deepEqual(
        found,
        new Map([
          [a.id, a],
          [b.id, b],
        ]),
      );
      const mget = stub.seen.at(-1);
      assert.equal(`${mget?.method} ${mget?.path}`, 'POST /council-tickets-2024/_mget');
      assert.deepEqual(mget?.body, { ids: [b.id, missing, a.id] });
      const count = stub.seen.length;
      assert.equal((await store.getMany([])).size, 0);
      await assert.rejects(
        store.getMany(Array.from({ length: GET_MANY_MAX + 1 }, () => randomUUID())),
        (error) => error instanceof StorageError && error.kind === 'rejected',
      );
      assert.equal(stub.seen.length, count, 'no ids, or too many, send nothing');
      stub.dropIndex();
      await assert.rejects(store.getMany([a.id]), (error) => error instanceof StorageError && /is missing; reload/.test(error.message));
    } finally {
      await connection.close();
      await stub.stop();
    }
  });

  it('brings an existing index to the spec: the new fields as a mapping update, then the records rewritten in place', async () => {
    const stub = await elasticStub();
    const older = { ...indexMapping(spec).properties };
    delete older.body;
    stub.createIndex();
    stub.mapping = { dynamic: 'false', properties: older };
    const connection = await stub.connect('evolve');
    try {
      assert.deepEqual(
        (await connection.plan(spec)).steps.map((s) => s.statement.split(' ').slice(0, 2).join(' ')),
        ['PUT /council-tickets-2024/_mapping', 'POST /council-tickets-2024/_update_by_query?conflicts=proceed&refresh=true'],
      );
      const before = stub.seen.length;
      await connection.open(spec);
      const [, update, rewrite] = stub.seen.slice(before);
      assert.equal(`${update?.method} ${update?.path}`, 'PUT /council-tickets-2024/_mapping');
      assert.deepEqual(update?.body, { dynamic: false, properties: { body: indexMapping(spec).properties.body } });
      assert.equal(`${rewrite?.method} ${rewrite?.path}`, 'POST /council-tickets-2024/_update_by_query');
      // The 8 client sends `conflicts` in the body (where Elasticsearch reads it too), not on the query string.
      assert.deepEqual(Object.fromEntries(rewrite?.query ?? []), { refresh: 'true', wait_for_completion: 'true' });
      assert.deepEqual(rewrite?.body, { conflicts: 'proceed' });
    } finally {
      await connection.close();
      await stub.stop();
    }
  });
});

describe('elasticsearch: deadlines and errors, on a real socket', () => {
  it('a request the server does not answer is unavailable at the statement deadline, reads and writes alike', async () => {
    const stub = await elasticStub();
    const connection = await stub.connect('stalled', { statementTimeoutMs: 300 }, stub.url.replace('//', `//council:${secret}@`));
    try {
      const store = await connection.open(spec);
      stub.stall = true;
      for (const call of [
        async () => store.get(randomUUID()),
        () => store.create(newRecord()),
        () => store.list({ filters: [], sort: { field: 'id', direction: 'asc' }, limit: 5 }),
      ]) {
        const started = Date.now();
        await assert.rejects(call(), (error) => {
          assert.ok(isUnavailable(error) && revealsNothing(error), (error as Error).message);
          assert.match((error as Error).message, /is unavailable \(TimeoutError\)/);
          return true;
        });
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 3000, `gave up after ${took} ms`);
      }
    } finally {
      await connection.close();
      await stub.stop();
    }
  });

  it('the ping has its own deadline, shorter than a statement, so a hung server is reported in seconds', async () => {
    const stub = await elasticStub();
    const connection = await stub.connect('hung', { statementTimeoutMs: 60_000 });
    try {
      stub.stall = true;
      const started = Date.now();
      await assert.rejects(connection.ping(), isUnavailable);
      const took = Date.now() - started;
      assert.ok(took >= 4500 && took < 8000, `gave up after ${took} ms`);
    } finally {
      await connection.close();
      await stub.stop();
    }
  });

  it('answers become StorageErrors by status: 400 rejected, 401/429/503 unavailable, others failed; sent once, naming no secret', async () => {
    const stub = await elasticStub();
    const connection = await stub.connect('answers', {}, stub.url.replace('//', `//council:${secret}@`));
    try {
      const store = await connection.open(spec);
      const cases = [
        [400, 'mapper_parsing_exception', 'rejected'],
        [401, 'security_exception', 'unavailable'],
        [429, 'es_rejected_execution_exception', 'unavailable'],
        [503, 'cluster_block_exception', 'unavailable'],
        [500, 'illegal_state_exception', 'failed'],
      ] as const;
      for (const [status, type, kind] of cases) {
        stub.fail = [status, { error: { root_cause: [{ type, reason: 'why' }], type, reason: 'why' }, status }];
        const before = stub.seen.length;
        await assert.rejects(store.create(newRecord()), (error) => {
          assert.ok(error instanceof StorageError, String(error));
          assert.equal(error.kind, kind, `${status}`);
          assert.match(error.message, new RegExp(`HTTP ${status}: ${type}: why`));
          assert.ok(revealsNothing(error), error.message);
          return true;
        });
        assert.equal(stub.seen.length, before + 1, `HTTP ${status} is not retried`);
      }
    } finally {
      await connection.close();
      await stub.stop();
    }
  });
});
