import type { StorageBackend } from '../types.ts';
import { MemoryConnection } from './connection.ts';

/** In-process storage: fast, nothing persists across restarts. For prototypes and tests. */
export const memoryBackend: StorageBackend = {
  name: 'memory',
  async connect() {
    return new MemoryConnection();
  },
};
