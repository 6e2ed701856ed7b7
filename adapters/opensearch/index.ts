import type { StorageBackend } from '../types.ts';
import { connectOpenSearch } from './connection.ts';

/**
 * OpenSearch through opensearch-js: one index per automation (`council-<collection>`),
 * records as documents kept whole in `_source`, every declared scalar property indexed
 * for filters and keyset-paged sorts, full-text search over the searchable fields.
 */
export const opensearchBackend: StorageBackend = {
  name: 'opensearch',
  connect: (settings, context) => connectOpenSearch(settings, context),
};
