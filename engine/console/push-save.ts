import { join } from 'node:path';
import type { CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { actorOf } from './console-env.ts';
import { pushSave, pushTargetLabel } from './git-push.ts';
import { textHash } from './manifest-file.ts';
import type { EditorView } from './pages/editor.tsx';
import { unifiedDiff } from './yaml-diff.ts';

/**
 * Save under `console.mode: push`: the checked text of `file` is committed, with the console
 * user as author, on top of the branch `console.git` names, and pushed there. Nothing is
 * written in the automations folder: this instance, like every other, serves the change
 * once git-sync has pulled it. Returns the editor's view with what happened, and its status.
 */
export async function saveByPush(parts: {
  config: CouncilConfig;
  audit: AuditLog;
  logger: Logger;
  user: { readonly email: string };
  view: EditorView;
  file: string;
  /** The automation the text declares, for the audit log. */
  name: string;
}): Promise<{ view: EditorView; status: 200 | 409 | 502 }> {
  const { config, audit, logger, user, view, file, name } = parts;
  const target = config.console.git;
  if (!target) throw new Error('saveByPush needs console.git');
  const label = pushTargetLabel(target);
  const outcome = await pushSave({
    scratch: join(config.dataDir, 'console-git'),
    file,
    target,
    text: view.text,
    base: view.base,
    message: `${view.base === '' ? 'Add' : 'Change'} ${view.file}\n\nWritten in the console by ${user.email}.`,
    author: { name: user.email, email: user.email },
  });
  const actor = actorOf(user);
  switch (outcome.kind) {
    case 'pushed': {
      audit.record({ actor, action: 'manifest.push', outcome: 'ok', automation: name, detail: `${label} ${outcome.commit.slice(0, 12)}` });
      const meanwhile = outcome.retried ? ', on top of a commit someone pushed meanwhile' : '';
      return {
        status: 200,
        view: {
          ...view,
          // What the branch holds now: a next save from this page starts from it.
          base: textHash(view.text),
          notice: {
            kind: 'ok',
            text: `Committed ${outcome.commit.slice(0, 12)} (author ${user.email}) and pushed it to ${label}${meanwhile}. The files here are unchanged: every instance, this one too, picks it up when git-sync pulls.`,
          },
        },
      };
    }
    case 'unchanged':
      return {
        status: 200,
        view: { ...view, notice: { kind: 'info', text: `Nothing to push: ${view.file} on ${label} already holds this text.` } },
      };
    case 'conflict': {
      const now = outcome.now;
      return {
        status: 409,
        view: {
          ...view,
          base: now?.hash ?? '',
          diff: unifiedDiff(view.file, now?.text ?? '', view.text),
          notice: {
            kind: 'error',
            text: now
              ? `Not pushed: ${view.file} ${view.base === '' ? 'already exists' : 'is not what you opened'} on ${label} (pushed since, perhaps not pulled here yet). The diff below goes from what ${label} holds to your text; Save again to replace it.`
              : `Not pushed: ${view.file} is not on ${label} (removed since you opened it). Save again to add it back.`,
          },
        },
      };
    }
    case 'failed': {
      // Operators see it too: a remote that refuses every push (a token expired) is theirs to fix.
      logger.warn('console: push failed', { target: label, status: outcome.status, reason: outcome.reason, user: user.email });
      audit.record({ actor, action: 'manifest.push', outcome: 'failed', automation: name, detail: `${label}: ${outcome.reason}` });
      return {
        status: outcome.status,
        view: { ...view, notice: { kind: 'error', text: `Not pushed: ${outcome.reason}. Nothing was written here.` } },
      };
    }
  }
}
