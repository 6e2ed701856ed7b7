import type { Capabilities } from '../types.ts';

/** Sorting and equality filters (eq, in) only on the fields a list declares (they are indexed); no text search. */
export const redisCapabilities: Capabilities = {
  filterOperators: ['eq', 'in'],
  sort: true,
  cursor: true,
  search: false,
  unique: false,
  ttl: true,
  transactions: false,
};
