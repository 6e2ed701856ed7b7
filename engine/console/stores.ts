import { StorageError } from '../../adapters/types.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import { openOnce } from '../registry/open-once.ts';
import { settleWithin } from '../request/deadline.ts';
import type { Authenticator } from '../security/authenticator.ts';
import { SessionStore } from '../security/console-session.ts';
import type { KeyStore } from '../security/key-store.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import { UserStore } from '../security/user-store.ts';

/** How long one console call to the system store may take before the page says the store is down. */
export const CONSOLE_STORE_MS = 2000;

/** The console's users, sessions and the API keys in the system store, opened on first use; every call bounded by {@link CONSOLE_STORE_MS}. */
export interface ConsoleStores {
  users<T>(work: (store: UserStore) => Promise<T>): Promise<T>;
  sessions<T>(work: (store: SessionStore) => Promise<T>): Promise<T>;
  keys<T>(work: (store: KeyStore) => Promise<T>): Promise<T>;
}

export function consoleStores(connections: ConnectionPool, auth: Authenticator): ConsoleStores {
  const users = openOnce(async () => UserStore.open(await connections.get(SYSTEM_CONNECTION)));
  const sessions = openOnce(async () => SessionStore.open(await connections.get(SYSTEM_CONNECTION)));
  const within = <T>(work: Promise<T>) =>
    settleWithin(
      work,
      CONSOLE_STORE_MS,
      () => new StorageError('unavailable', `the system store did not answer within ${CONSOLE_STORE_MS / 1000} s`),
    );
  return {
    users: (work) => within(users().then(work)),
    sessions: (work) => within(sessions().then(work)),
    keys: (work) => within(auth.store().then(work)),
  };
}
