import type { API, Client } from '@opensearch-project/opensearch';
import { type DocumentRequests, SearchRecordStore } from '../search-dsl/index.ts';
import type { RecordStore, StorageSpec, StoredRecord } from '../types.ts';

/** Sends one request, turning client errors into StorageErrors (see connection.ts). */
export type Run = <T>(request: (client: Client) => Promise<T>) => Promise<T>;

/**
 * One automation's records in one index (see {@link SearchRecordStore}), each request sent
 * through opensearch-js: a `body` per request, and answers as `{ statusCode, body }`.
 */
export function openSearchRecordStore(spec: StorageSpec, index: string, run: Run): RecordStore {
  const requests: DocumentRequests = {
    get: (id) => run((c) => c.get({ index, id }, { ignore: [404] })),
    put: (id, record, condition) =>
      run((c) =>
        c.index(
          {
            index,
            id,
            body: record,
            refresh: 'wait_for',
            ...(condition === 'create' ? { op_type: 'create' } : { if_seq_no: condition.seqNo, if_primary_term: condition.primaryTerm }),
          },
          { ignore: [409] },
        ),
      ),
    delete: (id, version) =>
      run((c) =>
        c.delete(
          { index, id, refresh: 'wait_for', ...(version && { if_seq_no: version.seqNo, if_primary_term: version.primaryTerm }) },
          { ignore: [404, 409] },
        ),
      ),
    mget: (ids) => run((c) => c.mget({ index, body: { ids: [...ids] } }, { ignore: [404] })),
    search: async (body) => {
      const { body: found } = await run((c) => c.search({ index, body: body as API.Search_RequestBody }));
      return found.hits.hits.map((hit) => hit._source as StoredRecord);
    },
    count: async (body) => (await run((c) => c.count({ index, body: body as API.Count_RequestBody }))).body.count,
  };
  return new SearchRecordStore(spec, index, requests);
}
