// How each checkout's `council` runs: from dist/ when the checkout has a build step (as
// after `npm install`, whose `prepare` builds it), else from TypeScript through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Builds dist/ with the checkout's own bin/build.mjs; says which way its `council` will run. */
export function buildEngine(checkout: string, build: boolean): string {
  const script = join(checkout, 'bin/build.mjs');
  if (!existsSync(script)) return 'from TypeScript through tsx (no build step at that commit)';
  if (!build) return 'as found (BENCH_BUILD=off): from dist/ if it is newer than every source, else through tsx';
  const began = performance.now();
  const run = spawnSync(process.execPath, [script], { cwd: checkout, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${script} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return `from dist/, built by the bench with bin/build.mjs (${((performance.now() - began) / 1000).toFixed(0)} s)`;
}
