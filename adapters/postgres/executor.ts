import type postgres from 'postgres';
import { StorageError } from '../types.ts';

export type Row = Record<string, unknown>;

/**
 * The little the adapter needs from a driver. Every rejection is already a
 * {@link StorageError}, except an error thrown by a `transaction` callback, which
 * propagates as the same object after the rollback.
 */
export interface Executor {
  query(text: string, params: readonly unknown[]): Promise<Row[]>;
  /** Runs `fn` in one transaction; inside one, runs `fn` in the current transaction. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
}

/** An executor over a postgres.js pool; statements are prepared once per pooled connection. */
export function postgresJsExecutor(sql: postgres.Sql | postgres.TransactionSql, label: string): Executor {
  const fail = (error: unknown): never => {
    throw storageErrorFrom(error, label);
  };
  const self: Executor = {
    // No async wrapper: this runs for every statement, and each wrapper is a promise more.
    query(text, params) {
      try {
        return sql.unsafe<Row[]>(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }).then(owned, fail);
      } catch (error) {
        return Promise.reject(storageErrorFrom(error, label));
      }
    },
    transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
      if (!('begin' in sql)) return fn(self);
      return guardedTransaction(label, fn, (body) => sql.begin((tx) => body(postgresJsExecutor(tx, label))) as Promise<T>);
    },
  };
  return self;
}

/**
 * The rows, in an array of our own, the driver's emptied. Emptied: postgres.js makes each
 * connection's next result array before the statement it is for is sent, and whatever
 * keeps an old one reachable (through the promise it resolved) kept its rows alive
 * across minor garbage collections. With a joined list on the PostgreSQL server, every
 * collection moved 2 MB of dead rows to the old generation (9% of what was allocated,
 * growing with the young generation); emptied, 16 kB, and the page served 1.8 times
 * faster on one connection. Copied without the holes postgres.js (3.4.9) can leave at
 * the start: after a statement fails having sent rows (a uuid cast on the fifth row,
 * statement_timeout midway), its row counter is not reset, and the next statement on the
 * connection fills its rows from there (porsager/postgres#1181, #1119; fixes open, not
 * released). `count` is right, so the rows are the last `count` entries.
 */
function owned(rows: postgres.RowList<Row[]>): Row[] {
  const holes = rows.count === null ? 0 : rows.length - rows.count;
  const out = rows.slice(Math.max(0, holes));
  rows.length = 0;
  return out;
}

/**
 * Runs `fn` through a driver's transaction, passing the callback's own error on
 * untouched and wrapping whatever the driver throws around it (BEGIN, COMMIT, ROLLBACK).
 */
export async function guardedTransaction<T>(
  label: string,
  fn: (tx: Executor) => Promise<T>,
  begin: (body: (tx: Executor) => Promise<T>) => Promise<T>,
): Promise<T> {
  let own: { error: unknown } | undefined;
  const body = async (tx: Executor) => {
    try {
      return await fn(tx);
    } catch (error) {
      own = { error };
      throw error;
    }
  };
  try {
    return await begin(body);
  } catch (error) {
    if (own && error === own.error) throw error;
    throw storageErrorFrom(error, label);
  }
}

// Codes that mean the server cannot be reached or will not serve us; SQLSTATE classes
// 08 (connection exception) and 28 (authorization) are matched by prefix.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'SASL_SIGNATURE_MISMATCH',
  'AUTH_TYPE_NOT_IMPLEMENTED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database does not exist
]);

/**
 * Wraps a driver error once, keeping it as `cause`. Messages name the connection, never
 * its URL; an unavailable store's own message (which may name the host) is left out.
 */
/** SQLSTATE of a statement cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';

export function storageErrorFrom(error: unknown, label: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = errorCode(error);
  if (isUnavailable(code, error)) {
    return new StorageError('unavailable', `${label} is unavailable${code ? ` (${code})` : ''}`, { cause: error });
  }
  if (code === QUERY_CANCELED)
    return new StorageError('timeout', `${label} cancelled a statement past statement_timeout`, { cause: error });
  // Past the connect stage no message carries the URL: server and serializer text is kept.
  const message = error instanceof Error ? `: ${error.message}` : '';
  const detail = `${message}${code ? ` (${code})` : ''}`;
  return new StorageError('failed', `${label} query failed${detail}`, { cause: error });
}

function isUnavailable(code: string, error: unknown): boolean {
  if (unavailableCodes.has(code) || /^(08|28)/.test(code)) return true;
  // PGlite after close() throws a plain Error.
  return error instanceof Error && /PGlite is clos(ed|ing)/.test(error.message);
}

function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return '';
}
