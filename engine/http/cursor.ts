import { sortValue } from '../../adapters/keyset.ts';
import type { ListQuery, ScalarValue, StoredRecord } from '../../adapters/types.ts';
import { HttpProblem } from './problem.ts';

/**
 * What an opaque list cursor holds: the whole query it continues (sort, filters,
 * limit) and the keyset position (sort value and id of the last record served). So
 * `?cursor=` alone fetches the next page of the same list, and a cursor stays valid
 * while records are inserted or deleted, because it names a position, not an offset.
 */
export interface CursorState {
  /** `field` or `-field`. */
  readonly sort: string;
  readonly filters: Readonly<Record<string, ScalarValue>>;
  readonly limit: number;
  readonly value: ScalarValue | null;
  readonly id: string;
}

export function encodeCursor(query: ListQuery, last: StoredRecord): string {
  const payload = {
    s: `${query.sort.direction === 'desc' ? '-' : ''}${query.sort.field}`,
    f: Object.fromEntries(query.filters.map((f) => [f.field, f.value])),
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
  const filters = payload?.f;
  const shaped =
    typeof payload === 'object' &&
    payload !== null &&
    typeof payload.s === 'string' &&
    typeof payload.i === 'string' &&
    Number.isSafeInteger(payload.l) &&
    (payload.v === null || isScalar(payload.v)) &&
    typeof filters === 'object' &&
    filters !== null &&
    !Array.isArray(filters) &&
    Object.values(filters).every(isScalar);
  if (!shaped || !payload) throw invalidCursor();
  return { sort: payload.s, filters, limit: payload.l, value: payload.v, id: payload.i } as CursorState;
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
