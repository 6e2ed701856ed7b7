import type { Capabilities } from '../types.ts';

export const memoryCapabilities: Capabilities = {
  filterOperators: ['eq'],
  sort: true,
  cursor: true,
  search: false,
  unique: true,
  ttl: true,
  transactions: false,
};
