import type { Capabilities } from '../types.ts';

/**
 * Sorting and equality filters (eq, in) only on the fields a list declares (they are
 * indexed); no text search, no unique fields (so no upsert). Transactions: a batch is
 * read, worked out in memory, and written by one Lua script only if none of its records
 * changed since the read (adapter.ts writeAll).
 */
export const redisCapabilities: Capabilities = {
  filterOperators: ['eq', 'in'],
  sort: true,
  cursor: true,
  search: false,
  unique: false,
  ttl: true,
  transactions: true,
};
