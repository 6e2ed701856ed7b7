// Run by tests/lazy-drivers.test.ts as `node --import tsx lazy-drivers-child.ts LOG [REDIS_URL]`:
// logs every module this process resolves to LOG, then starts a memory-only project, serves
// a few requests and compiles it. With REDIS_URL, the rate limits count in that Redis.
import { register } from 'node:module';

const [log, redisUrl] = process.argv.slice(2);
if (!log) throw new Error('usage: lazy-drivers-child.ts LOG [REDIS_URL]');
register('./module-log.mjs', import.meta.url, { data: log });

const { makeProject, startServer } = await import('./project.ts');
const { compileProject } = await import('../../engine/cli/compile-project.ts');

const manifest = `name: notes
description: Notes.
storage: { backend: memory }
access: { public: true }
schema: { type: object, properties: { text: { type: string } } }
endpoints:
  - operation: list
  - operation: get
  - operation: create
  - operation: search
    fields: [text]
`;
const project = makeProject({ 'notes.yaml': manifest }, redisUrl ? { limits: { backend: 'redis', url: redisUrl } } : {});
const overrides = redisUrl ? { rateLimit: { requests: 100_000, perSeconds: 1, store: 'limits' } } : {};
const server = await startServer(project, overrides);
try {
  const created = await fetch(`${server.url}/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'hello' }),
  });
  const statuses = [created.status];
  for (const path of ['/notes', '/notes/search?q=hello', '/health', '/openapi.json'])
    statuses.push((await fetch(server.url + path)).status);
  const { ok, plans } = compileProject(project.config(overrides));
  console.log(JSON.stringify({ statuses, compiled: ok, plans: plans.length }));
} finally {
  await server.close();
  project.remove();
}
