// What the three hand-written apps share: the note, its check, and how they listen. None
// of it is engine code: this is what an engineer writes by hand for one resource.
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface Note {
  id: string;
  createdAt: string;
  updatedAt: string;
  text: string;
  topic?: string;
  pinned: boolean;
}

export type NoteInput = Pick<Note, 'text' | 'topic' | 'pinned'>;

/** The body of a POST as a note's fields, or a sentence saying what is wrong with it. */
export function noteInput(body: unknown): NoteInput | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const { text, topic, pinned = false, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length) return `unknown field ${Object.keys(rest)[0]}`;
  if (typeof text !== 'string' || text.length < 1 || text.length > 2000) return 'text must be a string of 1 to 2000 characters';
  if (topic !== undefined && typeof topic !== 'string') return 'topic must be a string';
  if (typeof pinned !== 'boolean') return 'pinned must be a boolean';
  return { text, ...(topic === undefined ? {} : { topic }), pinned };
}

/** ?limit, 1 to 100, 20 when absent. */
export function pageLimit(raw: string | undefined): number {
  const limit = raw === undefined ? 20 : Number(raw);
  return Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : 20;
}

/** Listens on 127.0.0.1:$PORT. */
export function listen(app: Hono): void {
  const server = serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
