import { mkdir, rename, rm, stat } from 'node:fs/promises';
import type { ConnectionPool } from '../registry/connections.ts';
import { AuditFile } from './audit-file.ts';
import { AUDIT_SPEC, recorded } from './audit-log.ts';
import type { AuditStore } from './audit-store.ts';
import { auditTable } from './audit-table.ts';
import { SYSTEM_CONNECTION } from './key-store.ts';

/** The data directory's folder that holds the audit log's files when the system store is embedded. */
export const AUDIT_FOLDER = 'audit';

/** Entries read from the old table per step of the one-time import. */
const IMPORT_LIMIT = 1_000_000_000;

/**
 * Opens where the audit log goes: files in `<dataDir>/audit/` when the system connection
 * is embedded (`audit-file.ts`), else the `_council_audit` table of that connection.
 * Entries an earlier version kept in the embedded store's table are moved to the files
 * once, the first time the folder is made, so `council audit` still shows them.
 */
export function auditStoreOf(connections: ConnectionPool): () => Promise<AuditStore> {
  return async () => {
    const dir = connections.embeddedFolder(SYSTEM_CONNECTION, AUDIT_FOLDER);
    if (dir === undefined) return auditTable(await (await connections.get(SYSTEM_CONNECTION)).open(AUDIT_SPEC));
    if (!(await exists(dir))) await importTable(connections, dir);
    return new AuditFile(dir);
  };
}

/**
 * Writes the entries of the embedded store's audit table (if it has one) to the files,
 * oldest first, in a folder of its own that then takes the final name: a start stopped
 * half way imports again from the start next time.
 */
async function importTable(connections: ConnectionPool, dir: string): Promise<void> {
  const connection = await connections.get(SYSTEM_CONNECTION);
  const plan = await connection.plan(AUDIT_SPEC);
  const importing = `${dir}.importing`;
  await rm(importing, { recursive: true, force: true });
  await mkdir(importing, { recursive: true });
  // No table yet (a new project): nothing to import; the empty folder says so from now on.
  if (!plan.steps.some((step) => /^create table/i.test(step.statement))) {
    const entries = await auditTable(await connection.open(AUDIT_SPEC)).read({ limit: IMPORT_LIMIT });
    const file = new AuditFile(importing);
    try {
      await file.append(entries.reverse().map((entry) => recorded(entry.id, entry.createdAt, entry)));
    } finally {
      await file.close();
    }
  }
  await rename(importing, dir);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
