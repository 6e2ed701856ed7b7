import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The console's pages render when the engine runs from its sources in a folder without
 * this project's tsconfig (`council serve` elsewhere while dist/ is older than the
 * sources): each .tsx file names its JSX runtime itself, so no loader falls back to React's.
 */
const PAGES = new URL('../../engine/console/pages/', import.meta.url);

describe('console pages and their JSX runtime', () => {
  it('every .tsx file names hono/jsx itself', () => {
    for (const name of readdirSync(PAGES).filter((n) => n.endsWith('.tsx'))) {
      assert.match(readFileSync(new URL(name, PAGES), 'utf8'), /^\/\*\* @jsxRuntime automatic @jsxImportSource hono\/jsx \*\//, name);
    }
  });

  it('a page renders through tsx from a folder with no tsconfig', () => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const page = fileURLToPath(new URL('login.tsx', PAGES));
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        tsx,
        '-e',
        `import(${JSON.stringify(page)}).then((m) => process.stdout.write(String(m.LoginPage({ next: '/console' }))))`,
      ],
      { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^<html lang="en">/);
  });
});
