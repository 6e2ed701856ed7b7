// The hand-written memory app: a Map and c.json.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { listen, type Note, noteInput, pageLimit } from './note.ts';

const notes = new Map<string, Note>();
const app = new Hono();

app.get('/notes/:id', (c) => {
  const note = notes.get(c.req.param('id'));
  return note ? c.json({ data: note }) : c.json({ title: 'Not found' }, 404);
});

app.get('/notes', (c) => {
  const topic = c.req.query('topic');
  const limit = pageLimit(c.req.query('limit'));
  // A Map iterates in insertion order, which is creation order.
  const page: Note[] = [];
  for (const note of notes.values()) {
    if (topic !== undefined && note.topic !== topic) continue;
    page.push(note);
    if (page.length === limit) break;
  }
  return c.json({ data: page });
});

app.post('/notes', async (c) => {
  const input = noteInput(await c.req.json().catch(() => undefined));
  if (typeof input === 'string') return c.json({ title: input }, 422);
  const now = new Date().toISOString();
  const note: Note = { id: randomUUID(), createdAt: now, updatedAt: now, ...input };
  notes.set(note.id, note);
  return c.json({ data: note }, 201, { Location: `/notes/${note.id}` });
});

listen(app);
