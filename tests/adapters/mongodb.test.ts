import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type Document, MongoClient } from 'mongodb';
import { matchesFilters } from '../../adapters/filter-match.ts';
import { compareRecords, isAfter, sortValue } from '../../adapters/keyset.ts';
import { toDocument, toRecord } from '../../adapters/mongodb/adapter.ts';
import { mongodbCapabilities } from '../../adapters/mongodb/capabilities.ts';
import { DEFAULT_DATABASE, databaseName } from '../../adapters/mongodb/connection.ts';
import { mongodbBackend } from '../../adapters/mongodb/index.ts';
import {
  collectionValidator,
  filterCondition,
  indexSpecs,
  type ListPhase,
  listPhases,
  literalPattern,
  SCORE_FIELD,
  searchPipeline,
  TEXT_LANGUAGE_FIELD,
  unchangedFilter,
  wordPattern,
} from '../../adapters/mongodb/query.ts';
import { searchWords, textScore } from '../../adapters/text-match.ts';
import { type ListFilter, type SortOrder, StorageError, type StorageSpec, type StoredRecord } from '../../adapters/types.ts';
import { requireStoreFromEnv } from '../support/stores.ts';
import { contractSpec, runRecordStoreContract } from './contract.ts';

const gate = await requireStoreFromEnv('mongodb', 'MONGODB_URL', probe);
const url = gate.url;

async function probe(serverUrl: string): Promise<void> {
  const client = new MongoClient(serverUrl, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

runRecordStoreContract('mongodb', () => mongodbBackend.connect({ name: 'contract', backend: 'mongodb', url }, { dataDir: '' }), {
  skip: gate.skip,
  capabilities: mongodbCapabilities,
  lacks: {
    columnTypes: 'mongodb keeps documents: no column types to conflict',
  },
});

// The contract names every collection c_<random>; drop what it made.
after(async () => {
  if (gate.skip || !url) return;
  const client = new MongoClient(url);
  try {
    const db = client.db(databaseName(url));
    const made = await db.listCollections({ name: { $regex: '^c_' } }, { nameOnly: true }).toArray();
    for (const { name } of made) await db.collection(name).drop();
  } finally {
    await client.close();
  }
});

/**
 * The semantics of the few query shapes query.ts builds, as a MongoDB server applies them
 * to scalar fields: `$eq: null` is "null or missing", comparisons match only values of the
 * same type bracket, and sorts put missing and null first ascending. Unknown operators
 * throw, so a shape this does not model fails the test instead of passing it.
 */
function mongoMatches(doc: Document, filter: Document): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Document[]).every((c) => mongoMatches(doc, c));
    if (key === '$or') return (condition as Document[]).some((c) => mongoMatches(doc, c));
    return Object.entries(condition as Document).every(([op, arg]) => mongoOperator(doc[key], op, arg));
  });
}

function mongoOperator(value: unknown, op: string, arg: unknown): boolean {
  const present = value !== undefined && value !== null;
  switch (op) {
    case '$eq':
      return arg === null ? !present : value === arg;
    case '$ne':
      return !mongoOperator(value, '$eq', arg);
    case '$in':
      return (arg as unknown[]).some((a) => mongoOperator(value, '$eq', a));
    case '$regex':
      return typeof value === 'string' && new RegExp(arg as string).test(value);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (!present || bracket(value) !== bracket(arg)) return false;
      const c = compareScalars(value, arg);
      return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
    }
    default:
      throw new Error(`the test's model of Mongo does not know ${op}`);
  }
}

// BSON comparison order of the types used here: null/missing, numbers, strings, booleans.
function bracket(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return { number: 1, string: 2, boolean: 3 }[typeof value as 'number' | 'string' | 'boolean'];
}

function compareScalars(a: unknown, b: unknown): number {
  if (bracket(a) !== bracket(b)) return bracket(a) - bracket(b);
  if (bracket(a) === 0 || a === b) return 0;
  return (a as string) < (b as string) ? -1 : 1;
}

/** A list as the adapter runs it: each phase is find(filter).sort(sort).limit(rest). */
function runPhases(documents: readonly Document[], phases: readonly ListPhase[], want: number): string[] {
  const out: string[] = [];
  for (const { filter, sort } of phases) {
    if (out.length >= want) break;
    const found = documents
      .filter((d) => mongoMatches(d, filter))
      .sort((a, b) => {
        for (const [key, dir] of Object.entries(sort)) {
          const c = compareScalars(a[key], b[key]);
          if (c !== 0) return c * dir;
        }
        return 0;
      });
    out.push(...found.slice(0, want - out.length).map((d) => d._id as string));
  }
  return out;
}

function sampleRecords(): StoredRecord[] {
  const names = ['alpha', 'Alpha', 'b', 'ärger', '中文', '', 'a.b', '$where', undefined, null];
  const ages = [30, -4, 0, 30, 9007199254740991, undefined, 1.5, null];
  const actives = [true, false, undefined];
  return Array.from({ length: 31 }, (_, i) => {
    const stamp = new Date(Date.UTC(2024, 0, 1, 0, i % 7)).toISOString();
    const values = { name: names[i % names.length], age: ages[i % ages.length], active: actives[i % actives.length] };
    const present = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
    return { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, createdAt: stamp, updatedAt: stamp, ...present };
  });
}

describe('mongodb: filters (query.ts)', () => {
  it('builds one explicit operator per filter', () => {
    const cases: [ListFilter, Document][] = [
      [{ field: 'name', op: 'eq', value: 'x' }, { name: { $eq: 'x' } }],
      [{ field: 'name', op: 'ne', value: 'x' }, { name: { $ne: 'x' } }],
      [{ field: 'age', op: 'gt', value: 3 }, { age: { $gt: 3 } }],
      [{ field: 'age', op: 'gte', value: 3 }, { age: { $gte: 3 } }],
      [{ field: 'age', op: 'lt', value: 3 }, { age: { $lt: 3 } }],
      [{ field: 'age', op: 'lte', value: 3 }, { age: { $lte: 3 } }],
      [{ field: 'age', op: 'in', value: [1, 2] }, { age: { $in: [1, 2] } }],
      [{ field: 'name', op: 'contains', value: 'a.b' }, { name: { $regex: 'a\\.b' } }],
      [{ field: 'name', op: 'contains', value: 7 }, { name: { $in: [] } }],
      [{ field: 'name', op: 'exists', value: true }, { name: { $ne: null } }],
      [{ field: 'name', op: 'exists', value: false }, { name: { $eq: null } }],
      [{ field: 'id', op: 'eq', value: 'abc' }, { _id: { $eq: 'abc' } }],
    ];
    for (const [filter, expected] of cases) assert.deepEqual(filterCondition(filter), expected, JSON.stringify(filter));
  });

  it('keeps values that look like operators as literal values', () => {
    for (const value of ['{"$ne":null}', '$where', '$regex', 'this.a == 1', '$gt']) {
      assert.deepEqual(filterCondition({ field: 'name', op: 'eq', value }), { name: { $eq: value } });
      assert.deepEqual(filterCondition({ field: 'name', op: 'in', value: [value] }), { name: { $in: [value] } });
    }
    // An object smuggled in as a value is refused, not passed on as an operator.
    const smuggled = { field: 'name', op: 'eq', value: { $ne: null } } as unknown as ListFilter;
    assert.throws(
      () => filterCondition(smuggled),
      (e) => e instanceof StorageError && e.kind === 'rejected',
    );
    for (const field of ['$where', 'a.b', '_id', '']) {
      assert.throws(
        () => filterCondition({ field, op: 'eq', value: 1 }),
        (e) => e instanceof StorageError && e.kind === 'rejected',
      );
    }
  });

  it('escapes contains so every character matches itself', () => {
    const tricky = ['.*', '$where', '^a$', '(?i)A', '[a-z]+', 'a|b', '\\d{2}', 'naïve 中文 😀', 'nul\0byte', '{"$ne":null}', '/x/', ''];
    for (const text of tricky) {
      const pattern = literalPattern(text);
      assert.ok(!pattern.includes('\0'), 'no NUL reaches the server');
      assert.ok(new RegExp(`^${pattern}$`).test(text), `${JSON.stringify(text)} matches itself`);
      assert.ok(new RegExp(pattern).test(`xx${text}yy`), `${JSON.stringify(text)} matches as a substring`);
    }
    assert.equal(new RegExp(literalPattern('.*')).test('anything'), false);
    assert.equal(new RegExp(literalPattern('a')).test('A'), false, 'case-sensitive');
  });

  it('matches exactly what adapters/filter-match.ts matches, under Mongo semantics', () => {
    const records = sampleRecords();
    const documents = records.map(toDocument);
    const values = ['alpha', 'Alpha', '', '$where', 'a', 30, 0, -4, 1.5, 9007199254740991, true, false];
    const filters: ListFilter[] = [];
    for (const field of ['name', 'age', 'active']) {
      for (const value of values)
        for (const op of ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains'] as const) filters.push({ field, op, value });
      filters.push(
        { field, op: 'in', value: ['alpha', 30, true] },
        { field, op: 'exists', value: true },
        { field, op: 'exists', value: false },
      );
    }
    for (const filter of filters) {
      const expected = records.filter((r) => matchesFilters(r, [filter])).map((r) => r.id);
      const condition = filterCondition(filter);
      assert.deepEqual(
        documents.filter((d) => mongoMatches(d, condition)).map((d) => d._id),
        expected,
        JSON.stringify(filter),
      );
    }
  });
});

describe('mongodb: sort and keyset (query.ts)', () => {
  const sorts: SortOrder[] = ['name', 'age', 'active', 'createdAt', 'id'].flatMap((field) => [
    { field, direction: 'asc' as const },
    { field, direction: 'desc' as const },
  ]);

  it('puts missing values last ascending and first descending, in two phases', () => {
    assert.deepEqual(listPhases({ filters: [], sort: { field: 'age', direction: 'asc' }, limit: 5 }), [
      { filter: { age: { $ne: null } }, sort: { age: 1, _id: 1 } },
      { filter: { age: { $eq: null } }, sort: { age: 1, _id: 1 } },
    ]);
    assert.deepEqual(listPhases({ filters: [], sort: { field: 'age', direction: 'desc' }, limit: 5 }), [
      { filter: { age: { $eq: null } }, sort: { age: -1, _id: -1 } },
      { filter: { age: { $ne: null } }, sort: { age: -1, _id: -1 } },
    ]);
    assert.deepEqual(listPhases({ filters: [], sort: { field: 'id', direction: 'desc' }, limit: 5, after: { value: 'x', id: 'x' } }), [
      { filter: { _id: { $lt: 'x' } }, sort: { _id: -1 } },
    ]);
  });

  it('turns the cursor into ($or of greater value, same value and greater id) within its phase', () => {
    const phases = listPhases({
      filters: [{ field: 'active', op: 'eq', value: true }],
      sort: { field: 'age', direction: 'asc' },
      limit: 5,
      after: { value: 30, id: 'i' },
    });
    assert.deepEqual(phases[0]?.filter, {
      $and: [{ active: { $eq: true } }, { age: { $ne: null } }, { $or: [{ age: { $gt: 30 } }, { age: { $eq: 30 }, _id: { $gt: 'i' } }] }],
    });
    assert.deepEqual(phases[1]?.filter, { $and: [{ active: { $eq: true } }, { age: { $eq: null } }] });
    const inMissing = listPhases({ filters: [], sort: { field: 'age', direction: 'asc' }, limit: 5, after: { value: null, id: 'i' } });
    assert.deepEqual(inMissing, [{ filter: { $and: [{ age: { $eq: null } }, { _id: { $gt: 'i' } }] }, sort: { age: 1, _id: 1 } }]);
  });

  it('pages in exactly the order of adapters/keyset.ts from every cursor position', () => {
    const records = sampleRecords();
    const documents = records.map(toDocument);
    const filterSets: ListFilter[][] = [[], [{ field: 'active', op: 'ne', value: false }]];
    for (const sort of sorts) {
      for (const filters of filterSets) {
        const ordered = records.filter((r) => matchesFilters(r, filters)).sort(compareRecords(sort));
        for (const from of [undefined, ...ordered]) {
          const cursor = from && { value: sortValue(from, sort.field), id: from.id };
          const expected = ordered.filter((r) => !cursor || isAfter(r, sort, cursor)).slice(0, 6);
          const got = runPhases(documents, listPhases({ filters, sort, limit: 5, ...(cursor && { after: cursor }) }), 6);
          assert.deepEqual(
            got,
            expected.map((r) => r.id),
            `${sort.field} ${sort.direction} after ${from?.id ?? 'start'}`,
          );
        }
      }
    }
  });
});

describe('mongodb: writes and search (query.ts, adapter.ts)', () => {
  it('maps id to _id and back, keeping every property as it is', () => {
    const record: StoredRecord = {
      id: randomUUID(),
      createdAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
      big: 9007199254740991,
      nested: { list: [1, 'two', null], 'key "q"': 'é😀' },
    };
    const document = toDocument(record);
    assert.equal(document._id, record.id);
    assert.equal('id' in document, false);
    assert.deepEqual(toRecord(document), record);
  });

  it('compare-and-set matches only the document exactly as read', () => {
    const current = { _id: 'r1', createdAt: 'c', updatedAt: 'u', note: '$notAPath', n: 1 };
    assert.deepEqual(unchangedFilter('r1', current), {
      _id: { $eq: 'r1' },
      $expr: { $eq: [{ $cmp: ['$$ROOT', { $literal: current }] }, 0] },
    });
  });

  it('search requires every word as a whole word and scores as adapters/text-match.ts', () => {
    const texts = ['Cat cat dog', 'category dog', 'the CAT', 'dog', 'cat_dog cat-dog', 'Ärger ärger', 'x9 x9y 9x9'];
    for (const query of ['cat', 'cat dog', 'ärger', 'x9', '9x9', 'dog']) {
      const words = searchWords(query);
      for (const text of texts) {
        const record = { id: 'r', createdAt: '', updatedAt: '', title: text };
        const counts = words.map((w) => text.match(new RegExp(wordPattern(w), 'giu'))?.length ?? 0);
        const score = counts.every((c) => c > 0) ? counts.reduce((a, b) => a + b, 0) : 0;
        assert.equal(score, textScore(record, ['title'], words), `${query} in ${text}`);
      }
    }
    assert.throws(() => wordPattern('a.b'), StorageError);
  });

  it('search runs $text for candidates, then exact word checks, score desc, id asc, offset and limit + 1', () => {
    const pipeline = searchPipeline(['title', 'body'], ['cat', 'dog'], 10, 5);
    assert.deepEqual(pipeline[0], {
      $match: {
        $text: { $search: 'cat dog' },
        $and: ['cat', 'dog'].map((w) => ({
          $or: ['title', 'body'].map((f) => ({ [f]: { $regex: wordPattern(w), $options: 'i' } })),
        })),
      },
    });
    assert.deepEqual(pipeline.slice(2), [
      { $sort: { [SCORE_FIELD]: -1, _id: 1 } },
      { $skip: 10 },
      { $limit: 6 },
      { $project: { [SCORE_FIELD]: 0 } },
    ]);
    assert.equal(searchPipeline(['title'], ['cat'], 0, 5).filter((stage) => '$skip' in stage).length, 0);
  });
});

describe('mongodb: validator and indexes (query.ts)', () => {
  const spec: StorageSpec = {
    ...contractSpec([], 'tickets'),
    filterable: ['name', 'active', 'id'],
    sortable: ['createdAt', 'name', 'id'],
    unique: ['name', 'tags'],
    searchable: ['name'],
  };

  it('validates the built-in fields and the type of each typed property, allowing null and extra properties', () => {
    assert.deepEqual(collectionValidator(spec), {
      $jsonSchema: {
        bsonType: 'object',
        required: ['_id', 'createdAt', 'updatedAt'],
        properties: {
          _id: { bsonType: 'string' },
          createdAt: { bsonType: 'string' },
          updatedAt: { bsonType: 'string' },
          name: { bsonType: ['string', 'null'] },
          age: { bsonType: ['int', 'long', 'double', 'null'] },
          score: { bsonType: ['int', 'long', 'double', 'decimal', 'null'] },
          active: { bsonType: ['bool', 'null'] },
        },
      },
    });
  });

  it('indexes sort fields with _id, other filter fields, unique fields partially, and searchable text', () => {
    const indexes = indexSpecs(spec).map(({ why, ...index }) => index);
    const text = indexes.find((i) => i.name.startsWith('council_text_'));
    assert.deepEqual(indexes, [
      { name: 'council_sort_createdAt', key: { createdAt: 1, _id: 1 } },
      { name: 'council_sort_name', key: { name: 1, _id: 1 } },
      { name: 'council_filter_active', key: { active: 1 } },
      { name: 'council_unique_name_string', key: { name: 1 }, unique: true, partialFilterExpression: { name: { $type: 'string' } } },
      { name: 'council_unique_tags_any', key: { tags: 1 }, unique: true, partialFilterExpression: { tags: { $exists: true } } },
      { name: text?.name, key: { name: 'text' }, default_language: 'none', language_override: TEXT_LANGUAGE_FIELD },
    ]);
    const other = indexSpecs({ ...spec, searchable: ['name', 'tags'] }).find((i) => i.name.startsWith('council_text_'));
    assert.notEqual(other?.name, text?.name, 'other searchable fields, another text index name');
  });

  it('reads the database from the URL path, else council', () => {
    assert.equal(databaseName('mongodb://u:p%40ss@h1:27017,h2:27017/shop?replicaSet=rs'), 'shop');
    assert.equal(databaseName('mongodb+srv://cluster0.example.net/app'), 'app');
    assert.equal(databaseName('mongodb://localhost:27017'), DEFAULT_DATABASE);
    assert.equal(databaseName('mongodb://localhost:27017/?directConnection=true'), DEFAULT_DATABASE);
  });
});

describe('mongodb: connecting', () => {
  it('without a url, or with one the driver cannot parse, is unavailable', async () => {
    await assert.rejects(mongodbBackend.connect({ name: 'nourl', backend: 'mongodb' }, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, 'unavailable');
      assert.match(error.message, /has no url/);
      return true;
    });
    const bad = 'postgres://user:hunter2@host/db';
    await assert.rejects(mongodbBackend.connect({ name: 'bad', backend: 'mongodb', url: bad }, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError && error.kind === 'unavailable');
      assert.doesNotMatch(error.message, /hunter2|host/);
      return true;
    });
  });

  it('an unreachable server is unavailable within seconds and names neither url nor password', async () => {
    const secret = 'mongodb://admin:hunter2@127.0.0.1:1/council';
    const started = Date.now();
    await assert.rejects(mongodbBackend.connect({ name: 'down', backend: 'mongodb', url: secret }, { dataDir: '' }), (error) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, 'unavailable');
      assert.match(error.message, /mongodb connection "down"/);
      assert.doesNotMatch(error.message, /hunter2|127\.0\.0\.1|mongodb:\/\//);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'fails fast');
  });
});

describe('mongodb: server behaviour beyond the contract', { skip: gate.skip }, () => {
  const connect = () => mongodbBackend.connect({ name: 'extra', backend: 'mongodb', url }, { dataDir: '' });
  const stamp = '2024-01-01T00:00:00.000Z';
  const record = (n: number, properties: Record<string, unknown>): StoredRecord => ({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    createdAt: stamp,
    updatedAt: stamp,
    ...properties,
  });

  it('values that look like operators match only themselves', async () => {
    const connection = await connect();
    try {
      const store = await connection.open(contractSpec());
      const names = ['{"$ne":null}', '$where', '.*', 'plain', 'a.b'];
      for (const [i, name] of names.entries()) await store.create(record(i, { name }));
      for (const [i, name] of names.entries()) {
        for (const op of ['eq', 'contains'] as const) {
          const page = await store.list({
            filters: [{ field: 'name', op, value: name }],
            sort: { field: 'id', direction: 'asc' },
            limit: 10,
          });
          assert.deepEqual(
            page.records.map((r) => r.name),
            [names[i]],
            `${op} ${name}`,
          );
        }
      }
    } finally {
      await connection.close();
    }
  });

  it('search matches every word as a whole word, most occurrences first, and swaps its index when fields change', async () => {
    const connection = await connect();
    try {
      const spec = { ...contractSpec([{ name: 'body', kind: 'string' as const }]), searchable: ['name'] };
      const store = await connection.open(spec);
      await store.create(record(1, { name: 'cat dog' }));
      await store.create(record(2, { name: 'Cat cat DOG' }));
      await store.create(record(3, { name: 'category dog' }));
      await store.create(record(4, { name: 'dog', body: 'cat' }));
      const ids = async (text: string) => (await store.search({ text, offset: 0, limit: 10 })).records.map((r) => r.id.slice(-1));
      assert.deepEqual(await ids('cat dog'), ['2', '1']);
      assert.deepEqual(await ids('DOG'), ['1', '2', '3', '4']);
      assert.deepEqual(await ids('  '), []);
      const wider = await connection.open({ ...spec, searchable: ['name', 'body'] });
      assert.deepEqual(
        (await wider.search({ text: 'cat dog', offset: 0, limit: 10 })).records.map((r) => r.id.slice(-1)),
        ['2', '1', '4'],
      );
      assert.deepEqual((await connection.plan({ ...spec, searchable: ['name', 'body'] })).steps, []);
    } finally {
      await connection.close();
    }
  });

  it('plan() lists what open() does, and nothing once it is done', async () => {
    const connection = await connect();
    try {
      const spec = contractSpec();
      const planned = await connection.plan(spec);
      assert.match(planned.steps[0]?.statement ?? '', /^db\.createCollection\(/);
      await connection.open(spec);
      assert.deepEqual((await connection.plan(spec)).steps, []);
      const grown = {
        ...spec,
        fields: [...spec.fields, { name: 'nickname', kind: 'string' as const }],
        filterable: [...spec.filterable, 'nickname'],
      };
      assert.deepEqual(
        (await connection.plan(grown)).steps.map((s) => s.statement.split('(')[0]),
        ['db.runCommand', `db.getCollection("${spec.collection}").createIndex`],
      );
    } finally {
      await connection.close();
    }
  });

  it('making a field unique over records that share a value is rejected, naming the field', async () => {
    const connection = await connect();
    try {
      const spec = contractSpec();
      const store = await connection.open(spec);
      await store.create(record(1, { name: 'same' }));
      await store.create(record(2, { name: 'same' }));
      await assert.rejects(
        connection.open({ ...spec, unique: ['name'] }),
        (error) => error instanceof StorageError && error.kind === 'rejected' && error.field === 'name',
      );
    } finally {
      await connection.close();
    }
  });
});
