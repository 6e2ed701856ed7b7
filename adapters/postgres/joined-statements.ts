import { type SQL, sql } from 'drizzle-orm';
import { type ListQuery, StorageError } from '../types.ts';
import type { TableSchema } from './schema.ts';
import { buildStatement, columnList, columnOf, columnsMark, listOrder, listShape, listStatement, type Statement } from './statements.ts';

/** A table a joined list reads beside the page: `field`, a string column of the listed table, holds its ids. */
export interface JoinedTable {
  readonly field: string;
  readonly schema: TableSchema;
}

/** A list statement with joined tables; it takes the list's own arguments (see listArguments). */
export interface JoinedStatement extends Statement {
  /** Per joined table, in order, the name of each of its columns in the rows (in `schema.columns` order). */
  readonly aliases: readonly (readonly string[])[];
}

/**
 * The list statements of one table with others joined, built on first use per shape and
 * kept; `guarded`: the statement that checks each field holds an id before casting it.
 */
export type JoinedLists = (query: ListQuery, joins: readonly JoinedTable[], guarded: boolean) => JoinedStatement;

/**
 * Builds `schema`'s joined list statements (see {@link joinedListStatement}), each once:
 * by the list's shape and, per join, the field, the table and its column types.
 */
export function joinedLists(schema: TableSchema): JoinedLists {
  const built = new Map<string, JoinedStatement>();
  return (query, joins, guarded) => {
    const key = [listShape(query), guarded, ...joins.map((j) => `${j.field}\0${j.schema.table}\0${markOf(j.schema)}`)].join('\0\0');
    let statement = built.get(key);
    if (!statement) {
      statement = joinedListStatement(schema, query, joins, guarded);
      built.set(key, statement);
    }
    return statement;
  };
}

const marks = new WeakMap<TableSchema, string>();

function markOf(schema: TableSchema): string {
  let mark = marks.get(schema);
  if (mark === undefined) {
    mark = columnsMark([schema]);
    marks.set(schema, mark);
  }
  return mark;
}

// What the engine and PostgreSQL both take for an id; anything else in the field joins no record.
const UUID_TEXT = sql.raw(`'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`);

/**
 * The list statement of `query` over `schema`'s table, unchanged (filters, keyset, order,
 * limit), as a subquery, with each joined table's row beside every row of the page: a
 * `left join` on its primary key, so a row whose field is unset or the id of no record
 * has nulls there. Unguarded, the field is cast to uuid as it is, and a field holding
 * text that is no uuid fails the statement (SQLSTATE 22P02); `guarded`, such a row joins
 * nothing, at the price of a regular expression per row, which cost PostgreSQL more than
 * the rest of the join (pgbench, page of 20: 57 µs plain, 184 µs guarded, 122 µs cast).
 * A field in another spelling PostgreSQL takes for a uuid (upper case, no hyphens) joins
 * the record it names, which no one looks up under that spelling. The page's columns
 * keep their names; joined table `j`'s column `c` comes back as `"j.c"` (its index in `schema.columns`), which no property
 * name can be (they hold no dot), whatever the length of the column's own name.
 *
 * @example
 * // select "page".*, "j0"."id" as "0.0", ... from (select … from "tickets" … limit $3) as "page"
 * //   left join "accounts" as "j0" on "j0"."id" = "page"."accountId"::uuid
 * //   (guarded: … = case when "page"."accountId" ~ '^…$' then "page"."accountId"::uuid end)
 * //   order by "title" asc nulls last, "id" asc
 */
export function joinedListStatement(
  schema: TableSchema,
  query: ListQuery,
  joins: readonly JoinedTable[],
  guarded: boolean,
): JoinedStatement {
  const page = sql.identifier('page');
  const aliases = joins.map((join, j) => join.schema.columns.map((_, c) => `${j}.${c}`));
  const selected: SQL[] = [sql`${page}.*`];
  const joined: SQL[] = [];
  for (const [j, join] of joins.entries()) {
    const column = columnOf(schema, join.field);
    if (column.kind !== 'string') {
      throw new StorageError('rejected', `"${schema.table}"."${join.field}" is not a string column, so it holds no ids to join on`);
    }
    const as = sql.identifier(`j${j}`);
    const names = aliases[j] as readonly string[];
    for (const [c, col] of join.schema.columns.entries())
      selected.push(sql`${as}.${sql.identifier(col.name)} as ${sql.identifier(names[c] as string)}`);
    const field = sql`${page}.${sql.identifier(column.name)}`;
    const id = guarded ? sql`case when ${field} ~ ${UUID_TEXT} then ${field}::uuid end` : sql`${field}::uuid`;
    joined.push(sql` left join ${sql.identifier(join.schema.table)} as ${as} on ${as}.${sql.identifier('id')} = ${id}`);
  }
  // Order again: a join keeps the page's rows (one each, by primary key) but not their order.
  // In `order by`, the page's column names are the output's (the joined ones are renamed).
  const text = sql`select ${sql.join(selected, sql`, `)} from (${listStatement(schema, columnList(schema), query)}) as ${page}${sql.join(joined, sql``)} order by ${listOrder(query)}`;
  return { ...buildStatement(columnsMark([schema, ...joins.map((j) => j.schema)]), text), aliases };
}
