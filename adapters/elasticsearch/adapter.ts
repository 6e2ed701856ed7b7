import type { Client, estypes } from '@elastic/elasticsearch';
import { type DocumentRequests, SearchRecordStore } from '../search-dsl/index.ts';
import type { RecordStore, StorageSpec, StoredRecord } from '../types.ts';

/** Sends one request, turning client errors into StorageErrors (see connection.ts). */
export type Run = <T>(request: (client: Client) => Promise<T>) => Promise<T>;

/**
 * One automation's records in one index (see {@link SearchRecordStore}), each request sent
 * through the Elasticsearch 8 client: body fields beside the request's own (`document`,
 * `ids`, `query`), answers as the body itself, or `{ statusCode, body }` where a status
 * is let through (`meta: true`).
 */
export function elasticsearchRecordStore(spec: StorageSpec, index: string, run: Run): RecordStore {
  const requests: DocumentRequests = {
    get: (id) => run((c) => c.get({ index, id }, { ignore: [404], meta: true })),
    put: (id, record, condition) =>
      run((c) =>
        c.index(
          {
            index,
            id,
            document: record,
            refresh: 'wait_for',
            ...(condition === 'create' ? { op_type: 'create' } : { if_seq_no: condition.seqNo, if_primary_term: condition.primaryTerm }),
          },
          { ignore: [409], meta: true },
        ),
      ),
    delete: (id, version) =>
      run((c) =>
        c.delete(
          { index, id, refresh: 'wait_for', ...(version && { if_seq_no: version.seqNo, if_primary_term: version.primaryTerm }) },
          { ignore: [404, 409], meta: true },
        ),
      ),
    mget: (ids) => run((c) => c.mget({ index, ids: [...ids] }, { ignore: [404], meta: true })),
    search: async (body) => {
      const found = await run((c) => c.search<StoredRecord>({ index, ...body, sort: [...body.sort] } as estypes.SearchRequest));
      return found.hits.hits.map((hit) => hit._source as StoredRecord);
    },
    count: async (body) => (await run((c) => c.count({ index, ...(body as Omit<estypes.CountRequest, 'index'>) }))).count,
  };
  return new SearchRecordStore(spec, index, requests);
}
