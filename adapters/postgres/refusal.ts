import { StorageError, type StoredRecord } from '../types.ts';
import { ALWAYS_INDEXED_BYTES, PROGRAM_LIMIT_EXCEEDED, tooLongToIndex } from './index-limit.ts';
import type { TableSchema } from './schema.ts';

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';
/** SQLSTATE deadlock_detected: the server aborted one of two transactions waiting on each other. */
const DEADLOCK_DETECTED = '40P01';

/** SQLSTATE invalid_text_representation: text cast to a type it is not (a uuid, say). */
const INVALID_TEXT_REPRESENTATION = '22P02';

/** The SQLSTATE of a driver error, wrapped in a StorageError or not. */
function sqlState(error: unknown): string | undefined {
  return ((error instanceof StorageError ? error.cause : error) as { code?: string } | undefined)?.code;
}

export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === UNIQUE_VIOLATION;
}

export function isDeadlock(error: unknown): boolean {
  return sqlState(error) === DEADLOCK_DETECTED;
}

export function isInvalidText(error: unknown): boolean {
  return sqlState(error) === INVALID_TEXT_REPRESENTATION;
}

/**
 * A write the table refused because of what was written, as data: a unique violation
 * (SQLSTATE 23505) as a `conflict` naming its field, a value too long to index (54000)
 * as `too-large` naming its field and the limit; anything else unchanged.
 */
export function refusal(schema: TableSchema, error: unknown, record: StoredRecord | undefined): unknown {
  const code = sqlState(error);
  if (code === PROGRAM_LIMIT_EXCEEDED) return tooLong(schema, error, constraintOf(error), record);
  if (code !== UNIQUE_VIOLATION) return error;
  const field = violatedField(schema, error);
  return new StorageError('conflict', `another record already has this ${field ?? 'value'}`, {
    cause: error,
    ...(field ? { field } : {}),
  });
}

/** The field of the unique index (or primary key: `id`) a unique violation names. */
export function violatedField(schema: TableSchema, error: unknown): string | undefined {
  const constraint = constraintOf(error);
  return constraint === `${schema.table}_pkey` ? 'id' : schema.uniqueIndexes.get(constraint);
}

function constraintOf(error: unknown): string {
  const cause = (error instanceof StorageError ? error.cause : error) as { constraint?: string; constraint_name?: string };
  return cause?.constraint ?? cause?.constraint_name ?? '';
}

/**
 * The field whose value did not fit its index: the one the index named in the error
 * covers, else (an entry past 8 KB names no index) the longest indexed string over the
 * size that always fits. Without one (a text-search vector too large), the record as a whole.
 */
function tooLong(schema: TableSchema, error: unknown, constraint: string, record: StoredRecord | undefined): StorageError {
  const bytes = (field: string) => {
    const value = record?.[field];
    return typeof value === 'string' ? Buffer.byteLength(value) : 0;
  };
  const named = schema.indexes.find((i) => i.name === constraint)?.fields.find((f) => f !== 'id');
  const candidates = schema.indexes
    .filter((i) => !i.search)
    .flatMap((i) => i.fields)
    .filter((f) => schema.byName.get(f)?.kind === 'string' && bytes(f) > ALWAYS_INDEXED_BYTES)
    .sort((a, b) => bytes(b) - bytes(a));
  const field = named !== undefined && bytes(named) > 0 ? named : candidates[0];
  if (field === undefined) {
    return new StorageError('too-large', 'the record holds more text than postgres can index in one piece', { cause: error });
  }
  return new StorageError('too-large', tooLongToIndex(field, bytes(field)), { cause: error, field });
}
