// The hand-written PostgreSQL app: postgres.js, whose tagged queries are prepared
// statements, on a table of its own (emptied at start) in $DATABASE_URL.
import { Hono } from 'hono';
import postgres from 'postgres';
import { listen, type Note, noteInput, pageLimit } from './note.ts';

const sql = postgres(process.env.DATABASE_URL ?? '', { max: 10, prepare: true, onnotice: () => {} });
await sql`drop table if exists hand_notes`;
await sql`create table hand_notes (
  id uuid primary key default gen_random_uuid(),
  "createdAt" timestamptz not null default now(),
  "updatedAt" timestamptz not null default now(),
  text text not null,
  topic text,
  pinned boolean not null
)`;
await sql`create index on hand_notes (topic, "createdAt", id)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const app = new Hono();

app.get('/notes/:id', async (c) => {
  const id = c.req.param('id');
  const [note] = UUID.test(id) ? await sql<Note[]>`select * from hand_notes where id = ${id}` : [];
  return note ? c.json({ data: note }) : c.json({ title: 'Not found' }, 404);
});

app.get('/notes', async (c) => {
  const topic = c.req.query('topic');
  const limit = pageLimit(c.req.query('limit'));
  const page = await sql<Note[]>`select * from hand_notes ${topic === undefined ? sql`` : sql`where topic = ${topic}`}
    order by "createdAt", id limit ${limit}`;
  return c.json({ data: page });
});

app.post('/notes', async (c) => {
  const input = noteInput(await c.req.json().catch(() => undefined));
  if (typeof input === 'string') return c.json({ title: input }, 422);
  const [note] = await sql<Note[]>`insert into hand_notes (text, topic, pinned)
    values (${input.text}, ${input.topic ?? null}, ${input.pinned}) returning *`;
  return c.json({ data: note }, 201, { Location: `/notes/${note?.id}` });
});

listen(app);
