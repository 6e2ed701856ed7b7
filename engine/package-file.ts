import { existsSync, readFileSync } from 'node:fs';

// The engine runs from its TypeScript sources (tsx) and from `dist/` (compiled): the files
// shipped beside it (package.json, schemas/) are found from the nearest package.json up.
let root = new URL('../', import.meta.url);
while (!existsSync(new URL('package.json', root)) && root.pathname !== '/') root = new URL('../', root);

/** Parses a JSON file shipped at the package root, e.g. `packageJson('schemas/config.schema.json')`. */
export function packageJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, root), 'utf8')) as T;
}
