// A hand-written Hono app doing the same work as the engine on the same store, without
// the engine: the yardstick the engine's throughput is measured against.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import type { StoredRecord } from '../../adapters/types.ts';
import { announce, NOTE, NOTE_SCHEMA, REDIS_BENCH_URL } from './shared.ts';

interface Store {
  get(id: string): Promise<StoredRecord | undefined>;
  create(record: StoredRecord): Promise<StoredRecord>;
}

async function pgliteStore(): Promise<Store> {
  const pg = new PGlite(join(mkdtempSync(join(tmpdir(), 'council-bench-')), 'pg'));
  await pg.exec(
    'create table notes (id uuid primary key, "createdAt" timestamptz not null, "updatedAt" timestamptz not null, text text, topic text, pinned boolean)',
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

/** The same client and keys a hand-written Redis service would use: JSON by id, plus the id index. */
async function redisStore(): Promise<Store> {
  const client = createClient({ url: REDIS_BENCH_URL });
  await client.connect();
  const prefix = `bench:${randomUUID()}:`;
  return {
    async get(id) {
      const text = await client.get(`${prefix}r:${id}`);
      return text === null ? undefined : (JSON.parse(text) as StoredRecord);
    },
    async create(r) {
      await client
        .multi()
        .set(`${prefix}r:${r.id}`, JSON.stringify(r), { condition: 'NX' })
        .zAdd(`${prefix}ids`, { score: 0, value: r.id })
        .exec();
      return r;
    },
  };
}

const kind = process.argv[2];
const store: Store = kind === 'postgres' ? await pgliteStore() : kind === 'redis' ? await redisStore() : new MemoryRecordStore();
const validate = new Ajv2020({ useDefaults: true }).compile(NOTE_SCHEMA);
const app = new Hono();
app.get('/notes/:id', async (c) => {
  const record = await store.get(c.req.param('id'));
  return record ? c.json({ data: record }) : c.json({ title: 'Not found' }, 404);
});
app.post('/notes', async (c) => {
  const body = await c.req.json();
  if (!validate(body)) return c.json({ errors: validate.errors }, 422);
  const now = new Date().toISOString();
  const record = await store.create({ id: randomUUID(), createdAt: now, updatedAt: now, ...body });
  c.header('Location', `/notes/${record.id}`);
  return c.json({ data: record }, 201);
});
const seeded = await store.create({ id: randomUUID(), createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), ...NOTE });
announce(app.fetch, seeded.id);
