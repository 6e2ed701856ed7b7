// A hand-written Hono app doing the same work as the engine on the same store, without
// the engine: the yardstick the engine's throughput is measured against.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Hono } from 'hono';
import { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import type { StoredRecord } from '../../adapters/types.ts';
import { announce, NOTE, NOTE_SCHEMA } from './shared.ts';

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

const store: Store = process.argv[2] === 'postgres' ? await pgliteStore() : new MemoryRecordStore();
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
