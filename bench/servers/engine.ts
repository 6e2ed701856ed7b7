// The engine serving one `notes` automation on the store named in argv[2] (memory | postgres).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { stringify } from 'yaml';
import { silentLogger } from '../../engine/log.ts';
import type { RateLimiter } from '../../engine/security/rate-limit.ts';
import { startEngine } from '../../engine/server/engine.ts';
import { announce, benchConfig, listedNotes, NOTE, NOTE_SCHEMA, REDIS_BENCH_URL } from './shared.ts';

const backend = process.argv[2] ?? 'memory';
// `locked`: every endpoint needs an API key (the product's default), to measure what the check costs;
// `unguarded`: public and no rate limiting at all, the "off" side of that measure.
const locked = process.argv[3] === 'locked';
const unguarded = process.argv[3] === 'unguarded';
const root = mkdtempSync(join(tmpdir(), 'council-bench-'));
mkdirSync(join(root, 'automations'));
const manifest = {
  name: 'notes',
  description: 'Benchmark notes.',
  // The hand-written side checks no key either.
  ...(locked ? {} : { access: { public: true } }),
  storage: { backend },
  schema: NOTE_SCHEMA,
  endpoints: [{ operation: 'list', filters: ['topic'], sort: ['createdAt'] }, { operation: 'get' }, { operation: 'create' }],
};
writeFileSync(join(root, 'automations', 'notes.yaml'), stringify(manifest));
if (backend === 'redis') {
  // Start from an empty collection: what earlier runs wrote would change what a list walks.
  const client = createClient({ url: REDIS_BENCH_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: 'council:notes:*', COUNT: 1000 })) if (keys.length) await client.del(keys);
  await client.close();
}
const allowAll: RateLimiter = {
  take: (_key, limit) => ({ allowed: true, limit: limit.requests, remaining: limit.requests, resetSeconds: 0, retryAfterSeconds: 0 }),
};
const engine = await startEngine(benchConfig(root, backend), silentLogger, unguarded ? { limiter: allowAll } : {});
const key = locked ? (await (await engine.auth.store()).create({ name: 'bench', scopes: ['notes:*'] })).secret : undefined;
const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
const seeded = await engine.fetch(
  new Request('http://bench/notes', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(NOTE),
  }),
);
const { data } = (await seeded.json()) as { data: { id: string } };
for (const note of listedNotes()) {
  const body = JSON.stringify(note);
  await engine.fetch(new Request('http://bench/notes', { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body }));
}
announce(engine.fetch, data.id, key);
