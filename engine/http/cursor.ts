import type { ListAfter, ScalarValue, SortOrder, StoredRecord } from '../../adapters/types.ts';
import { sortValue } from '../../adapters/keyset.ts';
import { HttpProblem } from './problem.ts';

/**
 * Opaque list cursors: the sort they were made for plus the keyset position (sort
 * value and id of the last record served). A cursor stays valid while records are
 * inserted or deleted, because it names a position, not an offset.
 */
export function encodeCursor(sort: SortOrder, last: StoredRecord): string {
  const payload = { s: sortKey(sort), v: sortValue(last, sort.field), i: last.id };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string, sort: SortOrder): ListAfter {
  let payload: { s?: unknown; v?: unknown; i?: unknown };
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor this API issued; copy meta.next from the previous page unchanged');
  }
  const value = payload?.v;
  const scalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  if (typeof payload?.i !== 'string' || !scalar || typeof payload.s !== 'string') {
    throw invalid('is not a cursor this API issued; copy meta.next from the previous page unchanged');
  }
  if (payload.s !== sortKey(sort)) {
    throw invalid(`was issued for sort=${payload.s}; pass the same sort with this cursor, or drop the cursor to start over`);
  }
  return { value: value as ScalarValue | null, id: payload.i };
}

function sortKey(sort: SortOrder): string {
  return `${sort.direction === 'desc' ? '-' : ''}${sort.field}`;
}

function invalid(message: string): HttpProblem {
  return new HttpProblem('invalid-query', `cursor ${message}`, { errors: [{ pointer: '/query/cursor', message }] });
}
