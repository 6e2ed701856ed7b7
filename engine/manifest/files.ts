import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `*.yaml` / `*.yml` files under each path (a file or a directory, searched recursively), sorted. */
export function manifestFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    // A missing path is kept so that loading it reports `file-unreadable` with its name.
    if (!isDirectory(path)) return void files.push(path);
    for (const entry of readdirSync(path).sort()) {
      const child = join(path, entry);
      if (isDirectory(child)) walk(child);
      else if (/\.ya?ml$/.test(entry)) files.push(child);
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
