import { createHash } from 'node:crypto';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { type ListFilter, type ListQuery, StorageError } from '../types.ts';
import type { ColumnKind, ColumnSpec, TableSchema } from './schema.ts';

/**
 * SQL text with numbered placeholders. `slots[n]` is the index, in the argument
 * list the caller builds, of the value bound to `$n+1` (one value may fill several).
 */
export interface Statement {
  readonly text: string;
  readonly slots: readonly number[];
}

/**
 * Every statement one record store runs, built once when the automation is opened.
 * Arguments: `get`, `lock`, `delete` take `[id]`; `insert` and `update` take one
 * encoded value per column in `schema.columns` order; a list statement takes
 * `[...filterValues, afterValue, afterId, limit]` (see {@link listArguments}).
 */
export interface RecordStatements {
  readonly get: Statement;
  /** The records of the ids in one JSON array (`[jsonText]`), in one statement. */
  readonly getMany: Statement;
  /** `get` with `FOR UPDATE`, for read-modify-write inside a transaction. */
  readonly lock: Statement;
  /** The record holding one value (`[value]`) of a unique field, `FOR UPDATE`: an upsert's read. */
  lockBy(field: string): Statement;
  readonly insert: Statement;
  /** Inserts the records of one JSON array (`[jsonText]`), each an object keyed by column name; returns nothing. */
  readonly insertMany: Statement;
  /** {@link insertMany}, returning the rows inserted. */
  readonly insertManyReturning: Statement;
  /** Sets one column of the records a JSON array of `{ id, value }` names (`[jsonText]`). */
  setMany(field: string): Statement;
  readonly update: Statement;
  readonly delete: Statement;
  /** The statement for this query's shape: filtered fields, sort, and cursor (none, null or value). */
  list(query: ListQuery): Statement;
  /** How many records the query's filters match; takes the list's filter values. */
  count(query: ListQuery): Statement;
  /**
   * Records matching every word, most relevant first; takes `[words, offset, limit]`
   * with the words joined by ` & ` (letters and digits only, see searchWords).
   */
  readonly search: Statement | undefined;
}

const dialect = new PgDialect();

/**
 * Builds the statements of one table; list statements are built on first use per shape and kept.
 *
 * Each text starts with a comment naming the table's column types (a hash), so versions of
 * an automation whose columns differ in type never share a text: a server connection
 * prepares each text once, and a prepared statement whose result columns changed type
 * fails ("cached plan must not change result type"), which after a reload that retypes a
 * column would fail requests until every pooled connection had met it once.
 */
export function recordStatements(schema: TableSchema): RecordStatements {
  const build = builder(schema);
  const table = sql.identifier(schema.table);
  const columns = columnList(schema);
  const byId = sql`${sql.identifier('id')} = ${param(0, 'uuid')}`;
  const values = schema.columns.map((c, i) => param(i, c.kind));
  const assignments = schema.columns.map((c, i) => sql`${sql.identifier(c.name)} = ${param(i, c.kind)}`).slice(1);
  // json, not jsonb: parsed once into the rows, never kept as a jsonb value itself.
  const insertMany = sql`insert into ${table} (${columns}) select ${columns} from json_to_recordset(${sql.placeholder('0')}::text::json) as x(${sql.join(
    schema.columns.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.type)}`),
    sql`, `,
  )})`;
  const lists = new Map<string, Statement>();
  const memo = (key: string, make: () => SQL) => {
    let statement = lists.get(key);
    if (!statement) {
      statement = build(make());
      lists.set(key, statement);
    }
    return statement;
  };
  return {
    get: build(sql`select ${columns} from ${table} where ${byId}`),
    // The ids travel as one JSON array, as an `in` filter's values do.
    getMany: build(
      sql`select ${columns} from ${table} where ${sql.identifier('id')} = any(array(select jsonb_array_elements_text(${param(0, 'json')}))::uuid[])`,
    ),
    lock: build(sql`select ${columns} from ${table} where ${byId} for update`),
    lockBy: (field) =>
      memo(`lock\0${field}`, () => {
        const column = columnOf(schema, field);
        return sql`select ${columns} from ${table} where ${sql.identifier(column.name)} = ${param(0, column.kind)} for update`;
      }),
    insert: build(sql`insert into ${table} (${columns}) values (${sql.join(values, sql`, `)}) returning ${columns}`),
    insertMany: build(insertMany),
    insertManyReturning: build(sql`${insertMany} returning ${columns}`),
    setMany: (field) =>
      memo(`set\0${field}`, () => {
        const column = schema.byName.get(field);
        if (!column) throw new StorageError('rejected', `"${schema.table}" has no column "${field}"`);
        const f = sql.identifier(field);
        return sql`update ${table} set ${f} = x.${sql.identifier('value')} from jsonb_to_recordset(${param(0, 'json')}) as x(${sql.identifier('id')} uuid, ${sql.identifier('value')} ${sql.raw(column.type)}) where ${table}.${sql.identifier('id')} = x.${sql.identifier('id')}`;
      }),
    update: build(sql`update ${table} set ${sql.join(assignments, sql`, `)} where ${byId} returning ${columns}`),
    delete: build(sql`delete from ${table} where ${byId} returning ${sql.identifier('id')}`),
    list: (query) => memo(`list\0${listShape(query)}`, () => listStatement(schema, columns, query)),
    count: (query) =>
      memo(`count\0${filterShape(query.filters)}`, () => {
        const where = whereOf(filterConditions(schema, query.filters));
        return sql`select count(*)::int as "total" from ${table}${where}`;
      }),
    search: schema.searchVector && build(searchStatement(schema.searchVector, table, columns)),
  };
}

function searchStatement(vector: SQL, table: SQL.Aliased | ReturnType<typeof sql.identifier>, columns: SQL): SQL {
  const query = sql`to_tsquery('simple'::regconfig, ${param(0, 'string')})`;
  const rank = sql`ts_rank(${vector}, ${query})`;
  const id = sql.identifier('id');
  return sql`select ${columns} from ${table} where ${vector} @@ ${query} order by ${rank} desc, ${id} asc offset ${param(1, 'integer')} limit ${param(2, 'integer')}`;
}

/** The argument list a list statement expects; values must already be encoded. */
export function listArguments(filterValues: readonly unknown[], query: ListQuery, afterValue: unknown): unknown[] {
  return [...filterValues, afterValue, query.after?.id ?? null, query.limit + 1];
}

/** The SQL of a list of `query`'s shape, selecting `columns` (see {@link columnList}); takes {@link listArguments}. */
export function listStatement(schema: TableSchema, columns: SQL, query: ListQuery): SQL {
  const filters = query.filters.length;
  const { field, direction } = query.sort;
  const sortColumn = columnOf(schema, field);
  const conditions = filterConditions(schema, query.filters);
  if (query.after) conditions.push(keyset(sortColumn, direction, query.after.value === null, filters));
  const where = whereOf(conditions);
  return sql`select ${columns} from ${sql.identifier(schema.table)}${where} order by ${listOrder(query)} limit ${param(filters + 2, 'integer')}`;
}

/** A list's `order by`: `(field, id)`, missing values last ascending and first descending. */
export function listOrder(query: ListQuery): SQL {
  const { field, direction } = query.sort;
  const f = sql.identifier(field);
  const id = sql.identifier('id');
  if (field === 'id') return sql`${id} ${sql.raw(direction)}`;
  return direction === 'asc' ? sql`${f} asc nulls last, ${id} asc` : sql`${f} desc nulls first, ${id} desc`;
}

/**
 * "Strictly after the cursor" in `(field, id)` order, with missing values after present
 * ones ascending and before them descending (see adapters/keyset.ts).
 */
function keyset(column: ColumnSpec, direction: 'asc' | 'desc', afterNull: boolean, first: number): SQL {
  const f = sql.identifier(column.name);
  const id = sql.identifier('id');
  const value = param(first, column.kind);
  const afterId = param(first + 1, 'uuid');
  if (column.name === 'id') return direction === 'asc' ? sql`${id} > ${afterId}` : sql`${id} < ${afterId}`;
  if (direction === 'asc') {
    return afterNull ? sql`(${f} is null and ${id} > ${afterId})` : sql`((${f}, ${id}) > (${value}, ${afterId}) or ${f} is null)`;
  }
  return afterNull ? sql`((${f} is null and ${id} < ${afterId}) or ${f} is not null)` : sql`(${f}, ${id}) < (${value}, ${afterId})`;
}

// `ne` keeps records without the field: a missing value is "not equal" too.
const COMPARISONS = { eq: '=', ne: 'is distinct from', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** One condition per filter; filter `i` takes argument slot `i` (`exists` ignores it). See adapters/filter-match.ts. */
function filterConditions(schema: TableSchema, filters: readonly ListFilter[]): SQL[] {
  return filters.map((filter, i) => {
    const column = columnOf(schema, filter.field);
    const f = sql.identifier(column.name);
    if (filter.op === 'exists') return filter.value ? sql`${f} is not null` : sql`${f} is null`;
    if (filter.op === 'contains') return sql`strpos(${f}, ${param(i, column.kind)}) > 0`;
    if (filter.op === 'in') {
      // The values travel as one JSON array, which both drivers bind the same way.
      return sql`${f} = any(array(select jsonb_array_elements_text(${param(i, 'json')}))::${sql.raw(casts[column.kind])}[])`;
    }
    return sql`${f} ${sql.raw(COMPARISONS[filter.op])} ${param(i, column.kind)}`;
  });
}

function whereOf(conditions: readonly SQL[]): SQL {
  return conditions.length ? sql` where ${sql.join([...conditions], sql` and `)}` : sql``;
}

/** What tells list statements apart: two queries of one shape run one statement with other arguments. */
export function listShape(query: ListQuery): string {
  const cursor = query.after ? (query.after.value === null ? 'null' : 'value') : 'none';
  return [query.sort.field, query.sort.direction, cursor, filterShape(query.filters)].join('\0');
}

// NUL cannot occur in a Postgres identifier, so the key is unambiguous.
function filterShape(filters: readonly ListFilter[]): string {
  return filters.map((f) => `${f.field}\0${f.op}${f.op === 'exists' ? f.value : ''}`).join('\0');
}

export function columnOf(schema: TableSchema, field: string): ColumnSpec {
  const column = schema.byName.get(field);
  if (!column) throw new StorageError('rejected', `"${schema.table}" has no field "${field}"`);
  return column;
}

// Explicit casts make both drivers bind the same types; JSON travels as text on both.
const casts: Record<ColumnKind, string> = {
  uuid: 'uuid',
  timestamp: 'timestamptz',
  string: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  json: 'text::jsonb',
};

function param(slot: number, kind: ColumnKind): SQL {
  return sql`${sql.placeholder(String(slot))}::${sql.raw(casts[kind])}`;
}

/** Every column of the table, by name, in `schema.columns` order. */
export function columnList(schema: TableSchema): SQL {
  return sql.join(
    schema.columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
}

/**
 * The comment a statement over these tables starts with: a hash of their column types,
 * so a statement text changes whenever one of them does (see recordStatements).
 */
export function columnsMark(schemas: readonly TableSchema[]): string {
  const columns = schemas.map((schema) => schema.columns.map((c) => `${c.name} ${c.type} ${c.collation}`).join('\0')).join('\0\0');
  return `/* columns ${createHash('sha256').update(columns).digest('hex').slice(0, 12)} */ `;
}

/** The statement of `query`, its text starting with `mark`. */
export function buildStatement(mark: string, query: SQL): Statement {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return { text: mark + text, slots: params.map((p) => Number((p as Placeholder).name)) };
}

function builder(schema: TableSchema): (query: SQL) => Statement {
  const mark = columnsMark([schema]);
  return (query) => buildStatement(mark, query);
}
