import { type Capabilities, FILTER_OPERATORS } from '../types.ts';

export const memoryCapabilities: Capabilities = {
  filterOperators: FILTER_OPERATORS,
  sort: true,
  cursor: true,
  search: true,
  unique: true,
  ttl: true,
  transactions: true,
  upsert: true,
};
