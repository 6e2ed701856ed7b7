import { StorageError, type StoredRecord } from '../types.ts';
import type { Executor, Row } from './executor.ts';
import { decodeRow, encodeRecord } from './record-codec.ts';
import type { TableSchema } from './schema.ts';
import type { RecordStatements, Statement } from './statements.ts';

/** One automation's table as opened: its schema and the statements built for it. */
export interface Table {
  readonly schema: TableSchema;
  readonly statements: RecordStatements;
}

// Ids are uuid columns: anything else cannot exist, so it is answered without a query.
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs `statement` with its slots filled from `args`. */
export function run(db: Executor, statement: Statement, args: readonly unknown[]): Promise<Row[]> {
  return db.query(
    statement.text,
    statement.slots.map((slot) => args[slot]),
  );
}

/** The one row a write returns. */
export function single(rows: Row[]): Row {
  const [row] = rows;
  if (!row) throw new StorageError('failed', 'postgres returned no row for a write that must return one');
  return row;
}

/** Inserts or updates (by id) one record, and reads it back as stored. */
export async function writeRow(db: Executor, table: Table, statement: 'insert' | 'update', record: StoredRecord): Promise<StoredRecord> {
  return decodeRow(table.schema, single(await run(db, table.statements[statement], encodeRecord(table.schema, record))));
}
