// The hand-written Redis app: node-redis, each note a JSON string read with GET and
// JSON.parse, and a sorted set of ids per topic (by creation time) for the list.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { listen, type Note, noteInput, pageLimit } from './note.ts';

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
// Start empty: what an earlier run wrote is deleted (its own keys only).
for await (const keys of client.scanIterator({ MATCH: 'hand:*', COUNT: 1000 })) if (keys.length) await client.del(keys);

const noteKey = (id: string) => `hand:note:${id}`;
const topicKey = (topic: string | undefined) => (topic === undefined ? 'hand:notes' : `hand:notes:topic:${topic}`);
const app = new Hono();

app.get('/notes/:id', async (c) => {
  const json = await client.get(noteKey(c.req.param('id')));
  return json === null ? c.json({ title: 'Not found' }, 404) : c.json({ data: JSON.parse(json) as Note });
});

app.get('/notes', async (c) => {
  const ids = await client.zRange(topicKey(c.req.query('topic')), 0, pageLimit(c.req.query('limit')) - 1);
  const page = ids.length ? await client.mGet(ids.map(noteKey)) : [];
  return c.json({ data: page.flatMap((json) => (json === null ? [] : [JSON.parse(json) as Note])) });
});

app.post('/notes', async (c) => {
  const input = noteInput(await c.req.json().catch(() => undefined));
  if (typeof input === 'string') return c.json({ title: input }, 422);
  const created = new Date();
  const now = created.toISOString();
  const note: Note = { id: randomUUID(), createdAt: now, updatedAt: now, ...input };
  const member = { score: created.getTime(), value: note.id };
  const write = client.multi().set(noteKey(note.id), JSON.stringify(note)).zAdd(topicKey(undefined), member);
  if (note.topic !== undefined) write.zAdd(topicKey(note.topic), member);
  await write.exec();
  return c.json({ data: note }, 201, { Location: `/notes/${note.id}` });
});

listen(app);
