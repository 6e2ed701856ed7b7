import type { SearchDialect } from '../search-dsl/index.ts';

/** OpenSearch's name in messages and its metadata fields, which a document cannot hold. */
export const OPENSEARCH: SearchDialect = {
  store: 'OpenSearch',
  metadataFields: new Set(
    '_id _index _routing _source _field_names _ignored _seq_no _primary_term _version _doc_count _type _size _nested_path _data_stream_timestamp'.split(
      ' ',
    ),
  ),
};
