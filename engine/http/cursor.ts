import { sortValue } from '../../adapters/keyset.ts';
import type { ListFilter, ListQuery, ScalarValue, StoredRecord } from '../../adapters/types.ts';
import { HttpProblem } from '../errors/problem.ts';

/**
 * What an opaque list cursor holds: the whole query it continues (sort, filters,
 * limit) and the keyset position (sort value and id of the last record served). So
 * `?cursor=` alone fetches the next page of the same list, and a cursor stays valid
 * while records are inserted or deleted, because it names a position, not an offset.
 */
export interface CursorState {
  /** `field` or `-field`. */
  readonly sort: string;
  /** Shaped only: the list query checks them against the endpoint like query filters. */
  readonly filters: readonly ListFilter[];
  readonly limit: number;
  readonly value: ScalarValue | null;
  readonly id: string;
}

export function encodeCursor(query: ListQuery, last: StoredRecord): string {
  const payload = {
    s: `${query.sort.direction === 'desc' ? '-' : ''}${query.sort.field}`,
    f: query.filters.map((f) => [f.field, f.op, f.value]),
    l: query.limit,
    v: sortValue(last, query.sort.field),
    i: last.id,
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * Reads a cursor's structure. Its values are only shaped here; the list query checks
 * them against the automation like any other input, so a forged cursor is a 400.
 */
export function readCursor(text: string): CursorState {
  let payload: Record<string, unknown> | null = null;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {}
  const filters = filtersOf(payload?.f);
  const shaped =
    typeof payload === 'object' &&
    payload !== null &&
    typeof payload.s === 'string' &&
    typeof payload.i === 'string' &&
    Number.isSafeInteger(payload.l) &&
    (payload.v === null || isScalar(payload.v)) &&
    filters !== undefined;
  if (!shaped || !payload || !filters) throw invalidCursor();
  return { sort: payload.s, filters, limit: payload.l, value: payload.v, id: payload.i } as CursorState;
}

/**
 * `[[field, op, value], ...]`; cursors issued before filter operators existed hold
 * `{ field: value }` (equality), and keep working so a client mid-list is not cut off.
 */
function filtersOf(raw: unknown): ListFilter[] | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    const entries = Object.entries(raw);
    return entries.every(([, v]) => isScalar(v)) ? entries.map(([field, value]) => ({ field, op: 'eq', value })) : undefined;
  }
  const filters: ListFilter[] = [];
  for (const entry of raw) {
    if (!Array.isArray(entry) || entry.length !== 3) return undefined;
    const [field, op, value] = entry as unknown[];
    const valueShaped = Array.isArray(value) ? value.every(isScalar) : isScalar(value);
    if (typeof field !== 'string' || typeof op !== 'string' || !valueShaped) return undefined;
    filters.push({ field, op, value } as ListFilter);
  }
  return filters;
}

export function invalidCursor(): HttpProblem {
  const message =
    'is not a cursor this API issued for this list; pass meta.next from the previous page unchanged, or drop cursor to start over';
  // Worded like every other query problem (see invalidQuery in list-query.ts).
  return new HttpProblem('invalid-query', `fix these query parameters and retry: cursor: ${message}`, {
    errors: [{ pointer: '/query/cursor', message }],
  });
}

function isScalar(value: unknown): value is ScalarValue {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
