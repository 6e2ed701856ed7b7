import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { requireStore } from './stores.ts';

/** The Redis server the real-server suites use (its database number is replaced by the file's own). */
const REDIS_SERVER_URL = process.env.COUNCIL_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Each test file that uses the shared Redis gets a database number of its own, so files
 * that run concurrently (`--test-concurrency`) and serve automations of the same name
 * never see each other's keys. A new file using Redis gets a line here; an unlisted one
 * shares database 8.
 */
const REDIS_DATABASE_OF: Readonly<Record<string, number>> = {
  'redis.test.ts': 1,
  'http-contract.test.ts': 2,
  'idempotency.test.ts': 3,
  'list-queries.test.ts': 4,
  'hostile-inputs.test.ts': 5,
  'rate-limit-processes.test.ts': 6,
  'keys-scopes-limits.test.ts': 7,
  'references.test.ts': 9,
  'batch-upsert.test.ts': 10,
  'references-across-stores.test.ts': 11,
};

/** Where this test file's suites look for Redis: the shared server, the file's database. */
export const REDIS_TEST_URL = (() => {
  const url = new URL(REDIS_SERVER_URL);
  url.pathname = `/${REDIS_DATABASE_OF[basename(process.argv[1] ?? '')] ?? 8}`;
  return url.toString();
})();

/** Probes the Redis server once: `{ url, skip }` for `describe(..., { skip })`. */
export async function redisServerGate(): Promise<{ url: string; skip: string | false }> {
  const gate = await requireStore(
    'redis',
    async () => {
      const client = createClient({ url: REDIS_TEST_URL, socket: { connectTimeout: 3000, reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      await client.close();
    },
    { url: REDIS_TEST_URL, env: 'COUNCIL_TEST_REDIS_URL' },
  );
  return { url: REDIS_TEST_URL, skip: gate.skip };
}

/** For suites that run their own redis-server (to stop or pause it): a skip reason without the binary. */
export const redisBinarySkip: string | false =
  spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not installed; skipped';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of this test's own on `port`, once it answers. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.close();
      return child;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('redis-server did not start');
}
