import { sortValue } from '../../adapters/keyset.ts';
import type { ListAfter, ScalarValue, SortOrder, StoredRecord } from '../../adapters/types.ts';
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

/** What a cursor's sort value must be: a property's kind, or a built-in field's type. */
export type CursorValueKind = 'string' | 'integer' | 'number' | 'boolean' | 'uuid' | 'timestamp';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const valueChecks: Record<CursorValueKind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => Number.isSafeInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  uuid: (v) => typeof v === 'string' && UUID.test(v),
  timestamp: (v) => typeof v === 'string' && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v)),
};

/**
 * Reads a cursor back, checking every part, so a tampered cursor is a 400 and never
 * reaches a store as a value of the wrong type.
 */
export function decodeCursor(cursor: string, sort: SortOrder, kind: CursorValueKind): ListAfter {
  let payload: { s?: unknown; v?: unknown; i?: unknown };
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor this API issued; copy meta.next from the previous page unchanged');
  }
  const value = payload?.v;
  const valid = value === null ? kind !== 'uuid' && kind !== 'timestamp' : valueChecks[kind](value);
  if (!valueChecks.uuid(payload?.i) || !valid || typeof payload.s !== 'string') {
    throw invalid('is not a cursor this API issued; copy meta.next from the previous page unchanged');
  }
  if (payload.s !== sortKey(sort)) {
    throw invalid(`was issued for sort=${payload.s}; pass the same sort with this cursor, or drop the cursor to start over`);
  }
  return { value: value as ScalarValue | null, id: payload.i as string };
}

function sortKey(sort: SortOrder): string {
  return `${sort.direction === 'desc' ? '-' : ''}${sort.field}`;
}

function invalid(message: string): HttpProblem {
  return new HttpProblem('invalid-query', `cursor ${message}`, { errors: [{ pointer: '/query/cursor', message }] });
}
