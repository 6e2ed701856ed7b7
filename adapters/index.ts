import { dynamodbCapabilities } from './dynamodb/capabilities.ts';
import { elasticsearchCapabilities } from './elasticsearch/capabilities.ts';
import { memoryCapabilities } from './memory/capabilities.ts';
import { mongodbCapabilities } from './mongodb/capabilities.ts';
import { opensearchCapabilities } from './opensearch/capabilities.ts';
import { postgresCapabilities } from './postgres/capabilities.ts';
import { embeddedDirectory } from './postgres/location.ts';
import { redisCapabilities } from './redis/capabilities.ts';
import type { Capabilities, StorageBackend } from './types.ts';

export type * from './types.ts';
export { BatchAborted, GET_MANY_MAX, StorageError } from './types.ts';

/** One backend as the engine knows it before any driver loads. */
export interface BackendEntry {
  /** Imports the backend's folder, and with it its driver: only when a connection uses it. */
  readonly load: () => Promise<StorageBackend>;
  /** What it can do, known without a driver. */
  readonly capabilities: Capabilities;
  /**
   * What a connection without a `url` is: `in-process` (always, whatever the url),
   * `embedded` (files in the data directory), or `memory` (the memory backend stands in).
   */
  readonly withoutUrl: 'in-process' | 'embedded' | 'memory';
  /**
   * Starts what takes long to open for an embedded connection (PGlite's thread, about a
   * second) without loading the driver's other modules, so it overlaps the engine's own
   * loading; the connection's `connect` later picks it up.
   */
  readonly prestartEmbedded?: (dataDir: string, connection: string) => Promise<void>;
}

/**
 * The one table of backends, in the order the docs list them: how to load each, what it
 * can do, how it runs without a server. The engine asks this table; no backend's name is
 * written anywhere else outside its own folder.
 */
export const backends: Readonly<Record<string, BackendEntry>> = {
  memory: {
    load: async () => (await import('./memory/index.ts')).memoryBackend,
    capabilities: memoryCapabilities,
    withoutUrl: 'in-process',
  },
  postgres: {
    load: async () => (await import('./postgres/index.ts')).postgresBackend,
    prestartEmbedded: async (dataDir, connection) =>
      (await import('./postgres/pglite-thread.ts')).prestartPgliteThread(embeddedDirectory(dataDir, connection)),
    // Tables with columns, which `storage.migrations` drops and retypes.
    capabilities: { ...postgresCapabilities, columns: true },
    withoutUrl: 'embedded',
  },
  redis: {
    load: async () => (await import('./redis/index.ts')).redisBackend,
    // Counters every instance shares: `rateLimit.store`.
    capabilities: { ...redisCapabilities, sharedCounters: true },
    withoutUrl: 'memory',
  },
  mongodb: {
    load: async () => (await import('./mongodb/index.ts')).mongodbBackend,
    capabilities: mongodbCapabilities,
    withoutUrl: 'memory',
  },
  opensearch: {
    load: async () => (await import('./opensearch/index.ts')).opensearchBackend,
    capabilities: opensearchCapabilities,
    withoutUrl: 'memory',
  },
  elasticsearch: {
    load: async () => (await import('./elasticsearch/index.ts')).elasticsearchBackend,
    capabilities: elasticsearchCapabilities,
    withoutUrl: 'memory',
  },
  dynamodb: {
    load: async () => (await import('./dynamodb/index.ts')).dynamodbBackend,
    capabilities: dynamodbCapabilities,
    withoutUrl: 'memory',
  },
};

/** Names of the backends this build knows, in the order the docs list them. */
export const backendNames: readonly string[] = Object.keys(backends);

/** The backend that stands in for one without a url (`withoutUrl: 'memory'`), and runs in process. */
export const FALLBACK_BACKEND: string = backendNames.find((name) => backends[name]?.withoutUrl === 'in-process') ?? 'memory';

/** Whether a backend's store answers within the request's own turn (no I/O to wait for). */
export function runsInProcess(backend: string): boolean {
  return backends[backend]?.withoutUrl === 'in-process';
}

/** Loads a backend by name; rejects for an unknown name. */
export async function loadBackend(name: string): Promise<StorageBackend> {
  const entry = backends[name];
  if (!entry) throw new Error(`unknown storage backend "${name}"`);
  return entry.load();
}
