import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { type FieldKind, StorageError, type StorageSpec } from '../types.ts';

/** How a value is kept: a record property's kind, or one of the built-in columns. */
export type ColumnKind = FieldKind | 'uuid' | 'timestamp';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  /** The type as `format_type()` prints it, so it compares with the catalog. */
  readonly type: string;
  /** Collation name, or '' for types that have none. */
  readonly collation: string;
  /** A {@link FieldSpec.bulk} field's column: `STORAGE EXTERNAL` (out of line, never compressed). */
  readonly bulk?: boolean;
}

/**
 * Holds the properties a record has beyond the declared fields (schemas without
 * `additionalProperties: false` accept them), so nothing a client sent is lost. No
 * property can be named like it: property names are letters, digits and underscores.
 */
export const EXTRA_COLUMN = '@extra';

/** One automation's table, with the DDL that creates it. Pure data, built without I/O. */
export interface TableSchema {
  readonly table: string;
  /** `id`, `createdAt`, `updatedAt`, one column per property, then {@link EXTRA_COLUMN}. */
  readonly columns: readonly ColumnSpec[];
  readonly byName: ReadonlyMap<string, ColumnSpec>;
  readonly createTable: string;
  /** Every index the spec wants, by name (the name is what the catalog lists), with the columns it covers. */
  readonly indexes: readonly TableIndex[];
  /** Unique index name -> its field, to name the field a unique violation is about. */
  readonly uniqueIndexes: ReadonlyMap<string, string>;
  /**
   * The text-search vector of a record over the searchable fields (SQL), which the
   * full-text index is built on and search queries repeat, so the index serves them.
   */
  readonly searchVector: SQL | undefined;
}

/** One index of a table: its name, what creates it, and the columns it covers. */
export interface TableIndex {
  readonly name: string;
  readonly statement: string;
  readonly fields: readonly string[];
  /** The full-text (GIN) index, whose entries are words, not whole values. */
  readonly search?: boolean;
}

/** A column as the catalog describes it (see {@link existingColumnsQuery}). */
export interface ExistingColumn {
  readonly name: string;
  readonly type: string;
  readonly collation: string;
  /** `pg_attribute.attstorage`: `e` for external, `x` for text's default (extended: compressed). */
  readonly storage: string;
}

const dialect = new PgDialect();
const maxIdentifierBytes = 63;

const types: Record<ColumnKind, { type: string; collation: string }> = {
  uuid: { type: 'uuid', collation: '' },
  timestamp: { type: 'timestamp with time zone', collation: '' },
  // Byte order, so ORDER BY matches JavaScript's `<` (exactly, below U+D800).
  string: { type: 'text', collation: 'C' },
  integer: { type: 'bigint', collation: '' },
  number: { type: 'double precision', collation: '' },
  boolean: { type: 'boolean', collation: '' },
  json: { type: 'jsonb', collation: '' },
};

const builtIns: readonly ColumnSpec[] = [column('id', 'uuid'), column('createdAt', 'timestamp'), column('updatedAt', 'timestamp')];

/** Reads a table's live columns; `$1` is the table name. Empty if there is no table. */
export const existingColumnsQuery = `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
  coalesce(c.collname, '') as collation, a.attstorage::text as storage
from pg_attribute a left join pg_collation c on c.oid = a.attcollation
where a.attrelid = to_regclass(quote_ident($1::text)) and a.attnum > 0 and not a.attisdropped`;

/**
 * The table a spec needs. Rejects names Postgres would silently truncate and
 * properties that collide with the built-in columns.
 */
export function tableSchema(spec: StorageSpec): TableSchema {
  const table = spec.collection;
  checkIdentifier(table, `collection "${table}"`);
  const columns = [...builtIns];
  for (const field of spec.fields) {
    if (columns.some((c) => c.name === field.name)) {
      throw new StorageError('rejected', `property "${field.name}" of "${table}" repeats a column (id, createdAt, updatedAt are built in)`);
    }
    checkIdentifier(field.name, `property "${field.name}" of "${table}"`);
    columns.push({ ...column(field.name, field.kind), ...(field.bulk ? { bulk: true } : {}) });
  }
  columns.push(column(EXTRA_COLUMN, 'json'));
  const byName = new Map(columns.map((c) => [c.name, c]));
  const definitions = columns.map((c) =>
    c.name === 'id'
      ? sql`${columnDefinition(c)} primary key`
      : builtIns.includes(c)
        ? sql`${columnDefinition(c)} not null`
        : columnDefinition(c),
  );
  const createTable = render(sql`create table if not exists ${sql.identifier(table)} (${sql.join(definitions, sql`, `)})`);
  const indexed = (fields: readonly string[]) => {
    const unknown = fields.find((f) => !byName.has(f));
    if (unknown !== undefined) throw new StorageError('rejected', `"${table}" indexes unknown field "${unknown}"`);
    // The primary key already orders and finds by id.
    return [...new Set(fields)].filter((f) => f !== 'id');
  };
  const unique = indexed(spec.unique ?? []).map((f) => ({ field: f, ...createIndex(table, [f], `${table}_${f}_key`, true) }));
  const indexes = [
    ...unique,
    ...indexed(spec.filterable).map((f) => createIndex(table, [f], `${table}_${f}_idx`)),
    ...indexed(spec.sortable).map((f) => createIndex(table, [f, 'id'], `${table}_${f}_id_idx`)),
  ];
  const uniqueIndexes = new Map(unique.map((u) => [u.name, u.field]));
  const searchVector = textVector(indexed(spec.searchable ?? []));
  if (searchVector) indexes.push(searchIndex(table, spec.searchable ?? [], searchVector));
  return { table, columns, byName, createTable, indexes, uniqueIndexes, searchVector };
}

/**
 * Words of the fields for full-text search: the `simple` configuration lowercases and
 * neither stems nor drops stop words, as every backend's search does (adapters/text-match.ts).
 */
function textVector(fields: readonly string[]): SQL | undefined {
  if (fields.length === 0) return undefined;
  const text = sql.join(
    fields.map((f) => sql`coalesce(${sql.identifier(f)}, '')`),
    sql` || ' ' || `,
  );
  return sql`to_tsvector('simple'::regconfig, ${text})`;
}

/** A GIN index on the vector, named after its fields so a change of fields builds a new one. */
function searchIndex(table: string, fields: readonly string[], vector: SQL): TableIndex {
  const hash = createHash('sha256').update(fields.join('\0')).digest('hex').slice(0, 8);
  const name = indexName(`${table}_search_${hash}`);
  return {
    name,
    fields,
    search: true,
    statement: render(sql`create index if not exists ${sql.identifier(name)} on ${sql.identifier(table)} using gin (${vector})`),
  };
}

/** Whether an index definition (`pg_indexes.indexdef`) is a full-text index theCouncil made. */
export function isSearchIndex(definition: string): boolean {
  return definition.includes('USING gin (to_tsvector(');
}

export function dropIndex(name: string): string {
  return render(sql`drop index if exists ${sql.identifier(name)}`);
}

/** `ALTER TABLE ... ADD COLUMN` for a property column the table lacks. */
export function addColumn(table: string, column: ColumnSpec): string {
  return render(sql`alter table ${sql.identifier(table)} add column if not exists ${columnDefinition(column)}`);
}

/** Keeps a bulk column's new values uncompressed (`STORAGE EXTERNAL`; values already stored stay as they are). */
export function storeExternal(table: string, name: string): string {
  return render(sql`alter table ${sql.identifier(table)} alter column ${sql.identifier(name)} set storage external`);
}

export function dropColumn(table: string, name: string): string {
  return render(sql`alter table ${sql.identifier(table)} drop column if exists ${sql.identifier(name)}`);
}

/**
 * `ALTER COLUMN ... TYPE` converting each value: JSON to and from scalars goes through
 * its text form; scalars cast (a value that cannot convert fails the whole statement).
 * `empty`: the column holds no value, so nothing is converted.
 */
export function retypeColumn(table: string, from: ExistingColumn, to: ColumnSpec, empty: boolean): string {
  const name = sql.identifier(to.name);
  const using = empty
    ? sql`null`
    : to.type === 'jsonb'
      ? sql`to_jsonb(${name})`
      : from.type === 'jsonb'
        ? sql`(${name} #>> '{}')::${sql.raw(to.type)}`
        : sql`${name}::${sql.raw(to.type)}`;
  const collate = to.collation ? sql` collate ${sql.identifier(to.collation)}` : sql``;
  return render(sql`alter table ${sql.identifier(table)} alter column ${name} type ${sql.raw(to.type)}${collate} using ${using}`);
}

/** Does the column hold any value? `$1`-free: names are identifiers. */
export function holdsValuesQuery(table: string, column: string): string {
  return render(sql`select exists (select 1 from ${sql.identifier(table)} where ${sql.identifier(column)} is not null) as "holds"`);
}

/** Index names of a table; `$1` is the table name. */
export const existingIndexesQuery = `select indexname as name, indexdef as definition from pg_indexes where schemaname = current_schema() and tablename = $1`;

/** Built-in columns are never changed; their absence or another type is a conflict nobody can allow. */
export function isBuiltIn(name: string): boolean {
  return builtIns.some((c) => c.name === name);
}

/** Type and collation as `format_type` and the catalog print them, for messages and comparisons. */
export function typeText(type: string, collation: string): string {
  return collation && collation !== 'default' ? `${type} COLLATE "${collation}"` : type;
}

function column(name: string, kind: ColumnKind): ColumnSpec {
  return { name, kind, ...types[kind] };
}

function columnDefinition(c: ColumnSpec): SQL {
  const collate = c.collation ? sql` collate ${sql.identifier(c.collation)}` : sql``;
  return sql`${sql.identifier(c.name)} ${sql.raw(c.type)}${collate}`;
}

function createIndex(table: string, fields: readonly string[], name: string, unique = false): TableIndex {
  const columns = sql.join(
    fields.map((f) => sql.identifier(f)),
    sql`, `,
  );
  const short = indexName(name);
  const create = unique ? sql`create unique index` : sql`create index`;
  return {
    name: short,
    fields,
    statement: render(sql`${create} if not exists ${sql.identifier(short)} on ${sql.identifier(table)} (${columns})`),
  };
}

/** Postgres truncates names past 63 bytes; keep them unique with a hash of the full name. */
export function indexName(name: string): string {
  if (Buffer.byteLength(name) <= maxIdentifierBytes) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  let prefix = name;
  while (Buffer.byteLength(prefix) > maxIdentifierBytes - hash.length - 1) prefix = prefix.slice(0, -1);
  return `${prefix}_${hash}`;
}

function checkIdentifier(name: string, what: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > maxIdentifierBytes || name.includes('\0')) {
    throw new StorageError('rejected', `${what} cannot be a Postgres identifier (1 to 63 bytes, no NUL)`);
  }
}

function render(query: SQL): string {
  return dialect.sqlToQuery(query).sql;
}
