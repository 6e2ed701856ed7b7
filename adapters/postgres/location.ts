import path from 'node:path';

/**
 * Where an embedded (PGlite) connection keeps its files: `<dataDir>/postgres/<name>`.
 * Pure, and free of any driver, so `council validate` can tell whether anything is
 * stored yet without opening (and so creating) a database.
 */
export function embeddedDirectory(dataDir: string, connection: string): string {
  return path.join(dataDir, 'postgres', connection);
}
