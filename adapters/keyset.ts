import type { ListAfter, ScalarValue, SortOrder, StoredRecord } from './types.ts';

/**
 * The ordering every backend implements, written once in JavaScript for backends
 * that sort in process (memory) and for tests that check the others against it.
 * Ascending: present values by value, then missing ones; ties by id. Descending is
 * the exact reverse, so a keyset cursor works the same both ways.
 */
export function compareRecords(sort: SortOrder): (a: StoredRecord, b: StoredRecord) => number {
  const sign = sort.direction === 'asc' ? 1 : -1;
  return (a, b) => sign * compareKeys(sortValue(a, sort.field), a.id, sortValue(b, sort.field), b.id);
}

/** True if `record` comes strictly after the keyset position `after` in `sort` order. */
export function isAfter(record: StoredRecord, sort: SortOrder, after: ListAfter): boolean {
  const sign = sort.direction === 'asc' ? 1 : -1;
  return sign * compareKeys(sortValue(record, sort.field), record.id, after.value, after.id) > 0;
}

export function sortValue(record: StoredRecord, field: string): ScalarValue | null {
  const value = record[field];
  return value === undefined || value === null ? null : (value as ScalarValue);
}

/** `(value, id)` against `(value, id)` ascending: missing values last, ties by id. */
export function compareKeys(av: ScalarValue | null, aid: string, bv: ScalarValue | null, bid: string): number {
  if (av === null && bv !== null) return 1;
  if (av !== null && bv === null) return -1;
  if (av !== null && bv !== null && av !== bv) return av < bv ? -1 : 1;
  return aid === bid ? 0 : aid < bid ? -1 : 1;
}
