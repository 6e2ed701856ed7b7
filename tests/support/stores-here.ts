import { after } from 'node:test';
import { createClient } from 'redis';
import { dynaliteGate } from './dynalite.ts';
import { postgresServerGate } from './postgres-server.ts';
import { redisServerGate } from './redis-server.ts';

/** One store an HTTP suite runs on: the manifest's `storage:` line, the connections it names, and why it is skipped (or false). */
export interface StoreHere {
  readonly name: string;
  readonly backend: string;
  readonly storage: string;
  readonly connections: Record<string, { backend: string; url?: string }>;
  readonly skip: string | false;
}

/**
 * The five stores that run on this machine: memory, embedded PGlite, the PostgreSQL
 * server, Redis (the file's own database, emptied first) and DynamoDB (dynalite, started
 * here and stopped after the file), each
 * skipped loudly when it does not answer (failed under COUNCIL_TEST_REQUIRE).
 */
export async function storesHere(): Promise<StoreHere[]> {
  const pg = await postgresServerGate();
  const redis = await redisServerGate();
  const dynalite = await dynaliteGate();
  // The file's own Redis database (redis-server.ts): emptied first, so lists see this run's records only.
  if (!redis.skip) {
    const client = createClient({ url: redis.url });
    await client.connect();
    await client.flushDb();
    await client.quit();
  }
  after(() => dynalite.stop());
  return [
    { name: 'memory', backend: 'memory', storage: 'backend: memory', connections: {}, skip: false },
    {
      name: 'embedded PGlite',
      backend: 'postgres',
      storage: 'backend: postgres, connection: pglite',
      connections: { pglite: { backend: 'postgres', url: '' } },
      skip: false,
    },
    {
      name: 'the PostgreSQL server',
      backend: 'postgres',
      storage: 'backend: postgres, connection: pg',
      connections: { pg: { backend: 'postgres', url: pg.url } },
      skip: pg.skip,
    },
    {
      name: 'Redis',
      backend: 'redis',
      storage: 'backend: redis, connection: rds',
      connections: { rds: { backend: 'redis', url: redis.url } },
      skip: redis.skip,
    },
    {
      name: 'DynamoDB (dynalite)',
      backend: 'dynamodb',
      storage: 'backend: dynamodb, connection: ddb',
      connections: { ddb: { backend: 'dynamodb', url: dynalite.url } },
      skip: dynalite.skip,
    },
  ];
}
