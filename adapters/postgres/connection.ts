import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type ConnectContext,
  type ConnectionSettings,
  type RecordStore,
  type StorageConnection,
  StorageError,
  type StorageSpec,
} from '../types.ts';
import { PostgresRecordStore } from './adapter.ts';
import { type Executor, pgliteExecutor, postgresJsExecutor } from './executor.ts';
import { addColumn, diffColumns, type ExistingColumn, existingColumnsQuery, type TableSchema, tableSchema } from './schema.ts';
import { recordStatements } from './statements.ts';

/**
 * Opens a connection: a postgres.js pool when `settings.url` is set, otherwise an
 * embedded PGlite database under `<dataDir>/postgres/<name>`. Each driver is
 * imported only when a connection uses it.
 */
export async function connectPostgres(settings: ConnectionSettings, context: ConnectContext): Promise<StorageConnection> {
  const label = `postgres connection "${settings.name}"`;
  return settings.url ? connectServer(settings.url, settings, label) : connectEmbedded(settings, context, label);
}

async function connectEmbedded(settings: ConnectionSettings, context: ConnectContext, label: string) {
  const dir = path.join(context.dataDir, 'postgres', settings.name);
  try {
    await mkdir(dir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create(dir);
    return new PostgresConnection(pgliteExecutor(pg, label), () => pg.close());
  } catch (error) {
    throw new StorageError('unavailable', `${label} could not start embedded Postgres in ${dir}`, { cause: error });
  }
}

async function connectServer(url: string, settings: ConnectionSettings, label: string) {
  const { default: postgres } = await import('postgres');
  let sql: ReturnType<typeof postgres>;
  try {
    sql = postgres(url, {
      max: settings.pool?.max ?? 10,
      idle_timeout: settings.pool?.idleTimeoutSeconds,
      connect_timeout: 5,
      onnotice: () => {},
    });
  } catch {
    // No cause: a URL parse error carries the URL itself.
    throw new StorageError('unavailable', `${label} has a url postgres.js cannot parse`);
  }
  const db = postgresJsExecutor(sql, label);
  try {
    await db.query('select 1', []);
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    if (error instanceof StorageError && error.kind === 'unavailable') throw error;
    throw new StorageError('unavailable', `${label} did not answer "select 1"`, { cause: error });
  }
  return new PostgresConnection(db, () => sql.end({ timeout: 5 }));
}

class PostgresConnection implements StorageConnection {
  readonly backend = 'postgres';
  readonly #db: Executor;
  readonly #end: () => Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(db: Executor, end: () => Promise<void>) {
    this.#db = db;
    this.#end = end;
  }

  async open(spec: StorageSpec): Promise<RecordStore> {
    const schema = tableSchema(spec);
    await this.#db.transaction((tx) => prepareTable(tx, schema));
    return new PostgresRecordStore(this.#db, schema, recordStatements(schema));
  }

  async ping(): Promise<void> {
    await this.#db.query('select 1', []);
  }

  close(): Promise<void> {
    this.#closing ??= this.#end();
    return this.#closing;
  }
}

/** Creates the table or adds its missing columns, then its indexes. Never drops or alters. */
async function prepareTable(db: Executor, schema: TableSchema): Promise<void> {
  // Serializes concurrent opens of one table, from other processes too, so IF NOT EXISTS cannot race.
  await db.query('select pg_advisory_xact_lock(hashtext($1::text))', [schema.table]);
  const existing = (await db.query(existingColumnsQuery, [schema.table])) as unknown as ExistingColumn[];
  if (existing.length === 0) {
    await db.query(schema.createTable, []);
  } else {
    const { missing, conflicts } = diffColumns(schema, existing);
    if (conflicts.length > 0) {
      throw new StorageError(
        'rejected',
        `${conflicts.join('; ')}; theCouncil never alters or drops columns: migrate the table or rename the property`,
      );
    }
    for (const column of missing) await db.query(addColumn(schema.table, column), []);
  }
  for (const statement of schema.createIndexes) await db.query(statement, []);
}
