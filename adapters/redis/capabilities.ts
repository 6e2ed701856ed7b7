import type { Capabilities } from '../types.ts';

/** Sorting and filtering only on the fields a list declares (they are indexed); no text search. */
export const redisCapabilities: Capabilities = {
  filterOperators: ['eq'],
  sort: true,
  cursor: true,
  search: false,
  unique: false,
  ttl: true,
  transactions: false,
};
