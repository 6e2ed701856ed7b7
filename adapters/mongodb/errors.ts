import {
  type Document,
  MongoClientClosedError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { StorageError } from '../types.ts';

// Server codes meaning the server cannot serve us now: host unreachable or not found,
// authentication failed, network timeout, shutting down, no primary (replica sets).
const UNAVAILABLE_CODES = new Set([6, 7, 18, 89, 91, 133, 189, 9001, 10058, 10107, 11600, 11602, 13435, 13436]);

/**
 * Wraps a driver error once, keeping it as `cause`. Messages name the connection, never
 * its URL: an unreachable server is reported by the error's name or code only.
 */
export function storageErrorFrom(error: unknown, label: string): StorageError {
  if (error instanceof StorageError) return error;
  if (isUnavailable(error)) return new StorageError('unavailable', `${label} is unavailable (${codeOf(error)})`, { cause: error });
  if (error instanceof MongoServerError && error.code === 11000) {
    const field = duplicateField(error);
    if (field === 'id') return new StorageError('failed', `${label}: a record with this id already exists`, { cause: error });
    return new StorageError('conflict', `another record already has this ${field ?? 'value'}`, {
      cause: error,
      ...(field ? { field } : {}),
    });
  }
  if (error instanceof MongoServerError && error.code === 121) {
    return new StorageError('rejected', `${label}: the record does not match the collection's validator`, { cause: error });
  }
  const message = error instanceof Error ? `: ${error.message}` : '';
  return new StorageError('failed', `${label} failed${message}`, { cause: error });
}

function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoClientClosedError
  )
    return true;
  return error instanceof MongoServerError && UNAVAILABLE_CODES.has(Number(error.code));
}

/**
 * The field a duplicate key error (E11000) is about: the unique index's key pattern
 * (`keyPattern`, servers 4.2+), else the index name in the message.
 */
function duplicateField(error: MongoServerError): string | undefined {
  const [path] = Object.keys((error.keyPattern as Document | undefined) ?? {});
  if (path) return path === '_id' ? 'id' : path;
  const index = /index: (\S+)/.exec(error.message)?.[1];
  if (index === '_id_') return 'id';
  return index && /^council_unique_(.+)_[a-z]+$/.exec(index)?.[1];
}

export function codeOf(error: unknown): string {
  const e = error as { codeName?: unknown; code?: unknown; name?: unknown } | null;
  return String(e?.codeName ?? e?.code ?? e?.name ?? 'error');
}
