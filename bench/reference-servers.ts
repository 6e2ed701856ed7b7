// The servers the engine is measured against: the hand-written Hono app for each store,
// and json-server 1.0, an outside reference on memory.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS, type Store } from './engine-server.ts';
import { freePort } from './machine.ts';
import { type Started, startProcess, waitForHttp } from './processes.ts';

const root = new URL('../', import.meta.url).pathname;

export interface ReferenceServer {
  started: Started;
  url: string;
  /** Its temporary folder, if it has one, removed once it has stopped. */
  dir?: string;
}

/** bench/handwritten/STORE.ts, on its own port; answers once its store is ready. */
export async function startHandwritten(
  store: Store,
  urls: { postgresUrl: string; redisUrl: string },
  core: number | undefined,
): Promise<ReferenceServer> {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), DATABASE_URL: urls.postgresUrl, REDIS_URL: urls.redisUrl };
  const started = startProcess(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', join(root, `bench/handwritten/${store}.ts`)], {
    core,
    env,
    label: `hand-written ${store}`,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/notes?limit=1`, started, 60_000, 200);
  return { started, url };
}

/** json-server on an empty `notes` collection in a file of its own (it writes the file on every change). */
export async function startJsonServer(core: number | undefined): Promise<ReferenceServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'council-bench-json-server-'));
  const file = join(dir, 'db.json');
  writeFileSync(file, JSON.stringify({ notes: [] }));
  // It serves static files from ./public, and in production scans that folder at start.
  mkdirSync(join(dir, 'public'));
  const bin = join(root, 'node_modules/json-server/lib/bin.js');
  const started = startProcess(process.execPath, [...SERVER_NODE_FLAGS, bin, '--host', '127.0.0.1', '--port', String(port), file], {
    core,
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production' },
    label: 'json-server',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/notes`, started, 60_000, 200);
  return { started, url, dir };
}
