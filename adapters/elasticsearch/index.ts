import type { StorageBackend } from '../types.ts';
import { connectElasticsearch } from './connection.ts';

/**
 * Elasticsearch (8.x, and 9.x through its REST compatibility with 8) through the official
 * client: one index per automation (`council-<collection>`), records as documents kept
 * whole in `_source`, every declared scalar property indexed for filters and keyset-paged
 * sorts, full-text search over the searchable fields. The mapping, queries and record
 * store are OpenSearch's (adapters/search-dsl/); only the client differs.
 */
export const elasticsearchBackend: StorageBackend = {
  name: 'elasticsearch',
  connect: (settings, context) => connectElasticsearch(settings, context),
};
