import {
  type FieldKind,
  type ListAfter,
  type ListFilter,
  type ListQuery,
  type ScalarValue,
  type SortOrder,
  StorageError,
} from '../types.ts';
import { type FieldKinds, MAX_RESULT_WINDOW, TEXT_SUBFIELD } from './mapping.ts';

/** One query DSL clause, as the JSON the store receives. */
export type Query = Readonly<Record<string, unknown>>;

/** The body of `POST /<index>/_search`. */
export interface SearchBody {
  readonly query: Query;
  readonly sort: readonly Query[];
  readonly from?: number;
  readonly size: number;
  readonly track_total_hits: false;
}

const matchAll: Query = { match_all: {} };
const matchNone: Query = { match_none: {} };
const not = (query: Query): Query => ({ bool: { must_not: [query] } });
const allOf = (...queries: Query[]): Query => ({ bool: { filter: queries } });
const anyOf = (...queries: Query[]): Query => ({ bool: { should: queries, minimum_should_match: 1 } });
const exists = (field: string): Query => ({ exists: { field } });

/**
 * A list page: the filters, the keyset condition and the `(field, id)` order, one record
 * more than the limit to learn whether another page follows.
 */
export function listBody(kinds: FieldKinds, query: ListQuery): SearchBody {
  const conditions = query.filters.map((f) => filterCondition(kinds, f));
  if (query.after) conditions.push(keysetCondition(kinds, query.sort, query.after));
  if (query.limit + 1 > MAX_RESULT_WINDOW) throw new StorageError('rejected', `a list page holds at most ${MAX_RESULT_WINDOW - 1} records`);
  return { query: allOf(...conditions), sort: sortClauses(kinds, query.sort), size: query.limit + 1, track_total_hits: false };
}

/** The body of `POST /<index>/_count`. */
export interface CountBody {
  readonly query: Query;
}

/** The body of `POST /<index>/_count`: the filters alone, whatever the page. */
export function countBody(kinds: FieldKinds, filters: ListQuery['filters']): CountBody {
  return { query: allOf(...filters.map((f) => filterCondition(kinds, f))) };
}

/**
 * One filter with exactly the meaning of adapters/filter-match.ts. Only typed clauses:
 * a value of another type than the field's matches nothing (and `ne` everything), as in
 * JavaScript, instead of the store converting it or refusing the query.
 */
export function filterCondition(kinds: FieldKinds, filter: ListFilter): Query {
  const kind = kindOf(kinds, filter.field, 'filter on');
  const { field } = filter;
  switch (filter.op) {
    case 'exists':
      return filter.value ? exists(field) : not(exists(field));
    case 'eq':
      return fits(kind, filter.value) ? { term: { [field]: filter.value } } : matchNone;
    case 'ne':
      // must_not, so a record without the field matches too.
      return fits(kind, filter.value) ? not({ term: { [field]: filter.value } }) : matchAll;
    case 'in': {
      const values = filter.value.filter((v) => fits(kind, v));
      return values.length > 0 ? { terms: { [field]: values } } : matchNone;
    }
    case 'contains':
      return kind === 'string' && typeof filter.value === 'string'
        ? { wildcard: { [field]: { value: `*${escapeWildcard(filter.value)}*` } } }
        : matchNone;
    default:
      return compare(kind, field, filter.op, filter.value);
  }
}

/** `*`, `?` and `\` are wildcard syntax; escaped, the value matches as a plain substring. */
export function escapeWildcard(text: string): string {
  return text.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/**
 * "Strictly after the cursor" in the order of adapters/keyset.ts, as plain conditions
 * (like the postgres adapter's keyset): missing values come after present ones ascending
 * and before them descending, ties by id. search_after would need a sort value to stand
 * for "missing", which differs by field type and breaks once a missing value is the cursor.
 */
export function keysetCondition(kinds: FieldKinds, sort: SortOrder, after: ListAfter): Query {
  const kind = kindOf(kinds, sort.field, 'sort by');
  const asc = sort.direction === 'asc';
  const idBeyond: Query = { range: { id: { [asc ? 'gt' : 'lt']: after.id } } };
  if (sort.field === 'id') return idBeyond;
  const missing = not(exists(sort.field));
  if (after.value === null) return asc ? allOf(missing, idBeyond) : anyOf(allOf(missing, idBeyond), exists(sort.field));
  const beyond = compare(kind, sort.field, asc ? 'gt' : 'lt', after.value);
  const tie = allOf(filterCondition(kinds, { field: sort.field, op: 'eq', value: after.value }), idBeyond);
  return asc ? anyOf(beyond, tie, missing) : anyOf(beyond, tie);
}

/** `(field, id)` order; `missing` puts records without the field last ascending, first descending. */
export function sortClauses(kinds: FieldKinds, sort: SortOrder): Query[] {
  kindOf(kinds, sort.field, 'sort by');
  const order = sort.direction;
  const byId = { id: { order } };
  if (sort.field === 'id') return [byId];
  return [{ [sort.field]: { order, missing: order === 'asc' ? '_last' : '_first' } }, byId];
}

/**
 * Every word in one of the fields (cross_fields, operator and), ranked by the store's
 * own relevance (BM25, which also weighs how short a field is); tie_breaker 1 adds the
 * fields' scores up instead of taking the best one. Ties by id.
 */
export function searchBody(fields: readonly string[], words: readonly string[], offset: number, limit: number): SearchBody {
  if (offset + limit > MAX_RESULT_WINDOW) {
    throw new StorageError('rejected', `search reaches only the first ${MAX_RESULT_WINDOW} matches; use more words to narrow it`);
  }
  const query = {
    multi_match: {
      query: words.join(' '),
      type: 'cross_fields',
      operator: 'and',
      tie_breaker: 1,
      fields: fields.map((f) => `${f}.${TEXT_SUBFIELD}`),
    },
  };
  // One more than the limit tells whether a page follows, except on the window's last page.
  const size = Math.min(limit + 1, MAX_RESULT_WINDOW - offset);
  return { query, sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }], from: offset, size, track_total_hits: false };
}

function compare(kind: FieldKind, field: string, op: 'gt' | 'gte' | 'lt' | 'lte', value: ScalarValue): Query {
  if (!fits(kind, value)) return matchNone;
  if (typeof value === 'boolean') {
    // false < true, as in JavaScript; spelled out as terms rather than a range on a boolean.
    const values = [false, true].filter((b) =>
      op === 'gt' ? b > value : op === 'gte' ? b >= value : op === 'lt' ? b < value : b <= value,
    );
    return values.length > 0 ? { terms: { [field]: values } } : matchNone;
  }
  return { range: { [field]: { [op]: value } } };
}

function fits(kind: FieldKind, value: ScalarValue): boolean {
  return kind === 'integer' || kind === 'number' ? typeof value === 'number' : typeof value === kind;
}

function kindOf(kinds: FieldKinds, field: string, doing: string): FieldKind {
  const kind = kinds.get(field);
  if (!kind) throw new StorageError('rejected', `cannot ${doing} "${field}": it is not a declared property`, { field });
  if (kind === 'json')
    throw new StorageError('rejected', `cannot ${doing} "${field}": json properties are kept but not indexed`, { field });
  return kind;
}
