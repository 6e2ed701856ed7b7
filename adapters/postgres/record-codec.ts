import type { StoredRecord } from '../types.ts';
import type { Row } from './executor.ts';
import { type ColumnKind, type ColumnSpec, EXTRA_COLUMN, type TableSchema } from './schema.ts';

/**
 * Records to statement arguments and rows back to records, for one table: pure, the
 * half of the adapter that runs nothing.
 */

/** One encoded value per column, in `schema.columns` order (what `insert` and `update` take). */
export function encodeRecord(schema: TableSchema, record: StoredRecord): unknown[] {
  return schema.columns.map((c) => encode(c.kind, c.name === EXTRA_COLUMN ? extrasOf(schema, record) : record[c.name]));
}

/** A value of one field, encoded as its column takes it. */
export function encodeField(schema: TableSchema, field: string, value: unknown): unknown {
  return encode(schema.byName.get(field)?.kind ?? 'string', value);
}

/** Properties without a column of their own, or undefined when there are none. */
export function extrasOf(schema: TableSchema, record: StoredRecord): Record<string, unknown> | undefined {
  let extras: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    if (schema.byName.has(key)) continue;
    // Without a prototype, a `__proto__` key is a property like any other.
    extras ??= Object.create(null) as Record<string, unknown>;
    extras[key] = record[key];
  }
  return extras;
}

export function decodeRow(schema: TableSchema, row: Row): StoredRecord {
  const record: Record<string, unknown> = {};
  for (const column of schema.columns) {
    const value = row[column.name];
    if (value === null || value === undefined) continue;
    if (column.name === EXTRA_COLUMN) addExtras(record, value as Record<string, unknown>);
    else record[column.name] = decode(column, value);
  }
  return record as StoredRecord;
}

/**
 * The `@extra` properties, defined on the record, never assigned: `Object.assign` would
 * make a stored `__proto__` key the record's prototype, so its values would show through
 * `?fields=`. The engine refuses that key in bodies; one written by anything else is not
 * served. A column's own value is never overwritten.
 */
function addExtras(record: Record<string, unknown>, extras: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(extras)) {
    if (key === '__proto__' || Object.hasOwn(record, key)) continue;
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

/** JSON goes as text (cast to jsonb in SQL): PGlite and postgres.js then bind it alike. */
function encode(kind: ColumnKind, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return kind === 'json' ? JSON.stringify(value) : value;
}

/** postgres.js returns bigint as a string and both drivers return timestamptz as a Date. */
function decode(column: ColumnSpec, value: unknown): unknown {
  switch (column.kind) {
    case 'integer':
      return Number(value);
    case 'timestamp':
      return (value instanceof Date ? value : new Date(String(value))).toISOString();
    default:
      return value;
  }
}
