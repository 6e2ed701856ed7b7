#!/usr/bin/env node
// `npm install` compiles the engine to dist/ (the `prepare` script), so a command starts
// without compiling TypeScript. When dist/ is missing, or older than any source file (a
// developer's edit to engine/, adapters/ or schemas/ since the last build), the sources run through tsx's loader instead:
// slower to start, but an edit is never silently ignored.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function builtAt() {
  try {
    return statSync(new URL('dist/built-at', root)).mtimeMs;
  } catch {
    return -1;
  }
}

function newerThan(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() ? newerThan(path, time) : /\.(tsx?|json)$/.test(entry.name) && statSync(path).mtimeMs > time) return true;
  }
  return false;
}

const built = builtAt();
const dir = root.pathname;
if (built > 0 && !['engine', 'adapters', 'schemas'].some((source) => newerThan(`${dir}${source}`, built))) {
  await import('../dist/engine/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  // The engine's own tsconfig, whatever the working directory: its JSX settings (hono/jsx) and paths must not depend on where `council` runs.
  register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
  await import('../engine/cli/main.ts');
}
