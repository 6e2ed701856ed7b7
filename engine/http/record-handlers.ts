import type { Context } from 'hono';
import type { RecordStore, SharedDatabase, StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import { ENGINE_FIELDS } from '../compile/plan.ts';
import { choices, type FieldError, HttpProblem } from '../errors/problem.ts';
import type { Logger } from '../log.ts';
import type { RelatedAutomations } from '../registry/registry.ts';
import { newRecordId } from '../request/record-id.ts';
import { requestHeader } from '../request/request-header.ts';
import { requestIdOf } from '../request/request-id.ts';
import { type RouteHandler, scopeOf } from '../request/route-table.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { guardHeaders, jsonAnswer, noteReplayed, noteWritten } from './answer.ts';
import { batchHandler } from './batch-handler.ts';
import { readJsonObject } from './body.ts';
import { deleteWithReferrers } from './delete-referrers.ts';
import { etagOf, ifMatchCheck, nextUpdatedAt } from './etag.ts';
import { type ExpandRequest, embed, parseExpandParam, resolveExpand } from './expand.ts';
import { engineFieldErrors, invalidBody, toFieldErrors } from './field-errors.ts';
import { parseFieldsParam, selectFields } from './fields-param.ts';
import type { Idempotency } from './idempotency.ts';
import { listHandler } from './list-handler.ts';
import { invalidQuery } from './list-query.ts';
import { pageBody } from './page-body.ts';
import { pieceLinks, recordBody } from './record-body.ts';
import { type PieceQuery, parsePieceQuery, pieceBody } from './record-piece.ts';
import { checkReferencesExist } from './reference-checks.ts';
import { encodeSearchCursor, parseSearchQuery } from './search-query.ts';
import { upsertHandler } from './upsert-handler.ts';

/** An endpoint's answer: at once when the store answered at once (a memory read), else a promise. */
/** What answers one endpoint (the shared router's {@link RouteHandler}). */
export type Handler = RouteHandler;

/** How handlers reach the automations their records refer to, and audit what a cascade does. */
export interface RecordLinks {
  readonly related: RelatedAutomations;
  readonly audit: AuditLog;
  /** Statements across this automation's table and others on its connection, where it has them (see expand, delete). */
  readonly shared?: SharedDatabase | undefined;
  /** Where a batch operation's unexpected failure is logged (its answer says only that it failed). */
  readonly logger?: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Builds the request handler of one endpoint, closing over everything it needs once. */
export function recordHandler(
  plan: AutomationPlan,
  endpoint: EndpointPlan,
  store: RecordStore,
  bodyLimit: number,
  idempotency?: Idempotency,
  links?: RecordLinks,
): Handler {
  const singular = plan.names.singular;
  const notFound = (id: string) =>
    new HttpProblem('not-found', `no ${singular} has id "${id}"; list ${plan.basePath} to find existing ids`);
  const itemId = (c: Context) => {
    const id = c.req.param('id') ?? '';
    if (!UUID.test(id)) throw notFound(id);
    return id.toLowerCase();
  };
  // Engine-field errors and schema errors are reported together, so one retry can fix all.
  // A top-level null means "not set", as in a merge patch, so every store keeps the same thing.
  // Reference fields the body sets must name existing records (skipped without references).
  const referencesExist = (body: Record<string, unknown>) =>
    links && plan.references.length ? checkReferencesExist(plan, body, links.related) : undefined;
  const validated = (body: Record<string, unknown>, errors = engineFieldErrors(body)) => {
    for (const field of ENGINE_FIELDS) delete body[field];
    for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    if (!plan.validate(body)) errors.push(...toFieldErrors(plan.validate.errors));
    if (errors.length) throw invalidBody(errors);
    return body;
  };

  // Checked on the current record inside the store's atomic write (see etag.ts).
  // With an Idempotency-Key, a write runs once per key and body; a retry gets the first answer.
  const once = (c: Context, body: Record<string, unknown>, write: () => Promise<Response>): Promise<Response> => {
    const key = requestHeader(c, 'idempotency-key');
    if (key === undefined || !idempotency) return write();
    const request = `${c.req.method} ${c.req.path}\n${JSON.stringify(body)}`;
    let ran = false;
    const run = () => {
      ran = true;
      return write();
    };
    return idempotency.run({ automation: plan.name, actor: String(c.get('actor') ?? 'anonymous'), key }, request, run).then((response) => {
      // The first request's answer, kept: this one wrote nothing.
      if (!ran) noteReplayed(c);
      return response;
    });
  };
  const ifMatch = (c: Context) => ifMatchCheck(requestHeader(c, 'if-match'), plan.requireIfMatch, plan.basePath);
  // No response passes it: a record longer than the budget is cut, and its rest read in pieces (record-body.ts).
  const budget = plan.pagination.maxResponseChars;
  const linksOf = (record: StoredRecord | undefined) => (record ? pieceLinks(plan, record) : () => null);

  // How a batch or an upsert treats a body, the same as the single writes below.
  const rules = {
    readBody: (c: Context) => readJsonObject(c, bodyLimit),
    errorsOf: (data: Record<string, unknown>) => {
      const errors = engineFieldErrors(data);
      const body = Object.fromEntries(
        Object.entries(data).filter(([key, value]) => value !== null && !errors.some((e) => e.pointer === `/${key}`)),
      );
      if (!plan.validate(body)) errors.push(...toFieldErrors(plan.validate.errors));
      return errors;
    },
    patched: (current: StoredRecord, patch: Record<string, unknown>): StoredRecord => {
      const { id, createdAt, updatedAt, ...data } = current;
      const next = validated(mergePatch(data, patch) as Record<string, unknown>, engineFieldErrors(patch));
      return { id, createdAt, updatedAt: nextUpdatedAt(updatedAt), ...next };
    },
    once,
  };

  switch (endpoint.operation) {
    case 'batch':
      return batchHandler(plan, store, rules, links);
    case 'upsert':
      return upsertHandler(plan, store, rules, links);
    case 'list':
      return listHandler(plan, endpoint, store, links);
    case 'search':
      return async (c) => {
        const { fields, ...query } = parseSearchQuery(plan, new URL(c.req.url).searchParams);
        const page = await store.search(query);
        const data = fields ? page.records.map((r) => selectFields(r, fields)) : page.records;
        const { body } = pageBody(
          data,
          budget,
          (kept) => {
            const truncated = kept < page.records.length;
            const next = page.hasMore || truncated ? encodeSearchCursor(query, kept) : null;
            return { next, limit: query.limit, ...(truncated ? { truncated } : {}) };
          },
          linksOf(page.records[0]),
        );
        return jsonAnswer(c, body, 200);
      };
    case 'get': {
      const answer = (c: Context, id: string, record: StoredRecord | undefined, query: GetQuery): Response => {
        if (!record) throw notFound(id);
        const pieces = pieceLinks(plan, record);
        const { fields, piece } = query;
        const body = piece ? pieceBody(record, piece, budget, pieces) : recordBody(selectFields(record, fields), budget, pieces);
        return jsonAnswer(c, body, 200, { etag: etagOf(record) });
      };
      // The record with its relations embedded: read first, then one read per relation.
      const expanded = async (c: Context, id: string, query: GetQuery & { expand: ExpandRequest }): Promise<Response> => {
        const resolved = resolveExpand(plan, query.expand, (links as RecordLinks).related, scopeOf(c)?.granted);
        const record = await store.get(id);
        if (!record) throw notFound(id);
        const [shown] = await embed([record], resolved, query.fields);
        return jsonAnswer(c, recordBody(shown, budget, pieceLinks(plan, record)), 200, { etag: etagOf(record) });
      };
      // The memory store answers at once, and so does this handler then.
      return (c) => {
        const query = getQuery(c, plan);
        const id = itemId(c);
        if (query.expand && links) return expanded(c, id, query as GetQuery & { expand: ExpandRequest });
        const found = store.get(id);
        return found instanceof Promise ? found.then((record) => answer(c, id, record, query)) : answer(c, id, found, query);
      };
    }
    case 'create':
      return async (c) => {
        noQuery(c);
        const raw = await readJsonObject(c, bodyLimit);
        return once(c, raw, async () => {
          const body = validated(raw);
          await referencesExist(body);
          const now = new Date().toISOString();
          const record = await store.create({ id: newRecordId(), createdAt: now, updatedAt: now, ...body });
          noteWritten(c, record.id);
          return jsonAnswer(c, recordBody(record, budget, pieceLinks(plan, record), true), 201, {
            location: `${plan.basePath}/${record.id}`,
            etag: etagOf(record),
          });
        });
      };
    case 'replace':
      return async (c) => {
        noQuery(c);
        const id = itemId(c);
        const check = ifMatch(c);
        const body = validated(await readJsonObject(c, bodyLimit));
        await referencesExist(body);
        const record = await store.modify(id, (current) => {
          check?.(current);
          return { id, createdAt: current.createdAt, updatedAt: nextUpdatedAt(current.updatedAt), ...body };
        });
        if (!record) throw notFound(id);
        return jsonAnswer(c, recordBody(record, budget, pieceLinks(plan, record), true), 200, { etag: etagOf(record) });
      };
    case 'update':
      return async (c) => {
        noQuery(c);
        const id = itemId(c);
        const check = ifMatch(c);
        const patch = await readJsonObject(c, bodyLimit);
        return once(c, patch, async () => {
          const engineErrors = engineFieldErrors(patch);
          for (const field of ENGINE_FIELDS) delete patch[field];
          await referencesExist(patch);
          const record = await store.modify(id, (current) => {
            check?.(current);
            const { id: _id, createdAt, updatedAt: _updatedAt, ...data } = current;
            const next = validated(mergePatch(data, patch) as Record<string, unknown>, [...engineErrors]);
            return { id, createdAt, updatedAt: nextUpdatedAt(current.updatedAt), ...next };
          });
          if (!record) throw notFound(id);
          return jsonAnswer(c, recordBody(record, budget, pieceLinks(plan, record), true), 200, { etag: etagOf(record) });
        });
      };
    case 'delete':
      return async (c) => {
        noQuery(c);
        const id = itemId(c);
        const check = ifMatch(c);
        // What refers to it is dealt with too (restrict refuses; cascade, setNull change them).
        if (links?.related.referrers(plan.name).length) {
          const current = await store.get(id);
          if (!current) throw notFound(id);
          check?.(current);
          // The request id its guards gave it, so every entry of the cascade names the same request.
          const requestId = guardHeaders(c)?.['x-request-id'] ?? requestIdOf(c);
          const request = { actor: String(c.get('actor') ?? 'anonymous'), requestId };
          if (!(await deleteWithReferrers(plan, store, id, check, links, request))) throw notFound(id);
          return jsonAnswer(c, null, 204);
        }
        if (!(await store.delete(id, check))) throw notFound(id);
        return jsonAnswer(c, null, 204);
      };
  }
}

/** RFC 7396 JSON merge patch: objects merge recursively, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    // Defined, not assigned: a key named __proto__ stays a plain key, never the prototype.
    else Object.defineProperty(base, key, { value: mergePatch(base[key], value), enumerable: true, writable: true, configurable: true });
  }
  return base;
}

interface GetQuery {
  readonly fields?: readonly string[];
  readonly piece?: PieceQuery;
  readonly expand?: ExpandRequest;
}

const NO_QUERY: GetQuery = {};

/** get takes `?fields=`, or `?piece=` with `offset` and `version` (the rest of a cut value), and nothing else. */
function getQuery(c: Context, plan: AutomationPlan): GetQuery {
  if (!c.req.url.includes('?')) return NO_QUERY;
  const params = new URL(c.req.url).searchParams;
  const known = plan.references.length ? [...GET_PARAMETERS, 'expand'] : GET_PARAMETERS;
  const errors: FieldError[] = [...params.keys()]
    .filter((name) => !known.includes(name))
    .map((name) => ({
      pointer: `/query/${name}`,
      message: `get takes only ${known.join(', ')}; remove it`,
      ...choices(name, known),
    }));
  for (const name of known) {
    if (params.getAll(name).length > 1) errors.push({ pointer: `/query/${name}`, message: 'given more than once; pass it once' });
  }
  const fields = parseFieldsParam(plan, params, errors);
  const piece = parsePieceQuery(params, errors);
  const expand = parseExpandParam(plan, params, errors);
  if (expand && piece) errors.push({ pointer: '/query/expand', message: 'does not go with piece; read the piece without expand' });
  if (errors.length) throw invalidQuery(errors);
  return { ...(fields ? { fields } : {}), ...(piece ? { piece } : {}), ...(expand ? { expand } : {}) };
}

const GET_PARAMETERS = ['fields', 'piece', 'offset', 'version'];

function noQuery(c: Context): void {
  const url = c.req.url;
  const start = url.indexOf('?');
  if (start === -1 || start === url.length - 1) return;
  const names = [...new URL(url).searchParams.keys()];
  throw invalidQuery(names.map((name) => ({ pointer: `/query/${name}`, message: 'this operation takes no query parameters; remove it' })));
}
