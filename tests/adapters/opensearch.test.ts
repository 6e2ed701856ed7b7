import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Client } from '@opensearch-project/opensearch';
import { opensearchCapabilities } from '../../adapters/opensearch/capabilities.ts';
import { OPENSEARCH } from '../../adapters/opensearch/dialect.ts';
import { opensearchBackend } from '../../adapters/opensearch/index.ts';
import { indexBody, planIndex } from '../../adapters/search-dsl/mapping.ts';
import { GET_MANY_MAX, StorageError, type StorageSpec } from '../../adapters/types.ts';
import { searchStub as stubServer } from '../support/search-stub.ts';
import { requireStoreFromEnv } from '../support/stores.ts';
import { contractSpec, newRecord, runRecordStoreContract } from './contract.ts';
import { runIndexEvolution } from './search-evolution.ts';

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

// The translation itself (query DSL, mapping, plan) is OpenSearch's and Elasticsearch's
// alike: tests/adapters/search-dsl.test.ts checks it. Here: OpenSearch's dialect and client.
const spec: StorageSpec = { ...contractSpec([{ name: 'body', kind: 'string' }], 'tickets_2024'), searchable: ['name', 'body'] };

describe('opensearch: dialect', () => {
  it("refuses OpenSearch's metadata fields as property names, naming OpenSearch", () => {
    const named = (name: string) => ({ ...spec, fields: [...spec.fields, { name, kind: 'string' as const }] });
    for (const name of ['_size', '_primary_term', '_data_stream_timestamp']) {
      const [refused] = planIndex(named(name), undefined, OPENSEARCH).refused;
      assert.equal(refused?.field, name);
      assert.match(refused?.message ?? '', /is an OpenSearch metadata field name/);
    }
    // Elasticsearch's own, which OpenSearch does not have.
    assert.deepEqual(planIndex(named('_tier'), undefined, OPENSEARCH).refused, []);
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

  it('getMany reads every id in one _mget; ids not stored are absent, and none is sent twice', async () => {
    const stub = await stubServer();
    const connection = await opensearchBackend.connect({ name: 'mget', backend: 'opensearch', url: stub.url }, { dataDir: '' });
    try {
      const store = await connection.open(spec);
      assert.ok(store.getMany);
      const [a, b] = [newRecord({ name: 'a' }), newRecord({ name: 'b' })];
      await store.create(a);
      await store.create(b);
      const missing = randomUUID();
      const before = stub.seen.length;
      const found = await store.getMany([b.id, missing, a.id, b.id, '']);
      assert.deepEqual(
        stub.seen.slice(before).map((r) => `${r.method} ${r.path}`),
        ['POST /council-tickets-2024/_mget'],
      );
      assert.deepEqual(stub.seen.at(-1)?.body, { ids: [b.id, missing, a.id] });
      assert.deepEqual(
        found,
        new Map([
          [a.id, a],
          [b.id, b],
        ]),
      );
      assert.equal((await store.getMany([])).size, 0);
      assert.equal(stub.seen.length, before + 1, 'no ids, no request');
      const tooMany = Array.from({ length: GET_MANY_MAX + 1 }, () => randomUUID());
      await assert.rejects(store.getMany(tooMany), (error) => error instanceof StorageError && error.kind === 'rejected');
      stub.dropIndex();
      await assert.rejects(store.getMany([a.id]), (error) => error instanceof StorageError && /is missing; reload/.test(error.message));
    } finally {
      await connection.close();
      await stub.stop();
    }
  });
});

runIndexEvolution('opensearch', () => connect('evolution'), gate.skip);
