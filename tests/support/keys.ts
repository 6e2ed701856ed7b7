import { ConnectionPool } from '../../engine/registry/connections.ts';
import { KeyStore, SYSTEM_CONNECTION } from '../../engine/security/key-store.ts';
import type { TestProject } from './project.ts';

export type KeySpec = { scopes: string[]; name?: string; expiresAt?: string };

/**
 * Keys made directly in the project's system store (the server must not be running on
 * it), opened once for all of them: each opening of the embedded store costs
 * 0.3-0.6 s. `then` runs on the open store after the keys are made.
 */
export async function makeKeys(project: TestProject, specs: KeySpec[], then?: (store: KeyStore) => Promise<void>): Promise<string[]> {
  const config = project.config();
  const pool = new ConnectionPool(config.connections, config.dataDir);
  try {
    const store = await KeyStore.open(await pool.get(SYSTEM_CONNECTION));
    const secrets: string[] = [];
    for (const { scopes, name, expiresAt } of specs)
      secrets.push((await store.create({ name: name ?? `test ${scopes.join(',')}`, scopes, ...(expiresAt ? { expiresAt } : {}) })).secret);
    await then?.(store);
    return secrets;
  } finally {
    await pool.closeAll();
  }
}
