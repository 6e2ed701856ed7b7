import type { CouncilConfig } from '../config/config.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import { describeUser, shownUser, UserStore } from '../security/user-store.ts';
import { openLocalSystem } from './local-system.ts';
import type { Users } from './users.ts';

/** The user store opened by the command itself (no server holds it), and how to close it. */
export async function openLocalUsers(config: CouncilConfig): Promise<{ users: Users; close: () => Promise<void> }> {
  const { opened, close } = await openLocalSystem(config, auditedUsers);
  return { users: opened, close };
}

/** The store itself, with each change recorded in the audit log as the server would (never a password or hash). */
async function auditedUsers(pool: ConnectionPool, audit: AuditLog): Promise<Users> {
  const store = await UserStore.open(await pool.get(SYSTEM_CONNECTION));
  const recorded = async (action: string, detail: string) => {
    audit.record({ actor: 'cli', action, outcome: 'ok', detail });
    await audit.flush();
  };
  return {
    async create(request) {
      const { password, user } = await store.create(request);
      await recorded('user.create', describeUser(user));
      return { password, user: shownUser(user) };
    },
    list: async () => (await store.list()).map(shownUser),
    async disable(email) {
      const user = await store.disable(email);
      if (user) await recorded('user.disable', user.email);
      return user && shownUser(user);
    },
    async resetPassword(email) {
      const reset = await store.resetPassword(email);
      if (!reset) return undefined;
      await recorded('user.reset', reset.user.email);
      return { password: reset.password, user: shownUser(reset.user) };
    },
  };
}
