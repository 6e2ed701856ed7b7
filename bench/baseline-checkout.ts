// The engine at an earlier commit (BENCH_BASELINE), checked out beside this one with
// `git worktree add` so both run in one bench; it borrows this checkout's node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;

export interface BaselineCheckout {
  /** The short commit, as the table shows it. */
  commit: string;
  dir: string;
  remove(): void;
}

function git(args: string[]): string {
  const run = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr.trim()}`);
  return run.stdout.trim();
}

/** Checks `revision` out into a temporary worktree (a leftover one of an interrupted run is replaced). */
export function checkOutBaseline(revision: string): BaselineCheckout {
  const commit = git(['rev-parse', '--short', `${revision}^{commit}`]);
  const dir = join(tmpdir(), `council-bench-baseline-${commit}`);
  if (existsSync(dir)) {
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // --force: the folder of an interrupted run may be gone while git still lists it.
  git(['worktree', 'add', '--force', '--detach', dir, commit]);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return {
    commit,
    dir,
    remove: () => {
      git(['worktree', 'remove', '--force', dir]);
    },
  };
}
