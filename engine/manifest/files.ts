import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Tests declared beside a manifest (`tickets.test.yaml`): `council test` runs them; they are no manifest. */
export const TEST_FILE = /\.test\.ya?ml$/;

/** Whether a file name in the automations folder is a manifest's: `*.yaml` / `*.yml`, not a test file. */
export function isManifestName(name: string): boolean {
  return /\.ya?ml$/.test(name) && !TEST_FILE.test(name);
}

/** Manifest files under each path (a file or a directory, searched recursively), sorted. */
export function manifestFiles(paths: readonly string[]): string[] {
  return filesUnder(paths, isManifestName);
}

/** Test files (`*.test.yaml`) under each path, sorted. */
export function testFiles(paths: readonly string[]): string[] {
  return filesUnder(paths, (name) => TEST_FILE.test(name));
}

function filesUnder(paths: readonly string[], wanted: (name: string) => boolean): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    // A missing path is kept so that loading it reports `file-unreadable` with its name.
    if (!isDirectory(path)) return void files.push(path);
    for (const entry of readdirSync(path).sort()) {
      const child = join(path, entry);
      if (isDirectory(child)) walk(child);
      else if (wanted(entry)) files.push(child);
    }
  };
  for (const path of paths) walk(path);
  return files;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
