import type { CouncilConfig } from '../config/config.ts';
import { connectionMode } from '../registry/connections.ts';
import { describeHolder, type LockHolder } from '../registry/data-dir-lock.ts';
import { dataDirOwner, type LocalServer } from '../server/local-admin.ts';

/**
 * How a command reaches a store in the data directory: through the server that holds it
 * (its `/admin` API), directly (the connection pool then takes the directory's lock for
 * an embedded store), or not at all because another command holds it.
 */
export type StoreRoute =
  | { readonly kind: 'server'; readonly server: LocalServer; readonly holder: LockHolder }
  | { readonly kind: 'direct' }
  | { readonly kind: 'busy'; readonly holder: LockHolder; readonly message: string };

/**
 * Decides once per command. A server holding the data directory is asked whatever the
 * connection (it sees its own writes at once); a command holding it blocks only the
 * embedded stores, which it has open.
 */
export async function storeRoute(config: CouncilConfig): Promise<StoreRoute> {
  const owner = await dataDirOwner(config.dataDir);
  if (owner.kind === 'free') return { kind: 'direct' };
  if (owner.kind === 'server') return owner;
  return { kind: 'busy', holder: owner.holder, message: `${inUse(config, owner.holder)}; try again once it has finished` };
}

/** `data directory D is in use by council serve (pid 4242, port 8080, since ...)`: one line naming the holder. */
export function inUse(config: CouncilConfig, holder: LockHolder): string {
  return `data directory ${config.dataDir} is in use by ${describeHolder(holder)}`;
}

/** Whether the named connection keeps its records in the data directory (embedded PGlite). */
export function isEmbedded(config: CouncilConfig, connection: string): boolean {
  const settings = config.connections.get(connection);
  return settings !== undefined && connectionMode(settings) === 'embedded';
}
