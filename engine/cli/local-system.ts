import type { CouncilConfig } from '../config/config.ts';
import { silentLogger } from '../log.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { AuditLog } from '../security/audit-log.ts';
import { auditStoreOf } from '../security/audit-open.ts';

/**
 * The system store opened by a command itself (no server holds it): `open` builds what the
 * command works with from the pool and an audit log that records as the server would;
 * `close` writes what was audited, then closes the pool.
 */
export async function openLocalSystem<T>(
  config: CouncilConfig,
  open: (pool: ConnectionPool, audit: AuditLog) => Promise<T>,
): Promise<{ opened: T; close: () => Promise<void> }> {
  const pool = new ConnectionPool(config.connections, config.dataDir);
  try {
    const audit = new AuditLog(auditStoreOf(pool), silentLogger);
    return {
      opened: await open(pool, audit),
      close: async () => {
        await audit.close();
        await pool.closeAll();
      },
    };
  } catch (error) {
    await pool.closeAll();
    throw error;
  }
}
