import type { StorageConnection, StoragePlan, StorageSpec } from '../../adapters/types.ts';
import type { CouncilConfig } from '../config/config.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import { callLocalServer } from '../server/local-admin.ts';
import { isEmbedded, type StoreRoute } from './store-route.ts';

/** A store's answer: what opening the spec would change, and who was asked. */
export interface PlannedStore {
  readonly result: StoragePlan;
  /** `the server at http://127.0.0.1:8080` when the server holding the data directory answered; undefined when asked directly. */
  readonly via?: string;
  /** The connection, when asked directly (to apply the plan). */
  readonly connection?: StorageConnection;
}

/**
 * What opening `spec` on connection `name` would change, asked without opening an
 * embedded store behind a server's back: through the server that holds the data
 * directory (`/admin/storage/plan`) for an embedded connection, directly otherwise.
 * Rejects with an Error whose message says why the store could not be asked.
 */
export async function planStore(
  config: CouncilConfig,
  route: StoreRoute,
  pool: ConnectionPool,
  name: string,
  spec: StorageSpec,
): Promise<PlannedStore> {
  if (isEmbedded(config, name) && route.kind === 'server') {
    const answer = await callLocalServer(route.server, 'POST', '/storage/plan', { connection: name, spec });
    if (!answer)
      throw new Error(`the server at ${route.server.url} has no connection named "${name}" (is it running with another config?)`);
    return { result: answer.data as StoragePlan, via: `the server at ${route.server.url}` };
  }
  if (isEmbedded(config, name) && route.kind === 'busy') throw new Error(route.message);
  const connection = await pool.get(name);
  return { result: await connection.plan(spec), connection };
}
