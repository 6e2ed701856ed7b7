import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { sortKinds } from '../sort-encoding.ts';
import {
  type ConnectionSettings,
  type RecordStore,
  type StorageConnection,
  StorageError,
  type StoragePlan,
  type StorageSpec,
} from '../types.ts';
import { type RedisIo, RedisRecordStore } from './adapter.ts';
import { indexEntries, RedisKeys } from './keys.ts';
import { LIST } from './list-script.ts';
import { APPLY, COUNT, WRITE_ALL } from './scripts.ts';

type Client = ReturnType<typeof createClient>;

const SCRIPTS = { apply: APPLY, writeAll: WRITE_ALL, list: LIST, count: COUNT } as const;
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, body]) => [name, createHash('sha1').update(body).digest('hex')]),
) as Record<keyof typeof SCRIPTS, string>;

/** Keys of all automations live under this prefix, so a shared Redis database stays tidy. */
const PREFIX = 'council';

/**
 * Connects with node-redis. Commands fail at once while the server is unreachable (no
 * offline queue), so requests get a 503 instead of hanging; the client reconnects by
 * itself and requests succeed again once the server is back.
 */
export async function connectRedis(settings: ConnectionSettings): Promise<StorageConnection> {
  const label = `redis connection "${settings.name}"`;
  if (!settings.url) throw new StorageError('unavailable', `${label} has no url`);
  let client: Client;
  // The first connection fails fast (start-up reports the store down); after that the
  // client keeps reconnecting, so a server that comes back serves again without restart.
  let connected = false;
  try {
    client = createClient({
      url: settings.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5000,
        reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(retries * 100, 2000) : cause),
      },
    });
  } catch {
    // No cause: a URL parse error carries the URL itself.
    throw new StorageError('unavailable', `${label} has a url node-redis cannot parse`);
  }
  // Without a listener, node-redis reports connection errors as uncaught exceptions.
  client.on('error', () => {});
  try {
    await client.connect();
    connected = true;
  } catch (error) {
    client.destroy();
    throw new StorageError('unavailable', `${label} could not connect (${codeOf(error)})`);
  }
  return new RedisConnection(client, label);
}

class RedisConnection implements StorageConnection {
  readonly backend = 'redis';
  readonly #client: Client;
  readonly #label: string;

  constructor(client: Client, label: string) {
    this.#client = client;
    this.#label = label;
  }

  async open(spec: StorageSpec): Promise<RecordStore> {
    const keys = new RedisKeys(PREFIX, spec.collection);
    const kinds = sortKinds(spec);
    const layout = indexLayout(spec, kinds);
    await this.#wrap(async () => {
      if ((await this.#client.hGet(keys.meta, 'indexes')) !== layout) await this.#reindex(keys, spec, kinds, layout);
    });
    const io: RedisIo = {
      run: (name, args) => this.#wrap(() => this.#script(name, args)),
      get: (key) => this.#wrap(() => this.#client.get(key)),
      getMany: (keys) => this.#wrap(() => this.#client.mGet([...keys])),
    };
    return new RedisRecordStore(keys, spec, kinds, io);
  }

  async plan(spec: StorageSpec): Promise<StoragePlan> {
    const keys = new RedisKeys(PREFIX, spec.collection);
    const layout = indexLayout(spec, sortKinds(spec));
    const current = await this.#wrap(() => this.#client.hGet(keys.meta, 'indexes'));
    const steps = current === layout ? [] : [{ statement: `rebuild the indexes under ${keys.base}*`, why: 'the indexed fields changed' }];
    return { target: `redis keys ${keys.base}*`, steps, refused: [] };
  }

  async ping(): Promise<void> {
    await this.#wrap(() => this.#client.ping());
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.close();
  }

  /** Drops every index key of the collection and rebuilds them from the records. */
  async #reindex(keys: RedisKeys, spec: StorageSpec, kinds: ReturnType<typeof sortKinds>, layout: string): Promise<void> {
    for (const pattern of [`${keys.base}s:*`, `${keys.base}m:*`, `${keys.base}f:*`]) {
      for await (const batch of this.#client.scanIterator({ MATCH: pattern, COUNT: 500 })) if (batch.length) await this.#client.del(batch);
    }
    await this.#client.del(keys.ids);
    for await (const batch of this.#client.scanIterator({ MATCH: `${keys.record}*`, COUNT: 500 })) {
      if (!batch.length) continue;
      const texts = await this.#client.mGet(batch);
      const multi = this.#client.multi();
      for (const text of texts) {
        if (text === null) continue;
        for (const [op, key, member] of indexEntries(keys, spec, kinds, JSON.parse(text))) {
          if (op === 'zadd') multi.zAdd(key, { score: 0, value: member });
          else multi.sAdd(key, member);
        }
      }
      await multi.exec();
    }
    await this.#client.hSet(keys.meta, 'indexes', layout);
  }

  /** EVALSHA, loading the script first if the server does not have it (a restart flushes them). */
  async #script(name: keyof typeof SCRIPTS, args: readonly string[]): Promise<unknown> {
    try {
      return await this.#client.sendCommand(['EVALSHA', SHAS[name], '0', ...args]);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.#client.sendCommand(['EVAL', SCRIPTS[name], '0', ...args]);
    }
  }

  /** Driver errors become StorageErrors: unreachable is `unavailable`, anything else `failed`. */
  async #wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const offline = !this.#client.isReady || /Offline|Closed|ECONNREFUSED|ECONNRESET|Socket/i.test(String((error as Error)?.name ?? ''));
      if (offline) throw new StorageError('unavailable', `${this.#label} is unavailable (${codeOf(error)})`, { cause: error });
      throw new StorageError('failed', `${this.#label} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** What the indexes are built from; a change means they must be rebuilt. */
function indexLayout(spec: StorageSpec, kinds: ReturnType<typeof sortKinds>): string {
  return JSON.stringify({ sort: [...kinds].sort(), filter: [...spec.filterable].sort() });
}

function codeOf(error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string };
  return e?.code ?? e?.name ?? 'error';
}
