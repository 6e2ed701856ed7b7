import type { StorageBackend } from '../types.ts';
import { connectPostgres } from './connection.ts';

/**
 * PostgreSQL storage: a server when the connection has a `url`, otherwise embedded
 * PGlite persisted under the data directory. One table per automation, one column
 * per top-level property, keyset pagination on `(field, id)`.
 */
export const postgresBackend: StorageBackend = {
  name: 'postgres',
  connect: connectPostgres,
};
