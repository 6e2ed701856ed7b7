import type { SearchDialect } from '../search-dsl/index.ts';

/**
 * Elasticsearch's name in messages and its metadata fields, which a document cannot hold:
 * the built-in ones of 8.x and 9.x (IndicesModule), `_type` (8.x), x-pack's `_tier` and
 * `_inference_fields`, and the mapper-size plugin's `_size`.
 */
export const ELASTICSEARCH: SearchDialect = {
  store: 'Elasticsearch',
  metadataFields: new Set(
    [
      '_id _index _routing _source _field_names _ignored _seq_no _primary_term _version _doc_count _type _nested_path',
      '_data_stream_timestamp _tsid _ts_routing_hash _index_mode _ignored_source _tier _inference_fields _size',
    ]
      .join(' ')
      .split(' '),
  ),
};
