// A hand-written Hono app doing the same work as the engine on the same store, without
// the engine: the yardstick the engine's throughput is measured against.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { PGlite } from '@electric-sql/pglite';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { dynamodbBackend } from '../../adapters/dynamodb/index.ts';
import { tableName } from '../../adapters/dynamodb/layout.ts';
import { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import { redisBackend } from '../../adapters/redis/index.ts';
import type { StorageConnection, StoredRecord } from '../../adapters/types.ts';
import { announce, listedNotes, NOTE, NOTE_SCHEMA, REDIS_BENCH_URL } from './shared.ts';

/** The notes automation as the adapters see it, for the sides that keep it in an adapter's layout. */
const NOTES_SPEC = {
  automation: 'notes',
  collection: 'bench_notes',
  fields: [
    { name: 'text', kind: 'string' as const },
    { name: 'topic', kind: 'string' as const },
    { name: 'pinned', kind: 'boolean' as const },
  ],
  filterable: ['topic'],
  sortable: ['createdAt'],
};

interface Store {
  get(id: string): Promise<StoredRecord | undefined>;
  create(record: StoredRecord): Promise<StoredRecord>;
  /** The first 20 notes of a topic, oldest first. */
  list(topic: string): Promise<StoredRecord[]>;
}

/** The same query the engine's list runs, asked of an adapter's store directly. */
const firstPage = (topic: string) => ({
  filters: [{ field: 'topic', op: 'eq' as const, value: topic }],
  sort: { field: 'createdAt', direction: 'asc' as const },
  limit: 20,
});

async function pgliteStore(): Promise<Store> {
  const pg = new PGlite(join(mkdtempSync(join(tmpdir(), 'council-bench-')), 'pg'));
  await pg.exec(
    `create table notes (id uuid primary key, "createdAt" timestamptz not null, "updatedAt" timestamptz not null, text text, topic text, pinned boolean);
     create index on notes (topic); create index on notes ("createdAt", id)`,
  );
  const row = (r: Record<string, unknown>): StoredRecord => ({
    id: r.id as string,
    createdAt: (r.createdAt as Date).toISOString(),
    updatedAt: (r.updatedAt as Date).toISOString(),
    text: r.text,
    ...(r.topic === null ? {} : { topic: r.topic }),
    pinned: r.pinned,
  });
  return {
    async get(id) {
      const { rows } = await pg.query<Record<string, unknown>>('select * from notes where id = $1', [id]);
      return rows[0] && row(rows[0]);
    },
    async list(topic) {
      const sql = 'select * from notes where topic = $1 order by "createdAt", id limit 21';
      const { rows } = await pg.query<Record<string, unknown>>(sql, [topic]);
      return rows.slice(0, 20).map(row);
    },
    async create(r) {
      const { rows } = await pg.query<Record<string, unknown>>('insert into notes values ($1, $2, $3, $4, $5, $6) returning *', [
        r.id,
        r.createdAt,
        r.updatedAt,
        r.text,
        r.topic ?? null,
        r.pinned,
      ]);
      return row(rows[0] as Record<string, unknown>);
    },
  };
}

/** Redis through the same client, keys and Lua page walk the engine's adapter uses. */
async function redisStore(): Promise<Store> {
  const connection = await redisBackend.connect({ name: 'bench', backend: 'redis', url: REDIS_BENCH_URL }, { dataDir: '' });
  const spec = NOTES_SPEC;
  // Start from an empty collection, as the engine's side does.
  await dropCollection(spec.collection);
  return memoryLike(await connection.open(spec));
}

async function dropCollection(collection: string): Promise<void> {
  const client = createClient({ url: REDIS_BENCH_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `council:${collection}:*`, COUNT: 1000 })) if (keys.length) await client.del(keys);
  await client.close();
}

function memoryLike(store: MemoryRecordStore | Awaited<ReturnType<StorageConnection['open']>>): Store {
  return {
    get: (id) => store.get(id),
    create: (record) => store.create(record),
    list: async (topic) => (await store.list(firstPage(topic))).records,
  };
}

/**
 * DynamoDB: the table and its items are the adapter's own (its 20 indexes, its item
 * layout; dynalite reads a table's description and the whole item on every request), and
 * reads by id are the hand-written SDK call the adapter makes: a consistent GetItem
 * through the document client, the record's JSON in `doc`.
 */
async function dynamoStore(): Promise<Store> {
  const url = process.env.DYNAMODB_ENDPOINT;
  const connection = await dynamodbBackend.connect({ name: 'bench', backend: 'dynamodb', url }, { dataDir: '' });
  const written = await connection.open(NOTES_SPEC);
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const db = DynamoDBDocumentClient.from(client);
  const TableName = tableName(NOTES_SPEC);
  return {
    async get(id) {
      const { Item } = await db.send(new GetCommand({ TableName, Key: { id }, ConsistentRead: true }));
      return Item ? (JSON.parse(Item.doc as string) as StoredRecord) : undefined;
    },
    create: (record) => written.create(record),
    list: () => Promise.reject(new Error('the dynamodb bench measures GET by id only')),
  };
}

const kind = process.argv[2];
const store: Store =
  kind === 'postgres'
    ? await pgliteStore()
    : kind === 'redis'
      ? await redisStore()
      : kind === 'dynamodb'
        ? await dynamoStore()
        : memoryLike(new MemoryRecordStore());
const validate = new Ajv2020({ useDefaults: true }).compile(NOTE_SCHEMA);
const app = new Hono();
app.get('/notes/:id', async (c) => {
  const record = await store.get(c.req.param('id'));
  return record ? c.json({ data: record }) : c.json({ title: 'Not found' }, 404);
});
app.get('/notes', async (c) => c.json({ data: await store.list(c.req.query('topic') ?? ''), meta: { next: null, limit: 20 } }));
app.post('/notes', async (c) => {
  const body = await c.req.json();
  if (!validate(body)) return c.json({ errors: validate.errors }, 422);
  const now = new Date().toISOString();
  const record = await store.create({ id: randomUUID(), createdAt: now, updatedAt: now, ...body });
  c.header('Location', `/notes/${record.id}`);
  return c.json({ data: record }, 201);
});
const now = () => new Date().toISOString();
for (const note of listedNotes()) await store.create({ id: randomUUID(), createdAt: now(), updatedAt: now(), ...note });
const seeded = await store.create({ id: randomUUID(), createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), ...NOTE });
announce(app.fetch, seeded.id);
