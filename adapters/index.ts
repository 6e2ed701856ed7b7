import type { StorageBackend } from './types.ts';

export type * from './types.ts';
export { StorageError } from './types.ts';

/**
 * Backends by name, each loaded on first use so a driver is never imported
 * unless some manifest or connection names its backend.
 */
const loaders: Record<string, () => Promise<StorageBackend>> = {
  memory: async () => (await import('./memory/index.ts')).memoryBackend,
  postgres: async () => (await import('./postgres/index.ts')).postgresBackend,
  redis: async () => (await import('./redis/index.ts')).redisBackend,
  mongodb: async () => (await import('./mongodb/index.ts')).mongodbBackend,
  opensearch: async () => (await import('./opensearch/index.ts')).opensearchBackend,
  dynamodb: async () => (await import('./dynamodb/index.ts')).dynamodbBackend,
};

/** Names of the backends this build knows, in the order the docs list them. */
export const backendNames: readonly string[] = Object.keys(loaders);

/** Loads a backend by name; rejects for an unknown name. */
export async function loadBackend(name: string): Promise<StorageBackend> {
  const load = loaders[name];
  if (!load) throw new Error(`unknown storage backend "${name}"`);
  return load();
}
