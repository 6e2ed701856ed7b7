import type { Capabilities } from '../types.ts';

export const postgresCapabilities: Capabilities = {
  filterOperators: ['eq'],
  sort: true,
  cursor: true,
  search: false,
  unique: true,
  ttl: false,
  transactions: true,
};
