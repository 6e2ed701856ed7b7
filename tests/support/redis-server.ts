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
