import type { ListFilter, ListQuery, StoredRecord } from '../types.ts';
import type { Row } from './executor.ts';
import { type ColumnKind, type ColumnSpec, EXTRA_COLUMN, type TableSchema } from './schema.ts';
import { listArguments } from './statements.ts';

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

/**
 * The record a row holds. `aliases`: the row's name of each column (in `schema.columns`
 * order) where a statement renamed them, as a join does with the referred table's.
 */
export function decodeRow(schema: TableSchema, row: Row, aliases?: readonly string[]): StoredRecord {
  const record: Record<string, unknown> = {};
  const columns = schema.columns;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as ColumnSpec;
    const value = row[aliases ? (aliases[i] as string) : column.name];
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

/**
 * The arguments of a list statement for `query` (see listArguments), and the filter
 * values alone, which its count statement takes.
 */
export function encodeListQuery(schema: TableSchema, query: ListQuery): { readonly args: unknown[]; readonly filters: unknown[] } {
  const filters = query.filters.map((f) => encodeFilter(schema, f));
  const after = query.after ? encodeField(schema, query.sort.field, query.after.value) : null;
  return { args: listArguments(filters, query, after), filters };
}

function encodeFilter(schema: TableSchema, filter: ListFilter): unknown {
  if (filter.op === 'exists') return null;
  if (filter.op === 'in') return JSON.stringify(filter.value);
  return encodeField(schema, filter.field, filter.value);
}

/** JSON goes as text (cast to jsonb in SQL): PGlite and postgres.js then bind it alike. */
function encode(kind: ColumnKind, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return kind === 'json' ? JSON.stringify(value) : value;
}

/** postgres.js returns bigint as a string; both drivers return timestamptz as the server's text in UTC. */
function decode(column: ColumnSpec, value: unknown): unknown {
  switch (column.kind) {
    case 'integer':
      return Number(value);
    case 'timestamp':
      return isoTimestamp(value);
    default:
      return value;
  }
}

/** `2026-12-07 13:27:02.12+00` (PostgreSQL's ISO style in UTC; at most microseconds). */
const UTC_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;

/**
 * A timestamptz as the engine writes it, ISO 8601 in UTC with milliseconds
 * (`2026-12-07T13:27:02.120Z`). Anything else (a Date, another zone, a year past 9999) goes
 * through Date, which truncates microseconds as this does.
 */
export function isoTimestamp(value: unknown): string {
  // Tested, then sliced: a third cheaper than taking the parts from a match (two per record).
  if (typeof value === 'string' && UTC_TEXT.test(value)) {
    const n = value.length;
    const fraction = n === 22 ? '.000' : n >= 26 ? value.slice(19, 23) : `${value.slice(19, n - 3)}000`.slice(0, 4);
    return `${value.slice(0, 10)}T${value.slice(11, 19)}${fraction}Z`;
  }
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

/**
 * Records as the one JSON array parameter of a many-row insert (`insertMany`), each keyed
 * by column name; JSON values (jsonb columns, the extras) nest as they are. A record whose
 * properties all have columns goes as it is (the usual case: no copy).
 */
export function jsonRows(schema: TableSchema, records: readonly StoredRecord[]): string {
  return JSON.stringify(
    records.map((record) => {
      const extras = extrasOf(schema, record);
      return extras === undefined ? record : { ...record, [EXTRA_COLUMN]: extras };
    }),
  );
}
