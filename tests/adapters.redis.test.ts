import { after } from 'node:test';
import { createClient } from 'redis';
import { redisBackend } from '../adapters/redis/index.ts';
import { runRecordStoreContract } from './contract/record-store.contract.ts';
import { requireStore } from './support/stores.ts';

const url = process.env.COUNCIL_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const gate = await requireStore(
  'redis',
  async () => {
    const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    await client.close();
  },
  { url, env: 'COUNCIL_TEST_REDIS_URL' },
);

runRecordStoreContract('redis', () => redisBackend.connect({ name: 'contract', backend: 'redis', url }, { dataDir: '' }), {
  skip: gate.skip,
  lacks: { columnTypes: 'redis keeps records as JSON: there are no column types to conflict' },
});

// The contract names every collection c_<random>; remove what it wrote.
after(async () => {
  if (gate.skip) return;
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: 'council:c_*', COUNT: 1000 })) if (keys.length) await client.del(keys);
  await client.close();
});
