import type { StorageBackend } from '../types.ts';
import { connectRedis } from './connection.ts';

/** Redis through node-redis: O(1) reads and writes by id, lists from sorted-set indexes. */
export const redisBackend: StorageBackend = {
  name: 'redis',
  connect: (settings) => connectRedis(settings),
};
