import type { ListAfter, ListFilter, ListQuery, SortOrder } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { choices, type FieldError, HttpProblem } from '../errors/problem.ts';
import { type CursorState, invalidCursor, readCursor } from './cursor.ts';
import { type ExpandRequest, parseExpandParam } from './expand.ts';
import { parseFieldsParam } from './fields-param.ts';
import { filterParameters, isOfferedFilter, parseFilterParams } from './filter-params.ts';

const DEFAULT_SORT: SortOrder = { field: 'createdAt', direction: 'asc' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Reads a list request's query string into a typed {@link ListQuery}. With a cursor,
 * sort, filters and limit come from the cursor; sort and filters may be repeated but
 * not changed, limit may change. Every problem is collected and reported in one 400.
 */
export function parseListQuery(
  plan: AutomationPlan,
  endpoint: EndpointPlan,
  params: URLSearchParams,
): ListQuery & { readonly fields?: readonly string[]; readonly expand?: ExpandRequest } {
  const errors = unknownOrRepeated(plan, endpoint, params);
  const fields = parseFieldsParam(plan, params, errors);
  const expand = parseExpandParam(plan, params, errors);
  const cursorText = params.get('cursor');
  const cursor = cursorText ? readCursor(cursorText) : undefined;
  const sortText = params.get('sort');
  if (cursor && sortText !== null && sortText !== cursor.sort) {
    errors.push({
      pointer: '/query/sort',
      message: `differs from the cursor's sort (${cursor.sort}); drop sort to continue with the cursor, or drop cursor to start over`,
    });
  }
  const sort = parseSort(sortText ?? cursor?.sort ?? null, endpoint, errors, cursor !== undefined && sortText === null);
  const filters = parseFilters(endpoint, params, cursor, errors);
  const limitText = params.get('limit');
  const limit = limitText === null && cursor ? cursorLimit(cursor, plan) : parseLimit(limitText, plan.pagination, errors);
  const count = parseBoolean(params, 'count', errors);
  if (errors.length) throw invalidQuery(errors);
  return {
    filters,
    sort,
    limit,
    ...(count ? { count } : {}),
    ...(cursor ? { after: keysetOf(plan, sort, cursor) } : {}),
    ...(fields ? { fields } : {}),
    ...(expand ? { expand } : {}),
  };
}

function parseBoolean(params: URLSearchParams, name: string, errors: FieldError[]): boolean {
  const raw = params.get(name);
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  errors.push({ pointer: `/query/${name}`, message: 'must be true or false' });
  return false;
}

function unknownOrRepeated(plan: AutomationPlan, endpoint: EndpointPlan, params: URLSearchParams): FieldError[] {
  const errors: FieldError[] = [];
  // `sort` is a known parameter only where the list declares sort fields.
  const general = [
    'limit',
    'cursor',
    ...(endpoint.sort.length ? ['sort'] : []),
    'fields',
    ...(plan.references.length ? ['expand'] : []),
    'count',
  ];
  const known = [...general, ...filterParameters(endpoint)];
  // Every operator spelled out would bury the answer: `plan, plan[ne|in]` reads better.
  const filters = endpoint.filters.map((f) => {
    const ops = f.operators.filter((op) => op !== 'eq');
    return [...(f.operators.includes('eq') ? [f.field] : []), ...(ops.length ? [`${f.field}[${ops.join('|')}]`] : [])].join(', ');
  });
  const accepted = [...general, ...filters].join(', ');
  const properties = plan.storage.spec.fields.map((f) => f.name);
  for (const name of new Set(params.keys())) {
    if (!known.includes(name)) {
      const field = name.replace(/\[.*$/, '');
      const offered = endpoint.filters.find((f) => f.field === field);
      const why = offered
        ? `this list does not offer that operator on "${field}"`
        : properties.includes(field)
          ? `"${field}" is a field but this list cannot filter on it`
          : `unknown query parameter${didYouMean(name, known)}`;
      errors.push({ pointer: `/query/${name}`, message: `${why}; accepted: ${accepted}`, ...choices(name, known) });
    } else if (params.getAll(name).length > 1) {
      errors.push({ pointer: `/query/${name}`, message: 'given more than once; pass it once' });
    }
  }
  return errors;
}

/** `?limit=`: digits only, 1 to maxLimit; absent, the default. Problems go to `errors`. */
export function parseLimit(raw: string | null, pagination: AutomationPlan['pagination'], errors: FieldError[]): number {
  if (raw === null) return pagination.defaultLimit;
  const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= pagination.maxLimit)) {
    errors.push({ pointer: '/query/limit', message: `must be an integer from 1 to ${pagination.maxLimit}` });
  }
  return limit;
}

function cursorLimit(cursor: CursorState, plan: AutomationPlan): number {
  if (!(cursor.limit >= 1 && cursor.limit <= plan.pagination.maxLimit)) throw invalidCursor();
  return cursor.limit;
}

/** `fromCursor`: the cursor of a default-ordered page carries `createdAt`, declared or not. */
function parseSort(raw: string | null, endpoint: EndpointPlan, errors: FieldError[], fromCursor = false): SortOrder {
  if (raw === null || (fromCursor && raw === DEFAULT_SORT.field)) return DEFAULT_SORT;
  const field = raw.startsWith('-') ? raw.slice(1) : raw;
  if (!endpoint.sort.includes(field)) {
    const accepted = endpoint.sort.flatMap((f) => [f, `-${f}`]);
    const oneField = raw.includes(',') ? 'sort by one field at a time; ' : '';
    errors.push({
      pointer: '/query/sort',
      message: accepted.length
        ? `${oneField}cannot sort by "${field}"${didYouMean(field, endpoint.sort)}; accepted: ${accepted.join(', ')}`
        : 'this list has no sortable fields; remove sort',
      ...choices(raw, accepted),
    });
  }
  return { field, direction: raw.startsWith('-') ? 'desc' : 'asc' };
}

/** Filters from the query string, or from the cursor (which the query may repeat but not change). */
function parseFilters(
  endpoint: EndpointPlan,
  params: URLSearchParams,
  cursor: CursorState | undefined,
  errors: FieldError[],
): ListFilter[] {
  const given = parseFilterParams(endpoint, params, errors);
  if (!cursor) return given;
  if (!cursor.filters.every((f) => isOfferedFilter(endpoint, f))) throw invalidCursor();
  const asGiven = filterParameters(endpoint).some((name) => params.has(name));
  if (asGiven && canonical(given) !== canonical(cursor.filters)) {
    errors.push({
      pointer: '/query/cursor',
      message: 'was issued for other filters; drop the filters to continue with the cursor, or drop cursor to start over',
    });
  }
  return [...cursor.filters];
}

function canonical(filters: readonly ListFilter[]): string {
  return JSON.stringify(filters.map((f) => [f.field, f.op, f.value]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
}

function keysetOf(plan: AutomationPlan, sort: SortOrder, cursor: CursorState): ListAfter {
  const { value, id } = cursor;
  const field = sort.field;
  const kind =
    field === 'id'
      ? 'uuid'
      : field === 'createdAt' || field === 'updatedAt'
        ? 'timestamp'
        : plan.storage.spec.fields.find((f) => f.name === field)?.kind;
  const valid =
    value === null
      ? kind !== 'uuid' && kind !== 'timestamp'
      : kind === 'uuid'
        ? typeof value === 'string' && UUID.test(value)
        : kind === 'timestamp'
          ? typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))
          : kind === 'integer'
            ? Number.isSafeInteger(value)
            : typeof value === kind;
  if (!valid || !UUID.test(id)) throw invalidCursor();
  return { value, id };
}

export function invalidQuery(errors: FieldError[]): HttpProblem {
  const detail = errors.map((e) => `${e.pointer.replace('/query/', '')}: ${e.message}`).join('; ');
  return new HttpProblem('invalid-query', `fix these query parameters and retry: ${detail}`, { errors });
}
