import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { requireStore } from './stores.ts';

/** Where the real-server suites look for Redis. */
export const REDIS_TEST_URL = process.env.COUNCIL_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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
