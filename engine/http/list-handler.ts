import type { Context } from 'hono';
import type { ListFilter, ListPage, ListQuery, RecordStore, SharedDatabase, StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan, Reference } from '../compile/plan.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { RelatedAutomations } from '../registry/registry.ts';
import { scopeOf } from '../request/route-table.ts';
import { jsonAnswer } from './answer.ts';
import { encodeCursor } from './cursor.ts';
import { embed, embedAsJson, joinable, listJoins, type Resolved, resolveExpand } from './expand.ts';
import { selectFields } from './fields-param.ts';
import { parseListQuery } from './list-query.ts';
import { pageBody } from './page-body.ts';
import { pieceLinks } from './record-body.ts';

/** How a list reaches related records: the automations serving, and statements across its connection's tables. */
export interface ListLinks {
  readonly related: RelatedAutomations;
  readonly shared?: SharedDatabase | undefined;
}

/**
 * A list endpoint's handler. With `of`, the reverse list of one referred record
 * (`/accounts/{id}/tickets`): the same filters, sort and cursors, narrowed to the records
 * whose reference field holds the id in the path; a 404 when no such record exists.
 * `?expand=` of an automation on the same connection is read with the page, in one
 * statement (a join); others after it.
 */
export function listHandler(
  plan: AutomationPlan,
  endpoint: EndpointPlan,
  store: RecordStore,
  links: ListLinks | undefined,
  of?: Reference,
): (c: Context) => Promise<Response> {
  const budget = plan.pagination.maxResponseChars;
  const related = links?.related;
  const shared = links?.shared;
  /** The page, and the related records read with it (a join), by relation. */
  const read = async (
    query: ListQuery,
    resolved: readonly Resolved[] | undefined,
  ): Promise<[ListPage, Map<Resolved, ReadonlyMap<string, StoredRecord>>?]> => {
    const joins = resolved && shared ? joinable(plan, resolved, shared) : [];
    if (!shared || joins.length === 0) return [await store.list(query)];
    const page = await shared.listWith(plan.storage.spec, query, listJoins(joins));
    return [page, new Map(joins.map((relation, j) => [relation, page.joined[j] as ReadonlyMap<string, StoredRecord>]))];
  };
  return async (c) => {
    const { fields, expand, ...query } = parseListQuery(plan, endpoint, new URL(c.req.url).searchParams);
    const resolved = expand && related ? resolveExpand(plan, expand, related, scopeOf(c)?.granted) : undefined;
    const owner = of ? (c.req.param('id') ?? '') : undefined;
    const narrowed =
      owner === undefined
        ? query
        : { ...query, filters: [{ field: (of as Reference).field, op: 'eq', value: owner } as ListFilter, ...query.filters] };
    const [page, joined] = await read(narrowed, resolved);
    if (of && owner !== undefined && page.records.length === 0 && query.after === undefined) await mustExist(of, owner, related);
    // With expand and no fields, the records are serialized with their relations spliced in.
    const spliced = resolved && !fields ? await embedAsJson(page.records, resolved, joined) : undefined;
    const data = spliced
      ? page.records.map((r, i) => (i === 0 ? spliced.first : r))
      : resolved
        ? await embed(page.records, resolved, fields, joined)
        : fields
          ? page.records.map((r) => selectFields(r, fields))
          : page.records;
    const count = page.total === undefined ? {} : { count: page.total };
    const { body } = pageBody(
      data,
      budget,
      (kept) => {
        const truncated = kept < page.records.length;
        const last = page.records[kept - 1];
        const next = (page.hasMore || truncated) && last ? encodeCursor(query, last) : null;
        return { next, limit: query.limit, ...count, ...(truncated ? { truncated } : {}) };
      },
      linksOf(plan, page.records[0]),
      spliced?.texts,
    );
    return jsonAnswer(c, body, 200);
  };
}

function linksOf(plan: AutomationPlan, record: StoredRecord | undefined) {
  return record ? pieceLinks(plan, record) : () => null;
}

/** An empty reverse list of a record that does not exist is a 404, not an empty page. */
async function mustExist(of: Reference, id: string, related: RelatedAutomations | undefined): Promise<void> {
  const target = related?.match(of.automation);
  if (!target) throw new HttpProblem('reference-unavailable', `${of.automation} is not serving right now; retry later`);
  if (!(await target.store.get(id))) {
    throw new HttpProblem(
      'not-found',
      `no ${target.plan.names.singular} has id "${id}"; list ${target.plan.basePath} to find existing ids`,
    );
  }
}
