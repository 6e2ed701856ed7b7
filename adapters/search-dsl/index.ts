/**
 * What the OpenSearch and Elasticsearch backends share, written once: the index mapping
 * and its evolution plan, the query DSL of lists, counts and searches (pure, no I/O), and
 * the record store over their common document API, which each backend feeds with its own
 * client's requests ({@link DocumentRequests}). Not a backend: nothing here loads a driver.
 */
export { answeredError, errorReason, errorType, socketCode } from './errors.ts';
export {
  type IndexPlan,
  type IndexStep,
  indexName,
  type LiveMapping,
  planIndex,
  refusalOf,
  type SearchDialect,
  storagePlan,
} from './mapping.ts';
export { type Answer, type DocumentRequests, SearchRecordStore, type Version } from './record-store.ts';
