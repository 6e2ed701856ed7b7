import { type Capabilities, FILTER_OPERATORS } from '../types.ts';

/**
 * Every filter operator, sort, keyset cursors, full-text search (a text index) and unique
 * fields (partial unique indexes). No TTL: a TTL index expires by a BSON date field on a
 * background sweep once a minute, not within the second the contract asks. No multi-write
 * transactions: they need a replica set, and theCouncil does not require one.
 */
export const mongodbCapabilities: Capabilities = {
  filterOperators: FILTER_OPERATORS,
  sort: true,
  cursor: true,
  search: true,
  unique: true,
  ttl: false,
  transactions: false,
};
