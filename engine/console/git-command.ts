import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The longest one git command may take: the console's request must not hang on it. */
export const GIT_MS = 10_000;

/**
 * A git command that failed, ran out of time or could not start. Its message is git's own
 * reason passed through `hide`, and it keeps no cause: the child process's error holds the
 * command line, which may hold a remote's credentials.
 */
export class GitError extends Error {
  override readonly name = 'GitError';
  /** What the command printed on stdout (passed through `hide` too): `git push --porcelain` says there what was refused. */
  readonly output: string;
  constructor(message: string, output: string) {
    super(message);
    this.output = output;
  }
}

export interface GitOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the command's stdin. */
  readonly input?: string;
  /** Applied to every text taken from git before it can reach a message (credentials out). */
  readonly hide?: (text: string) => string;
  /** Keep stdout as it is (a file's content), not trimmed. */
  readonly raw?: boolean;
}

/** Runs git in `cwd` with a deadline of {@link GIT_MS}, never asking for a password on a terminal; its stdout. */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const hide = options.hide ?? ((text: string) => text);
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd,
        timeout: GIT_MS,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env },
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(options.raw ? stdout : stdout.trim());
        const said = stderr.split('\n').filter((line) => /^(fatal|error):/.test(line));
        const why = error.killed
          ? `took longer than ${GIT_MS / 1000} s`
          : (said.join(' ') || stderr.trim().split('\n').pop() || `failed (${error.code ?? 'no exit code'})`).trim();
        reject(new GitError(hide(`git ${args[0]}: ${why}`), hide(stdout)));
      },
    );
    child.stdin?.end(options.input);
  });
}

/**
 * Where a file of the folder `folder` sits in the git repository the folder is checked out
 * from (`automations/tickets.yaml`), asked of git: a checkout reached through a symbolic
 * link (git-sync's `current`) gives the same answer as its real path.
 */
export async function pathInRepository(file: string): Promise<string> {
  return `${await git(dirname(file), ['rev-parse', '--show-prefix'])}${basename(file)}`;
}

/**
 * Commits `text` as `path` on top of commit `parent` in the repository at `gitDir`, with
 * git's plumbing and a temporary index: no work tree, index or ref is touched. Returns the
 * new commit, or (unless `always`) undefined when `parent` already holds exactly that text there.
 */
export async function commitFileOnto(
  gitDir: string,
  change: {
    parent: string;
    path: string;
    text: string;
    message: string;
    env?: Readonly<Record<string, string>>;
    /** Commit even when nothing changes. */
    always?: boolean;
  },
): Promise<string | undefined> {
  const index = join(await git(gitDir, ['rev-parse', '--absolute-git-dir']), `council-index-${process.pid}-${Date.now()}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    const blob = await git(gitDir, ['hash-object', '-w', '--stdin'], { input: change.text });
    await git(gitDir, ['read-tree', change.parent], { env });
    await git(gitDir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${change.path}`], { env });
    const tree = await git(gitDir, ['write-tree'], { env });
    if (!change.always && tree === (await git(gitDir, ['rev-parse', `${change.parent}^{tree}`]))) return undefined;
    return await git(gitDir, ['commit-tree', tree, '-p', change.parent, '-m', change.message], { env: change.env ?? {} });
  } finally {
    rmSync(index, { force: true });
  }
}
