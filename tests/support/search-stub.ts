import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stub received. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** What the stub answers with instead, while set: a status and its JSON body. */
export type Answer = readonly [status: number, body?: unknown];

/**
 * An HTTP server answering the requests the OpenSearch and Elasticsearch wiring tests send,
 * as the two REST APIs (alike for these) document them, with documents and sequence
 * numbers: it checks what the real client puts on the wire, not how either store behaves.
 * `headers` go on every answer (Elasticsearch's client insists on `x-elastic-product`).
 *
 * Set `refuseLogin` to answer 401, `fail` to answer every request with that instead, and
 * `stall` to leave requests unanswered (until `stop`), as a server that hangs would.
 */
export async function searchStub(headers: Readonly<Record<string, string>> = {}) {
  const docs = new Map<string, { source: unknown; seqNo: number }>();
  let seqNo = 0;
  let index = false;
  const state = {
    url: '',
    seen: [] as Seen[],
    refuseLogin: false,
    stall: false,
    fail: undefined as Answer | undefined,
    /** What `GET /<index>/_mapping` returns once the index exists; `{}` when unset. */
    mapping: undefined as unknown,
    bump: (id: string) => {
      const doc = docs.get(id);
      if (doc) doc.seqNo = ++seqNo;
    },
    /** The index exists already (with `mapping`), as another process or version left it. */
    createIndex: () => {
      index = true;
    },
    /** Someone deleted the index: every document goes with it. */
    dropIndex: () => {
      index = false;
      docs.clear();
    },
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const answer = (method: string, path: string, query: URLSearchParams, body: unknown): Answer => {
    if (state.refuseLogin) return [401, { error: { type: 'security_exception', reason: 'authentication failed' } }];
    if (state.fail) return state.fail;
    if (path === '/') return [200];
    const missingIndex: Answer = [404, { error: { type: 'index_not_found_exception', reason: 'no such index' } }];
    if (path.endsWith('/_mapping')) {
      if (method === 'PUT') return index ? [200, { acknowledged: true }] : missingIndex;
      return index ? [200, state.mapping === undefined ? {} : { [path.split('/')[1] ?? '']: { mappings: state.mapping } }] : missingIndex;
    }
    if (method === 'PUT' && path.split('/').length === 2) {
      index = true;
      return [200, { acknowledged: true }];
    }
    if (path.endsWith('/_update_by_query')) return index ? [200, { updated: docs.size, failures: [] }] : missingIndex;
    if (path.endsWith('/_search')) {
      const hits = [...docs].map(([id, doc]) => ({ _id: id, _source: doc.source }));
      return index ? [200, { hits: { hits } }] : missingIndex;
    }
    if (path.endsWith('/_count')) return index ? [200, { count: docs.size }] : missingIndex;
    if (path.endsWith('/_mget')) {
      // A missing index fails each entry, not the request (TransportMultiGetAction).
      const entry = (id: string) => {
        const doc = docs.get(id);
        if (!index) return { _id: id, error: { type: 'index_not_found_exception', reason: 'no such index' } };
        return doc ? { _id: id, found: true, _seq_no: doc.seqNo, _primary_term: 1, _source: doc.source } : { _id: id, found: false };
      };
      return [200, { docs: (body as { ids: string[] }).ids.map(entry) }];
    }
    const id = decodeURIComponent(path.split('/').at(-1) ?? '');
    const doc = docs.get(id);
    const expected = query.get('if_seq_no');
    const conflict = (query.get('op_type') === 'create' && doc) || (expected !== null && (!doc || String(doc.seqNo) !== expected));
    if (method !== 'GET' && conflict) return [409, { error: { type: 'version_conflict_engine_exception' } }];
    if (method === 'GET')
      return doc ? [200, { found: true, _seq_no: doc.seqNo, _primary_term: 1, _source: doc.source }] : [404, { found: false }];
    if (method === 'DELETE') return docs.delete(id) ? [200, { result: 'deleted' }] : [404, { result: 'not_found' }];
    docs.set(id, { source: body, seqNo: ++seqNo });
    return [201, { result: 'created' }];
  };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://stub');
      const body = text ? JSON.parse(text) : undefined;
      state.seen.push({ method: req.method ?? '', path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body });
      if (state.stall) return;
      const [status, payload] = answer(req.method ?? '', parsed.pathname, parsed.searchParams, body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(req.method === 'HEAD' || payload === undefined ? undefined : JSON.stringify(payload));
    });
  });
  let port = 0;
  await state.start();
  port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${port}`;
  return state;
}
