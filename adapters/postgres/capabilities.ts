import { type Capabilities, FILTER_OPERATORS } from '../types.ts';
import { ALWAYS_INDEXED_BYTES } from './index-limit.ts';

export const postgresCapabilities: Capabilities = {
  filterOperators: FILTER_OPERATORS,
  sort: true,
  cursor: true,
  search: true,
  unique: true,
  ttl: false,
  transactions: true,
  upsert: true,
  indexedStringBytes: ALWAYS_INDEXED_BYTES,
};
