import type { ListFilter, StoredRecord } from './types.ts';

/**
 * The meaning of every list filter, written once in JavaScript for backends that filter
 * in process (memory) and for tests that check the others against it. A missing (or
 * null) value matches only `ne` and `exists: false`; a value of another type than the
 * filter's matches only `ne`.
 */
export function matchesFilters(record: StoredRecord, filters: readonly ListFilter[]): boolean {
  return filters.every((filter) => matchesFilter(record[filter.field], filter));
}

function matchesFilter(value: unknown, filter: ListFilter): boolean {
  const present = value !== undefined && value !== null;
  switch (filter.op) {
    case 'exists':
      return present === filter.value;
    case 'ne':
      return value !== filter.value;
    case 'in':
      return present && filter.value.includes(value as never);
    case 'contains':
      return typeof value === 'string' && typeof filter.value === 'string' && value.includes(filter.value);
    case 'eq':
      return value === filter.value;
    default: {
      if (typeof value !== typeof filter.value) return false;
      const [a, b] = [value as string | number, filter.value as string | number];
      return filter.op === 'gt' ? a > b : filter.op === 'gte' ? a >= b : filter.op === 'lt' ? a < b : a <= b;
    }
  }
}
