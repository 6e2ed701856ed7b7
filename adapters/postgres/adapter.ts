import { searchWords } from '../text-match.ts';
import {
  type ListFilter,
  type ListPage,
  type ListQuery,
  type RecordStore,
  type SearchQuery,
  StorageError,
  type StoredRecord,
} from '../types.ts';
import type { Executor, Row } from './executor.ts';
import { ALWAYS_INDEXED_BYTES, PROGRAM_LIMIT_EXCEEDED, tooLongToIndex } from './index-limit.ts';
import { type ColumnKind, type ColumnSpec, EXTRA_COLUMN, type TableSchema } from './schema.ts';
import { listArguments, type RecordStatements, type Statement } from './statements.ts';

// Ids are uuid columns: anything else cannot exist, so it is answered without a query.
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One table's records. Runs statements built once at `open()`; the request path only
 * encodes arguments, runs one statement and maps the rows back.
 */
export class PostgresRecordStore implements RecordStore {
  readonly #db: Executor;
  readonly #statements: RecordStatements;
  readonly #schema: TableSchema;

  constructor(db: Executor, schema: TableSchema, statements: RecordStatements) {
    this.#db = db;
    this.#schema = schema;
    this.#statements = statements;
  }

  get(id: string): StoredRecord | undefined | Promise<StoredRecord | undefined> {
    if (!uuidPattern.test(id)) return undefined;
    return run(this.#db, this.#statements.get, [id]).then((rows) => {
      const row = rows[0];
      return row && this.#decode(row);
    });
  }

  async list(query: ListQuery): Promise<ListPage> {
    const statement = this.#statements.list(query);
    const filters = query.filters.map((f) => this.#encodeFilter(f));
    const after = query.after ? this.#encode(query.sort.field, query.after.value) : null;
    const [rows, counted] = await Promise.all([
      run(this.#db, statement, listArguments(filters, query, after)),
      query.count ? run(this.#db, this.#statements.count(query), filters) : undefined,
    ]);
    const hasMore = rows.length > query.limit;
    const records = (hasMore ? rows.slice(0, query.limit) : rows).map((r) => this.#decode(r));
    return { records, hasMore, ...(counted ? { total: Number(counted[0]?.total ?? 0) } : {}) };
  }

  async search(query: SearchQuery): Promise<ListPage> {
    const statement = this.#statements.search;
    if (!statement) throw new StorageError('rejected', `"${this.#schema.table}" has no searchable fields`);
    const words = searchWords(query.text);
    if (words.length === 0) return { records: [], hasMore: false };
    const rows = await run(this.#db, statement, [words.join(' & '), query.offset, query.limit + 1]);
    const hasMore = rows.length > query.limit;
    return { records: (hasMore ? rows.slice(0, query.limit) : rows).map((r) => this.#decode(r)), hasMore };
  }

  #encodeFilter(filter: ListFilter): unknown {
    if (filter.op === 'exists') return null;
    if (filter.op === 'in') return JSON.stringify(filter.value);
    return this.#encode(filter.field, filter.value);
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    try {
      return this.#decode(single(await run(this.#db, this.#statements.insert, this.#encodeRecord(record))));
    } catch (error) {
      throw this.#refusal(error, record);
    }
  }

  async createMany(records: readonly StoredRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One JSON array as the only parameter: one statement however many records, and JSON
    // values (jsonb columns, `@extra`) nest as they are.
    // A record whose properties all have columns goes as it is (the usual case: no copy).
    const rows = records.map((record) => {
      const extras = this.#extras(record);
      return extras === undefined ? record : { ...record, [EXTRA_COLUMN]: extras };
    });
    try {
      await run(this.#db, this.#statements.insertMany, [JSON.stringify(rows)]);
    } catch (error) {
      throw this.#refusal(error, undefined);
    }
  }

  async setMany(field: string, values: ReadonlyMap<string, unknown>): Promise<void> {
    const rows = [...values].filter(([id]) => uuidPattern.test(id)).map(([id, value]) => ({ id, value: value ?? null }));
    if (rows.length === 0) return;
    await run(this.#db, this.#statements.setMany(field), [JSON.stringify(rows)]);
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    if (!uuidPattern.test(id)) return undefined;
    let written: StoredRecord | undefined;
    return this.#db
      .transaction(async (tx) => {
        const [row] = await run(tx, this.#statements.lock, [id]);
        if (!row) return undefined;
        written = { ...change(this.#decode(row)), id };
        const updated = await run(tx, this.#statements.update, this.#encodeRecord(written));
        return this.#decode(single(updated));
      })
      .catch((error) => {
        throw this.#refusal(error, written);
      });
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    if (!uuidPattern.test(id)) return false;
    if (!check) return (await run(this.#db, this.#statements.delete, [id])).length > 0;
    return this.#db.transaction(async (tx) => {
      const [row] = await run(tx, this.#statements.lock, [id]);
      if (!row) return false;
      check(this.#decode(row));
      return (await run(tx, this.#statements.delete, [id])).length > 0;
    });
  }

  /**
   * A write the table refused because of what was written, as data: a unique violation
   * (SQLSTATE 23505) as a `conflict` naming its field, a value too long to index (54000)
   * as `too-large` naming its field and the limit; anything else unchanged.
   */
  #refusal(error: unknown, record: StoredRecord | undefined): unknown {
    const cause = (error instanceof StorageError ? error.cause : error) as { code?: string; constraint?: string; constraint_name?: string };
    const constraint = cause?.constraint ?? cause?.constraint_name ?? '';
    if (cause?.code === PROGRAM_LIMIT_EXCEEDED) return this.#tooLong(error, constraint, record);
    if (cause?.code !== '23505') return error;
    const field = constraint === `${this.#schema.table}_pkey` ? 'id' : this.#schema.uniqueIndexes.get(constraint);
    return new StorageError('conflict', `another record already has this ${field ?? 'value'}`, {
      cause: error,
      ...(field ? { field } : {}),
    });
  }

  /**
   * The field whose value did not fit its index: the one the index named in the error
   * covers, else (an entry past 8 KB names no index) the longest indexed string over the
   * size that always fits. Without one (a text-search vector too large), the record as a whole.
   */
  #tooLong(error: unknown, constraint: string, record: StoredRecord | undefined): StorageError {
    const bytes = (field: string) => {
      const value = record?.[field];
      return typeof value === 'string' ? Buffer.byteLength(value) : 0;
    };
    const named = this.#schema.indexes.find((i) => i.name === constraint)?.fields.find((f) => f !== 'id');
    const candidates = this.#schema.indexes
      .filter((i) => !i.search)
      .flatMap((i) => i.fields)
      .filter((f) => this.#schema.byName.get(f)?.kind === 'string' && bytes(f) > ALWAYS_INDEXED_BYTES)
      .sort((a, b) => bytes(b) - bytes(a));
    const field = named !== undefined && bytes(named) > 0 ? named : candidates[0];
    if (field === undefined) {
      return new StorageError('too-large', 'the record holds more text than postgres can index in one piece', { cause: error });
    }
    return new StorageError('too-large', tooLongToIndex(field, bytes(field)), { cause: error, field });
  }

  #encode(field: string, value: unknown): unknown {
    return encode(this.#schema.byName.get(field)?.kind ?? 'string', value);
  }

  #encodeRecord(record: StoredRecord): unknown[] {
    return this.#schema.columns.map((c) => encode(c.kind, c.name === EXTRA_COLUMN ? this.#extras(record) : record[c.name]));
  }

  /** Properties without a column of their own, or undefined when there are none. */
  #extras(record: StoredRecord): Record<string, unknown> | undefined {
    let extras: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      if (this.#schema.byName.has(key)) continue;
      // Without a prototype, a `__proto__` key is a property like any other.
      extras ??= Object.create(null) as Record<string, unknown>;
      extras[key] = record[key];
    }
    return extras;
  }

  #decode(row: Row): StoredRecord {
    const record: Record<string, unknown> = {};
    for (const column of this.#schema.columns) {
      const value = row[column.name];
      if (value === null || value === undefined) continue;
      if (column.name === EXTRA_COLUMN) addExtras(record, value as Record<string, unknown>);
      else record[column.name] = decode(column, value);
    }
    return record as StoredRecord;
  }
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

function run(db: Executor, statement: Statement, args: readonly unknown[]): Promise<Row[]> {
  return db.query(
    statement.text,
    statement.slots.map((slot) => args[slot]),
  );
}

function single(rows: Row[]): Row {
  const [row] = rows;
  if (!row) throw new StorageError('failed', 'postgres returned no row for a write that must return one');
  return row;
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
