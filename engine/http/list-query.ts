import type { ListQuery, ScalarValue, SortOrder } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan, FilterPlan } from '../compile/plan.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { type CursorValueKind, decodeCursor } from './cursor.ts';
import { type FieldError, HttpProblem } from './problem.ts';

const DEFAULT_SORT: SortOrder = { field: 'createdAt', direction: 'asc' };

/**
 * Reads a list request's query string into a typed {@link ListQuery}. Every problem
 * is collected (unknown or repeated parameters, bad values) and reported in one 400.
 */
export function parseListQuery(plan: AutomationPlan, endpoint: EndpointPlan, params: URLSearchParams): ListQuery {
  const errors: FieldError[] = [];
  const filtersByName = new Map(endpoint.filters.map((f) => [f.field, f]));
  const known = ['limit', 'cursor', 'sort', ...filtersByName.keys()];
  const single = (name: string) => params.getAll(name).length <= 1;
  for (const name of new Set(params.keys())) {
    if (!known.includes(name)) {
      errors.push({
        pointer: `/query/${name}`,
        message: `unknown query parameter${didYouMean(name, known)}; accepted: ${known.join(', ')}`,
      });
    } else if (!single(name)) {
      errors.push({ pointer: `/query/${name}`, message: 'given more than once; pass it once' });
    }
  }
  const limit = parseLimit(params.get('limit'), plan.pagination, errors);
  const sort = parseSort(params.get('sort'), endpoint, errors);
  const filters: { field: string; value: ScalarValue }[] = [];
  for (const [name, filter] of filtersByName) {
    const raw = params.get(name);
    if (raw === null) continue;
    const value = parseFilterValue(raw, filter);
    if (value === undefined) errors.push({ pointer: `/query/${name}`, message: filterHint(filter) });
    else filters.push({ field: name, value });
  }
  if (errors.length) throw invalidQuery(errors);
  const cursor = params.get('cursor');
  return { filters, sort, limit, ...(cursor ? { after: decodeCursor(cursor, sort, cursorKind(plan, sort.field)) } : {}) };
}

function cursorKind(plan: AutomationPlan, field: string): CursorValueKind {
  if (field === 'id') return 'uuid';
  if (field === 'createdAt' || field === 'updatedAt') return 'timestamp';
  const kind = plan.storage.spec.fields.find((f) => f.name === field)?.kind;
  return kind === undefined || kind === 'json' ? 'string' : kind;
}

function parseLimit(raw: string | null, pagination: AutomationPlan['pagination'], errors: FieldError[]): number {
  if (raw === null) return pagination.defaultLimit;
  const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= pagination.maxLimit)) {
    errors.push({ pointer: '/query/limit', message: `must be an integer from 1 to ${pagination.maxLimit}` });
  }
  return limit;
}

function parseSort(raw: string | null, endpoint: EndpointPlan, errors: FieldError[]): SortOrder {
  if (raw === null) return DEFAULT_SORT;
  const field = raw.startsWith('-') ? raw.slice(1) : raw;
  if (!endpoint.sort.includes(field)) {
    const accepted = endpoint.sort.flatMap((f) => [f, `-${f}`]);
    errors.push({
      pointer: '/query/sort',
      message: accepted.length
        ? `cannot sort by "${field}"${didYouMean(field, endpoint.sort)}; accepted: ${accepted.join(', ')}`
        : 'this list has no sortable fields; remove sort',
    });
  }
  return { field, direction: raw.startsWith('-') ? 'desc' : 'asc' };
}

function parseFilterValue(raw: string, filter: FilterPlan): ScalarValue | undefined {
  let value: ScalarValue | undefined;
  switch (filter.kind) {
    case 'string':
      value = raw;
      break;
    case 'boolean':
      value = raw === 'true' ? true : raw === 'false' ? false : undefined;
      break;
    case 'integer':
      value = /^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
      break;
    case 'number':
      value = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
      break;
  }
  const choices = filter.schema.enum;
  if (value !== undefined && Array.isArray(choices) && !choices.includes(value)) return undefined;
  return value;
}

function filterHint(filter: FilterPlan): string {
  const choices = filter.schema.enum;
  if (Array.isArray(choices)) return `must be one of: ${choices.map(String).join(', ')}`;
  return filter.kind === 'boolean' ? 'must be true or false' : `must be ${filter.kind === 'integer' ? 'an integer' : 'a number'}`;
}

export function invalidQuery(errors: FieldError[]): HttpProblem {
  const detail = errors.map((e) => `${e.pointer.replace('/query/', '')}: ${e.message}`).join('; ');
  return new HttpProblem('invalid-query', `fix these query parameters and retry: ${detail}`, { errors });
}
