import type { Capabilities } from '../types.ts';

/** DynamoDB's default quota of global secondary indexes per table. */
export const DYNAMODB_INDEX_LIMIT = 20;

/**
 * Reads and writes by id, lists served by global secondary indexes: one per sort field,
 * and one per (filter field, sort field) pair, whose partition is the filter's value. So
 * only equality filters (`in` merges one partition per value), and at most
 * {@link DYNAMODB_INDEX_LIMIT} such indexes. No search
 * (DynamoDB has no text index), no unique fields and no transactions (both would need
 * TransactWriteItems, which DynamoDB-compatible test servers lack). TTL: reads hide a
 * record the moment it expires; DynamoDB's own TTL sweep deletes it later.
 */
export const dynamodbCapabilities: Capabilities = {
  filterOperators: ['eq', 'in'],
  sort: true,
  cursor: true,
  search: false,
  unique: false,
  ttl: true,
  transactions: false,
  listIndexes: DYNAMODB_INDEX_LIMIT,
};
