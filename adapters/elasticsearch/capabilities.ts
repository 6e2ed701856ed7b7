import { type Capabilities, FILTER_OPERATORS } from '../types.ts';

/**
 * Every declared scalar property is indexed, so every filter operator and sort works on
 * it; search scores word occurrences (the mapping, queries and record store are
 * OpenSearch's too: adapters/search-dsl/). Elasticsearch has no unique constraints, no
 * expiry of single documents and no multi-document transactions.
 */
export const elasticsearchCapabilities: Capabilities = {
  filterOperators: FILTER_OPERATORS,
  sort: true,
  cursor: true,
  search: true,
  unique: false,
  ttl: false,
  transactions: false,
};
