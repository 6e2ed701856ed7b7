/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { StorageStep } from '../../../adapters/types.ts';
import type { ManifestIssue } from '../../source/issues.ts';
import { assetHref, EDITOR_SCRIPT } from '../assets.ts';
import { Csrf, type Frame, Layout, Notice } from './layout.tsx';

/** What the editor page shows: the text, what the engine's checks found in it, and the change as a diff. */
export interface EditorView {
  readonly title: string;
  /** Where the form posts (the automation's edit route, or the new-automation route). */
  readonly action: string;
  /** Where the editor's script asks for checks as one types (answered with the issues as JSON). */
  readonly checkUrl: string;
  /** The answer's style nonce, for the <style> element the editor's script adds. */
  readonly styleNonce?: string;
  /** A line to show first (a link from a failing endpoint): quoted above the editor, and where its cursor starts. */
  readonly line?: number;
  /** The file as the project names it (automations/x.yaml), for the diff and the messages. */
  readonly file: string;
  readonly text: string;
  /** Hash of the file when it was opened; empty for a file that does not exist yet. */
  readonly base: string;
  /** Undefined until the text was checked. */
  readonly issues?: readonly ManifestIssue[];
  readonly diff?: string;
  /** No file is written here (console.mode: readonly): the diff is the outcome. */
  readonly readonly: boolean;
  readonly notice?: { readonly kind: 'error' | 'ok' | 'info'; readonly text: string };
  /** `console.mode: push`: Save commits the text and pushes it here (`origin/main`); no file is written. */
  readonly pushesTo?: string;
  /** Read-only, checked clean, and in a git work tree with an author: a branch can hold the change. */
  readonly branchable?: boolean;
  /** What saving would change in the store (steps to run), or why that could not be asked. */
  readonly storage?: { readonly target: string; readonly steps: readonly StorageStep[] } | { readonly error: string };
}

/**
 * The YAML editor: a plain text area (it works without JavaScript), Check runs the
 * engine's own checks and shows each problem at its line and column with the line
 * itself, and the change as a unified diff; Save appears once the text checks clean.
 */
export const EditorPage: FC<Frame & { csrf: string; view: EditorView }> = ({ view, ...frame }) => {
  const errors = view.issues?.filter((i) => i.severity === 'error') ?? [];
  const warnings = view.issues?.filter((i) => i.severity === 'warning') ?? [];
  const lines = view.text.split(/\r?\n/);
  const canSave = view.issues !== undefined && errors.length === 0 && view.diff !== '' && !view.readonly;
  return (
    <Layout title={view.title} section="automations" scripts={[assetHref(EDITOR_SCRIPT)]} {...frame}>
      {view.notice ? <Notice kind={view.notice.kind}>{view.notice.text}</Notice> : null}
      {view.line && lines[view.line - 1] !== undefined ? (
        <Notice>
          {`Line ${view.line} of ${view.file}: `}
          <code>{lines[view.line - 1]}</code>
        </Notice>
      ) : null}
      {view.readonly ? (
        <Notice>
          This console is read-only (<code>console.mode: readonly</code>): nothing is written here. Check your change, then put the YAML or
          the diff below in a pull request.
        </Notice>
      ) : null}
      {view.pushesTo !== undefined ? (
        <Notice>
          Saving commits this file and pushes it to <code>{view.pushesTo}</code> (<code>console.mode: push</code>): no file is written here.
          Every instance, this one too, serves the change once git-sync has pulled it.
        </Notice>
      ) : null}
      {view.issues !== undefined ? (
        <section aria-labelledby="checked">
          <h2 id="checked">{errors.length ? `${errors.length} error(s): not saved` : 'The engine accepts this text'}</h2>
          {errors.length + warnings.length > 0 ? (
            <ul class="issues">
              {[...errors, ...warnings].map((issue) => (
                <li class={`issue issue-${issue.severity}`}>
                  <code>{`${view.file}:${issue.line}:${issue.col}`}</code>
                  {`: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`}
                  {lines[issue.line - 1] !== undefined ? (
                    <pre>{`${String(issue.line).padStart(4)} | ${lines[issue.line - 1]}\n       ${' '.repeat(Math.max(0, issue.col - 1))}^`}</pre>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : (
            <p>No error or warning.</p>
          )}
        </section>
      ) : null}
      {view.storage ? (
        <section aria-labelledby="stored">
          <h2 id="stored">What saving does to stored data</h2>
          {'error' in view.storage ? (
            <Notice kind="error">{view.storage.error}</Notice>
          ) : (
            <>
              <p>{`Once saved and loaded, the engine runs on ${view.storage.target} (as council migrate --dry-run shows):`}</p>
              <ul>
                {view.storage.steps.map((s) => (
                  <li>
                    <code>{s.statement}</code>
                    {` ${s.why}${s.defer ? ' (after the version serving now has finished its requests)' : ''}`}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      ) : null}
      {view.diff ? (
        <section aria-labelledby="change">
          <h2 id="change">The change</h2>
          <pre class="diff">
            {view.diff.split('\n').map((line) => (
              <span
                class={line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : ''}
              >{`${line}\n`}</span>
            ))}
          </pre>
        </section>
      ) : view.issues !== undefined ? (
        <p>The text is the same as the file's: nothing to save.</p>
      ) : null}
      <form method="post" action={view.action} class="editor" data-unsaved-guard={view.diff ? 'dirty' : ''}>
        <Csrf token={frame.csrf} />
        <input type="hidden" name="base" value={view.base} />
        <label for="yaml">
          {`YAML of ${view.file}`}{' '}
          <span class="hint">the same file a pull request would change; checked by the engine before it is written</span>
        </label>
        <textarea
          id="yaml"
          name="yaml"
          rows={Math.min(40, Math.max(12, lines.length + 2))}
          spellcheck={false}
          autocapitalize="off"
          data-yaml-editor={view.checkUrl}
          data-style-nonce={view.styleNonce}
          data-line={view.line}
          data-meta-schema={assetHref('manifest.schema.json')}
        >
          {view.text}
        </textarea>
        <div class="buttons">
          <button type="submit" name="step" value="check">
            Check
          </button>
          {canSave ? (
            <button type="submit" name="step" value="save">
              {view.pushesTo !== undefined ? 'Save (commit and push)' : 'Save'}
            </button>
          ) : null}
          {view.readonly && view.branchable ? (
            <button type="submit" name="step" value="branch">
              Commit to a new branch
            </button>
          ) : null}
        </div>
      </form>
    </Layout>
  );
};
