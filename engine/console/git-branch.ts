import { commitFileOnto, git, pathInRepository } from './git-command.ts';

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
  const parent = await git(root, ['rev-parse', '--verify', 'HEAD^{commit}']);
  const path = await pathInRepository(file);
  const commit = (await commitFileOnto(root, { parent, path, text, message, always: true })) as string;
  // `update-ref` with an empty old value fails if the branch exists: never moves someone's branch.
  await git(root, ['update-ref', `refs/heads/${branch}`, commit, '']);
  return { branch, commit };
}
