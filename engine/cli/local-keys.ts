import type { CouncilConfig } from '../config/config.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { KeyStore, SYSTEM_CONNECTION } from '../security/key-store.ts';
import type { Keys } from './keys.ts';
import { openLocalSystem } from './local-system.ts';

/** The key store opened by the command itself (no server holds it), and how to close it. */
export async function openLocalKeys(config: CouncilConfig): Promise<{ keys: Keys; close: () => Promise<void> }> {
  const { opened, close } = await openLocalSystem(config, auditedKeys);
  return { keys: opened, close };
}

/** The store itself, with the key events recorded in the audit log as the server would. */
async function auditedKeys(pool: ConnectionPool, audit: AuditLog): Promise<Keys> {
  const store = await KeyStore.open(await pool.get(SYSTEM_CONNECTION));
  return {
    async create(request) {
      const made = await store.create(request);
      audit.record({ actor: 'cli', action: 'key.create', outcome: 'ok', detail: `${made.key.display} ${made.key.scopes.join(',')}` });
      await audit.flush();
      return made;
    },
    list: () => store.list(),
    async revoke(which) {
      const revoked = await store.revoke(which);
      if (revoked) audit.record({ actor: 'cli', action: 'key.revoke', outcome: 'ok', detail: revoked.display });
      await audit.flush();
      return revoked;
    },
  };
}
