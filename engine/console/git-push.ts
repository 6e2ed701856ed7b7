import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConsoleGit } from '../config/config.ts';
import { commitFileOnto, GitError, git, pathInRepository } from './git-command.ts';
import { type ManifestText, textHash } from './manifest-file.ts';

/** What became of a save the console pushes (`console.mode: push`). */
export type PushOutcome =
  /** `commit` is on the remote's branch, on top of `parent`; `retried`: after someone else's push got there first. */
  | { readonly kind: 'pushed'; readonly commit: string; readonly parent: string; readonly retried: boolean }
  /** The branch already holds this text: nothing to push. */
  | { readonly kind: 'unchanged'; readonly head: string }
  /** The file on the branch is not what the editor opened: `now` is what it is (undefined: there is none). */
  | { readonly kind: 'conflict'; readonly now: ManifestText | undefined }
  /** Nothing was pushed: git failed, the remote refused, or the branch moved under both tries. */
  | { readonly kind: 'failed'; readonly status: 409 | 502; readonly reason: string };

export interface PushedSave {
  /** Where commits are made: a bare repository of the console's own (under the data directory). */
  readonly scratch: string;
  /** The manifest file as the instance serves it, in a git checkout of the branch. */
  readonly file: string;
  readonly target: ConsoleGit;
  readonly text: string;
  /** Hash of the text the editor opened; '' for a file that must not exist yet. */
  readonly base: string;
  readonly message: string;
  /** The console user, as the commit's author (and committer, unless git has an identity configured). */
  readonly author: { readonly name: string; readonly email: string };
}

/**
 * Commits a manifest on top of the remote branch's head as it is now (fetched first, never
 * the checkout's possibly older HEAD) and pushes it there, without force. The commit is made
 * in a scratch repository of the console's own: the served checkout is only read (where
 * the file sits in the repository, a remote's URL), so its folder changes only when git-sync
 * brings the commit back, as it brings a merged pull request.
 *
 * A push refused because the branch moved meanwhile is made again, once, on the new head
 * (after checking the file there again). Every git command has a deadline, and no message
 * holds the remote's credentials. One save at a time per scratch repository.
 */
export function pushSave(save: PushedSave): Promise<PushOutcome> {
  const before = queues.get(save.scratch) ?? Promise.resolve();
  const turn = before.then(() => pushNow(save));
  queues.set(
    save.scratch,
    turn.catch(() => undefined),
  );
  return turn;
}

const queues = new Map<string, Promise<unknown>>();

/** Where a push goes, as a page or a log may say it: the remote's name or its URL without credentials, and the branch. */
export function pushTargetLabel(target: ConsoleGit): string {
  return isRemoteName(target.remote) ? `${target.remote}/${target.branch}` : `${target.branch} of ${withoutCredentials(target.remote)}`;
}

/** A remote's name has neither `/` nor `:`; anything else is a URL, an scp-like address or a path. */
function isRemoteName(remote: string): boolean {
  return !/[/:]/.test(remote);
}

/** `text` with the userinfo of any URL in it removed, and the remote's password nowhere. */
function hiderOf(remote: string): (text: string) => string {
  const secrets = new Set<string>();
  try {
    const url = new URL(remote);
    // https://TOKEN@host/...: without a password, the user name is the secret.
    const secret = url.password || url.username;
    if (secret) secrets.add(secret).add(decodeURIComponent(secret));
  } catch {
    // Not a URL (a name, a path, user@host:path), or a malformed escape: the pattern below still applies.
  }
  return (text) => {
    let hidden = withoutCredentials(text);
    for (const secret of secrets) hidden = hidden.split(secret).join('***');
    return hidden;
  };
}

function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');
}

async function pushNow(save: PushedSave): Promise<PushOutcome> {
  const { scratch, target } = save;
  const hide = hiderOf(target.remote);
  const label = pushTargetLabel(target);
  try {
    const path = await pathInRepository(save.file).catch(() => {
      throw new GitError(`the automations folder is not in a git checkout; console.mode push needs a checkout of ${label}`, '');
    });
    const url = isRemoteName(target.remote)
      ? await git(dirname(save.file), ['remote', 'get-url', '--', target.remote], { hide })
      : target.remote;
    if (!existsSync(join(scratch, 'HEAD'))) {
      mkdirSync(scratch, { recursive: true });
      await git(scratch, ['init', '--quiet', '--bare']);
    }
    // The URL (and any token in it) goes to git in its environment, as a remote's config,
    // not on its command line, where every user of the machine could read it (ps).
    // After any entries the environment already passes the same way.
    const n = Number(process.env.GIT_CONFIG_COUNT) || 0;
    const viaRemote = { GIT_CONFIG_COUNT: String(n + 1), [`GIT_CONFIG_KEY_${n}`]: `remote.${REMOTE}.url`, [`GIT_CONFIG_VALUE_${n}`]: url };
    const run = (args: string[]) => git(scratch, args, { hide, env: viaRemote });
    const fetchHead = async () => {
      // Only the tip (--depth 1): the commit needs its tree, not the history.
      await run(['fetch', '--quiet', '--no-tags', '--depth=1', '--', REMOTE, `+refs/heads/${target.branch}:${UPSTREAM}`]);
      return run(['rev-parse', '--verify', `${UPSTREAM}^{commit}`]);
    };
    const identity = await committerOf(scratch, save.author);
    let head = await fetchHead();
    for (let attempt = 0; ; attempt++) {
      const now = await fileAt(scratch, head, path);
      if ((now?.hash ?? '') !== save.base) return { kind: 'conflict', now };
      const commit = await commitFileOnto(scratch, {
        parent: head,
        path,
        text: save.text,
        message: save.message,
        env: { GIT_AUTHOR_NAME: save.author.name, GIT_AUTHOR_EMAIL: save.author.email, ...identity },
      });
      if (!commit) return { kind: 'unchanged', head };
      const refused = await run(['push', '--porcelain', '--', REMOTE, `${commit}:refs/heads/${target.branch}`]).then(
        () => undefined,
        (error: unknown) => {
          if (!(error instanceof GitError)) throw error;
          const line = error.output.split('\n').find((l) => l.startsWith('!'));
          if (!line) throw error;
          return line.split('\t')[2] ?? 'rejected';
        },
      );
      if (refused === undefined) return { kind: 'pushed', commit, parent: head, retried: attempt > 0 };
      const moved = await fetchHead();
      if (moved === head) return { kind: 'failed', status: 502, reason: `${label} refused the push: ${refused}` };
      if (attempt > 0) {
        return {
          kind: 'failed',
          status: 409,
          reason: `${label} moved again while this change was being pushed (others are pushing): nothing of it was pushed; Save again`,
        };
      }
      head = moved;
    }
  } catch (error) {
    if (error instanceof GitError) return { kind: 'failed', status: 502, reason: error.message };
    throw error;
  }
}

/** The name the target's URL has for git in the scratch repository (set through the environment only). */
const REMOTE = 'council-push';
/** The scratch repository's ref for the branch as last fetched. */
const UPSTREAM = 'refs/council/upstream';

/** The file at `path` in commit `head`, or undefined when it has none. */
async function fileAt(scratch: string, head: string, path: string): Promise<ManifestText | undefined> {
  const entry = await git(scratch, ['ls-tree', head, '--', path]);
  if (!entry) return undefined;
  const text = await git(scratch, ['cat-file', 'blob', `${head}:${path}`], { raw: true });
  return { text, hash: textHash(text) };
}

/** git's own identity (user.name and user.email) when it has one, else the author's: who made the commit. */
async function committerOf(scratch: string, author: PushedSave['author']): Promise<Record<string, string>> {
  const configured = await Promise.all([git(scratch, ['config', 'user.name']), git(scratch, ['config', 'user.email'])]).catch(() => []);
  return configured[0] && configured[1] ? {} : { GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
}
