import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The longest one git command may take: the console's request must not hang on it. */
const GIT_MS = 10_000;

async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<string> {
  const child = run('git', args, { cwd, timeout: GIT_MS, env: { ...process.env, ...env }, maxBuffer: 4 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout.trim();
}

/**
 * The git work tree a folder is in, when git is installed and has an author configured
 * (`user.name` and `user.email`); undefined otherwise.
 */
export async function gitWorkTree(folder: string): Promise<string | undefined> {
  try {
    const root = await git(folder, ['rev-parse', '--show-toplevel']);
    const [name, email] = await Promise.all([git(root, ['config', 'user.name']), git(root, ['config', 'user.email'])]);
    return name && email ? root : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Commits `text` as the new content of `file` on a new branch off HEAD, without touching
 * the work tree, its index or the branch checked out: the blob, tree and commit are made
 * with git's plumbing and a temporary index, and only the new branch's ref is written.
 * What a read-only (GitOps) console can do: the change waits on a branch for review.
 */
export async function commitToBranch(
  root: string,
  file: string,
  text: string,
  message: string,
  branch: string,
): Promise<{ branch: string; commit: string }> {
  const path = relative(root, file).split('\\').join('/');
  const index = join(await git(root, ['rev-parse', '--absolute-git-dir']), `council-index-${process.pid}-${Date.now()}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    const blob = await git(root, ['hash-object', '-w', '--stdin'], {}, text);
    await git(root, ['read-tree', 'HEAD'], env);
    await git(root, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], env);
    const tree = await git(root, ['write-tree'], env);
    const commit = await git(root, ['commit-tree', tree, '-p', 'HEAD', '-m', message]);
    // `update-ref` with an empty old value fails if the branch exists: never moves someone's branch.
    await git(root, ['update-ref', `refs/heads/${branch}`, commit, '']);
    return { branch, commit };
  } finally {
    rmSync(index, { force: true });
  }
}
