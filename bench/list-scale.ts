// node --import tsx bench/list-scale.ts [memory|redis ...]: list pages/s straight on the record
// stores (no HTTP) at 100, 10,000 and 40,000 records, and what a write costs at each size.
// Redis is COUNCIL_TEST_REDIS_URL or REDIS_URL (db 13 by default); its keys are removed after.
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { memoryBackend } from '../adapters/memory/index.ts';
import { redisBackend } from '../adapters/redis/index.ts';
import type { ListQuery, RecordStore, StorageConnection, StorageSpec, StoredRecord } from '../adapters/types.ts';

const SIZES = (process.env.LIST_SCALE_SIZES ?? '100,10000,40000').split(',').map(Number);
const SECONDS = Number(process.env.LIST_SCALE_SECONDS ?? 1);
const REDIS_URL = process.env.COUNCIL_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const OWNERS = 10;
/** One record in this many belongs to the rare owner. */
const RARE_EVERY = 2000;

function spec(): StorageSpec {
  const collection = `bench_list_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return {
    automation: collection.replaceAll('_', '-'),
    collection,
    fields: [
      { name: 'owner', kind: 'string' },
      { name: 'status', kind: 'string' },
      { name: 'priority', kind: 'integer' },
      { name: 'title', kind: 'string' },
    ],
    filterable: ['owner', 'status'],
    sortable: ['createdAt', 'priority'],
  };
}

function record(i: number): StoredRecord {
  const stamp = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  const owner = i % RARE_EVERY === 7 ? 'rare' : `owner-${i % OWNERS}`;
  return {
    id: randomUUID(),
    createdAt: stamp,
    updatedAt: stamp,
    owner,
    status: ['open', 'held', 'closed'][i % 3],
    priority: i % 97,
    title: `ticket ${i}`,
  };
}

const SHAPES: Record<string, ListQuery> = {
  'newest 20': { filters: [], sort: { field: 'createdAt', direction: 'desc' }, limit: 20 },
  'status=open by priority': {
    filters: [{ field: 'status', op: 'eq', value: 'open' }],
    sort: { field: 'priority', direction: 'asc' },
    limit: 20,
  },
  'owner=rare newest': {
    filters: [{ field: 'owner', op: 'eq', value: 'rare' }],
    sort: { field: 'createdAt', direction: 'desc' },
    limit: 20,
  },
  'owner in 2, deep cursor': {
    filters: [{ field: 'owner', op: 'in', value: ['owner-1', 'owner-2'] }],
    sort: { field: 'createdAt', direction: 'asc' },
    after: { value: new Date(Date.UTC(2025, 0, 1) + 5000 * 1000).toISOString(), id: '' },
    limit: 20,
  },
};

async function rate(seconds: number, step: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  while (performance.now() < end) {
    await step();
    done++;
  }
  return done / ((performance.now() - start) / 1000);
}

async function fill(store: RecordStore, count: number): Promise<void> {
  for (let i = 0; i < count; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, j) => store.create(record(i + j))));
  }
}

async function measure(name: string, connect: () => Promise<StorageConnection>, cleanup: (collection: string) => Promise<void>) {
  const connection = await connect();
  try {
    for (const size of SIZES) {
      const s = spec();
      const store = await connection.open(s);
      try {
        await fill(store, size);
        const line: string[] = [];
        for (const [label, query] of Object.entries(SHAPES)) {
          // The first page may build the indexes it walks (memory builds them on first use).
          const first = performance.now();
          await store.list(query);
          if (label === 'newest 20') line.push(`first page ${(performance.now() - first).toFixed(1)} ms`);
          const pages = await rate(SECONDS, () => store.list(query));
          line.push(`${label} ${Math.round(pages)}`);
        }
        let i = size;
        const writes = await rate(SECONDS, () => store.create(record(i++)));
        const ids = (await store.list({ filters: [], sort: { field: 'createdAt', direction: 'asc' }, limit: 200 })).records.map(
          (r) => r.id,
        );
        let u = 0;
        const updates = await rate(SECONDS, () =>
          store.modify(ids[u++ % ids.length] as string, (r) => ({ ...r, priority: u % 97, status: 'held' })),
        );
        console.log(
          `${name} ${String(size).padStart(6)} records: pages/s ${line.join(' | ')} ; creates/s ${Math.round(writes)} updates/s ${Math.round(updates)}`,
        );
      } finally {
        await cleanup(s.collection);
      }
    }
  } finally {
    await connection.close();
  }
}

const wanted = process.argv.slice(2);
const chosen = wanted.length ? wanted : ['memory', 'redis'];
console.log(
  `# list-scale: ${SECONDS}s per figure, one in ${RARE_EVERY} records has the rare owner, ${OWNERS} owners, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`,
);
if (chosen.includes('memory')) {
  await measure(
    'memory',
    () => memoryBackend.connect({ name: 'bench', backend: 'memory' }, { dataDir: '' }),
    async () => {},
  );
}
if (chosen.includes('redis')) {
  const { createClient } = await import('redis');
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {});
  try {
    await client.connect();
    await measure(
      'redis ',
      () => redisBackend.connect({ name: 'bench', backend: 'redis', url: REDIS_URL }, { dataDir: '' }),
      async (collection) => {
        for await (const keys of client.scanIterator({ MATCH: `council:${collection}:*`, COUNT: 1000 }))
          if (keys.length) await client.del(keys);
      },
    );
  } catch (error) {
    console.log(`# redis skipped: ${(error as Error).message}`);
  } finally {
    if (client.isOpen) await client.close();
  }
}
