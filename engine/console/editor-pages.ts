import { dirname, join } from 'node:path';
import type { Context } from 'hono';
import { parse } from 'yaml';
import type { CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { draftEdits, draftOfManifest, formField } from '../manifest/draft-edits.ts';
import { MAX_MANIFEST_BYTES } from '../manifest/read-text.ts';
import { manifestText } from '../manifest/scaffold.ts';
import { editYaml } from '../manifest/yaml-edit.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { CheckedText, ReloadReport } from '../reload/reloader.ts';
import type { JsonSchema } from '../schema/json-schema.ts';
import type { Manifest } from '../schema/manifest-shape.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { hasErrors } from '../source/issues.ts';
import { actorOf, type ConsoleEnv } from './console-env.ts';
import { draftFromForm, FIELD_ROWS, type FormValues, formValuesOf, SPARE_ROWS } from './draft-form.ts';
import { commitToBranch, gitWorkTree } from './git-branch.ts';
import { pushTargetLabel } from './git-push.ts';
import { readManifest, writeManifest } from './manifest-file.ts';
import type { On } from './on.ts';
import { AutomationFormPage } from './pages/automation-form.tsx';
import { EditorPage, type EditorView } from './pages/editor.tsx';
import { MessagePage } from './pages/layout.tsx';
import { consoleMode, manifestFileOf, projectFile } from './project.ts';
import { saveByPush } from './push-save.ts';
import { render } from './render.ts';
import { mayCreate, mayEdit } from './routes.ts';
import { nameIn, textChecker } from './text-check.ts';
import { unifiedDiff } from './yaml-diff.ts';

/** What the editor asks of the engine: its own checks of a text, and a reload of written files. */
export interface ManifestEdits {
  check(file: string, text: string): CheckedText;
  reload(files: string[]): Promise<ReloadReport>;
}

/** How long a save waits for the engine to load what it wrote before the page says it is still loading. */
export const RELOAD_WAIT_MS = 10_000;

/**
 * Editing automations: one automation's YAML (`/automations/NAME/edit`) and a new one
 * (`/new`: a form that becomes YAML, then `/new/yaml`). Every text is checked by the
 * engine's own loader before anything is written; Save writes atomically, only over the
 * text the editor opened, then reloads the file at once (the watcher would too) and shows
 * what serves. With `console.mode: readonly` nothing is written: the diff is the outcome.
 * With `console.mode: push` Save commits the text and pushes it to `console.git` instead
 * (push-save.ts): the folder changes when git-sync pulls.
 */
export function addEditorPages(
  on: On,
  parts: {
    registry: AutomationRegistry;
    config: () => CouncilConfig;
    edits: ManifestEdits;
    audit: AuditLog;
    connections: ConnectionPool;
    logger: Logger;
  },
) {
  const { registry, config, edits, audit, connections, logger } = parts;
  const checkText = textChecker(edits, connections);
  const frame = (c: Context<ConsoleEnv>) => ({ user: c.get('user'), csrf: c.get('session').csrf });
  const page = (c: Context<ConsoleEnv>, view: EditorView, status: 200 | 409 | 413 | 422 | 502 = 200) =>
    render(c, EditorPage({ ...frame(c), view: { ...view, styleNonce: c.get('styleNonce') } }), status);
  const message = (c: Context<ConsoleEnv>, title: string, text: string, status: 403 | 404 | 409) =>
    render(c, MessagePage({ ...frame(c), title, message: text }), status);
  // `push` without `console.git` (the config's checks refuse it) writes nothing either.
  const readonly = () => {
    const mode = consoleMode(config());
    return mode === 'readonly' || (mode === 'push' && !config().console.git);
  };
  /** Under `console.mode: push`, where Save sends the text. */
  const pushing = () => {
    const git = config().console.git;
    return consoleMode(config()) === 'push' && git ? { pushesTo: pushTargetLabel(git) } : {};
  };
  /** The automations a field may refer to: the ones serving. */
  const serving = () => registry.serving().map((m) => m.plan.name);
  /** The editor over automation `name`'s file: it posts to the automation's edit route, and checks there as one types. */
  const automationView = (title: string, name: string, file: string, text: string, base: string): EditorView => ({
    title,
    action: `/console/automations/${name}/edit`,
    checkUrl: `/console/automations/${name}/check`,
    file: projectFile(config(), file),
    text,
    base,
    readonly: readonly(),
    ...pushing(),
  });
  /** The editor over a file that does not exist yet (base ''): it posts to the new-automation routes. */
  const newView = (title: string, file: string, text: string): EditorView => ({
    title,
    action: '/console/new/yaml',
    checkUrl: '/console/new/check',
    file: projectFile(config(), file),
    text,
    base: '',
    readonly: readonly(),
    ...pushing(),
  });

  on('GET /automations/:name/edit', (c) => {
    const name = c.req.param('name') ?? '';
    if (!mayEdit(c.get('user'), name)) return message(c, 'Not allowed', notYours(c, name), 403);
    const file = manifestFileOf(registry, name);
    const current = file ? readManifest(file) : undefined;
    if (!file || !current) return message(c, 'Not found', `No manifest file holds an automation named "${name}".`, 404);
    return page(c, {
      ...automationView(`Edit ${name}`, name, file, current.text, current.hash),
      ...(Number(c.req.query('line')) > 0 ? { line: Number(c.req.query('line')) } : {}),
    });
  });

  on('POST /automations/:name/edit', async (c) => {
    const name = c.req.param('name') ?? '';
    if (!mayEdit(c.get('user'), name)) return message(c, 'Not allowed', notYours(c, name), 403);
    const file = manifestFileOf(registry, name);
    if (!file) return message(c, 'Not found', `No manifest file holds an automation named "${name}".`, 404);
    const form = await c.req.parseBody();
    const current = readManifest(file);
    const text = submittedText(form.yaml, current?.text);
    const base = typeof form.base === 'string' ? form.base : '';
    const view = automationView(`Edit ${name}`, name, file, text, base);
    return checkAndSave(c, {
      view,
      file,
      current,
      save: form.step === 'save',
      branch: form.step === 'branch',
      mayName: (n) => mayEdit(c.get('user'), n),
    });
  });

  /** The manifest of automation `name` as the configure form needs it, or the page that says why there is none. */
  const configurable = (c: Context<ConsoleEnv>, name: string) => {
    if (!mayEdit(c.get('user'), name)) return message(c, 'Not allowed', notYours(c, name), 403);
    const file = manifestFileOf(registry, name);
    const current = file ? readManifest(file) : undefined;
    if (!file || !current) return message(c, 'Not found', `No manifest file holds an automation named "${name}".`, 404);
    if (hasErrors(edits.check(file, current.text).issues)) {
      return message(
        c,
        'Fix the YAML first',
        `${projectFile(config(), file)} does not load as it is, so the form cannot read it: edit its YAML (/console/automations/${name}/edit).`,
        409,
      );
    }
    const manifest = parse(current.text) as Manifest;
    const schema = manifest.schema as JsonSchema;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const draft = draftOfManifest(manifest);
    const purpose = {
      title: `Configure ${name}`,
      action: `/console/automations/${name}/configure`,
      submit: 'Show the change',
      fixedName: name,
      rows: draft.fields.length + SPARE_ROWS,
      kept: Object.entries(properties)
        .filter(([, p]) => !formField(p))
        .map(([n]) => n),
      ...(typeof schema.$ref === 'string' ? { schemaElsewhere: schema.$ref } : {}),
    };
    return { file, current, manifest, draft, purpose };
  };

  on('GET /automations/:name/configure', (c) => {
    const found = configurable(c, c.req.param('name') ?? '');
    if (found instanceof Promise) return found;
    const { draft, purpose } = found;
    return render(
      c,
      AutomationFormPage({
        ...frame(c),
        purpose,
        connections: connectionList(config()),
        automations: serving(),
        values: formValuesOf(draft),
      }),
    );
  });

  on('POST /automations/:name/configure', async (c) => {
    const name = c.req.param('name') ?? '';
    const found = configurable(c, name);
    if (found instanceof Promise) return found;
    const { file, current, manifest, purpose } = found;
    const values = (await c.req.parseBody({ all: true })) as FormValues;
    const drafted = draftFromForm(values, config().connections, {
      name,
      defaultMaxLength: false,
      fields: !purpose.schemaElsewhere,
      automations: serving(),
    });
    if ('problems' in drafted) {
      return render(
        c,
        AutomationFormPage({
          ...frame(c),
          purpose,
          connections: connectionList(config()),
          automations: serving(),
          values,
          problems: drafted.problems,
        }),
        422,
      );
    }
    const { text, reformatted } = editYaml(current.text, draftEdits(manifest, drafted.draft));
    const view = automationView(`Configure ${name}`, name, file, text, current.hash);
    const notice = reformatted
      ? {
          kind: 'info' as const,
          text: 'The file has a layout these edits could not keep line by line, so yaml wrote it again (comments kept): read the diff before saving.',
        }
      : text === current.text
        ? { kind: 'info' as const, text: 'The form changes nothing in the file.' }
        : undefined;
    return checkAndSave(c, {
      view: { ...view, ...(notice ? { notice } : {}) },
      file,
      current,
      save: false,
      mayName: (n) => mayEdit(c.get('user'), n),
    });
  });

  /** The editor's live check as one types: the same check as the Check button, answered as JSON for its gutter. */
  const liveCheck = async (c: Context<ConsoleEnv>, file: string, text: string, taken: boolean) => {
    if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES)
      return c.json({
        issues: [{ line: 1, col: 1, severity: 'error', message: `a manifest holds at most ${MAX_MANIFEST_BYTES / 1024} KiB` }],
      });
    const { issues } = await checkText({
      file,
      shown: projectFile(config(), file),
      text,
      taken,
      mayName: (n) => mayEdit(c.get('user'), n),
      notYours: (n) => notYours(c, n),
    });
    return c.json({ issues: issues.map(({ line, col, severity, message }) => ({ line, col, severity, message })) });
  };
  on('POST /automations/:name/check', async (c) => {
    const name = c.req.param('name') ?? '';
    const file = manifestFileOf(registry, name);
    if (!mayEdit(c.get('user'), name) || !file) return c.json({ issues: [] }, mayEdit(c.get('user'), name) ? 404 : 403);
    const current = readManifest(file);
    return liveCheck(c, file, submittedText((await c.req.parseBody()).yaml, current?.text), false);
  });
  on('POST /new/check', async (c) => {
    if (!mayCreate(c.get('user'))) return c.json({ issues: [] }, 403);
    const text = submittedText((await c.req.parseBody()).yaml, undefined);
    const file = newFile(config(), nameIn(text) ?? 'new-automation');
    return liveCheck(c, file, text, readManifest(file) !== undefined);
  });

  on('GET /new', (c) => {
    if (!mayCreate(c.get('user'))) return message(c, 'Not allowed', onlySome(c), 403);
    return render(
      c,
      AutomationFormPage({ ...frame(c), purpose: NEW_PURPOSE, connections: connectionList(config()), automations: serving(), values: {} }),
    );
  });

  on('POST /new', async (c) => {
    if (!mayCreate(c.get('user'))) return message(c, 'Not allowed', onlySome(c), 403);
    const values = (await c.req.parseBody({ all: true })) as FormValues;
    const drafted = draftFromForm(values, config().connections, { defaultMaxLength: true, automations: serving() });
    if ('problems' in drafted) {
      return render(
        c,
        AutomationFormPage({
          ...frame(c),
          purpose: NEW_PURPOSE,
          connections: connectionList(config()),
          automations: serving(),
          values,
          problems: drafted.problems,
        }),
        422,
      );
    }
    const text = manifestText(drafted.draft);
    const file = newFile(config(), drafted.draft.name);
    const view = newView(`New automation ${drafted.draft.name}`, file, text);
    return checkAndSave(c, { view, file, current: readManifest(file), save: false, mayName: () => true });
  });

  on('POST /new/yaml', async (c) => {
    if (!mayCreate(c.get('user'))) return message(c, 'Not allowed', onlySome(c), 403);
    const form = await c.req.parseBody();
    const text = submittedText(form.yaml, undefined);
    const name = nameIn(text);
    const file = newFile(config(), name ?? 'new-automation');
    const view = newView(`New automation ${name ?? ''}`.trim(), file, text);
    return checkAndSave(c, {
      view,
      file,
      current: readManifest(file),
      save: form.step === 'save',
      branch: form.step === 'branch',
      mayName: () => true,
    });
  });

  /**
   * Checks `view.text` as `file`'s new content, and with `save` writes it when it checks
   * clean, the console may write, and the file is still what the editor opened.
   */
  async function checkAndSave(
    c: Context<ConsoleEnv>,
    step: {
      view: EditorView;
      file: string;
      current: { text: string; hash: string } | undefined;
      save: boolean;
      /** Read-only console: commit the text to a new git branch instead. */
      branch?: boolean;
      mayName: (name: string) => boolean;
    },
  ): Promise<Response> {
    const { file, current, save, branch } = step;
    let view = step.view;
    if (Buffer.byteLength(view.text) > MAX_MANIFEST_BYTES) {
      return page(
        c,
        { ...view, notice: { kind: 'error', text: `A manifest holds at most ${MAX_MANIFEST_BYTES / 1024} KiB; this text is longer.` } },
        413,
      );
    }
    const isNew = view.base === '';
    const { issues, storage } = await checkText({
      file,
      shown: view.file,
      text: view.text,
      taken: isNew && current !== undefined,
      mayName: step.mayName,
      notYours: (n) => notYours(c, n),
    });
    const renamed = nameIn(view.text);
    view = { ...view, issues, diff: unifiedDiff(view.file, current?.text ?? '', view.text), ...(storage ? { storage } : {}) };
    if (view.readonly && !hasErrors(issues) && view.diff) view = { ...view, branchable: (await gitWorkTree(dirname(file))) !== undefined };
    if (!save && !branch) return page(c, view);
    if (hasErrors(issues))
      return page(
        c,
        { ...view, notice: { kind: 'error', text: 'Not saved: the engine would refuse this text (the errors are below).' } },
        422,
      );
    if (view.pushesTo !== undefined) {
      if (!save) return page(c, view);
      const pushed = await saveByPush({ config: config(), audit, logger, user: c.get('user'), view, file, name: renamed ?? '' });
      return page(c, pushed.view, pushed.status);
    }
    if (view.readonly) {
      const root = branch && view.branchable ? await gitWorkTree(dirname(file)) : undefined;
      if (!root) {
        return page(c, {
          ...view,
          notice: { kind: 'info', text: 'Nothing was written (read-only console): the change is below, for a pull request.' },
        });
      }
      const user = c.get('user');
      const name = renamed ?? 'automation';
      const made = await commitToBranch(
        root,
        file,
        view.text,
        `${isNew ? 'Add' : 'Change'} ${view.file}\n\nWritten in the console by ${user.email}.`,
        `council/${name}-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`,
      );
      audit.record({
        actor: actorOf(user),
        action: 'manifest.branch',
        outcome: 'ok',
        automation: name,
        detail: `${made.branch} ${made.commit.slice(0, 12)}`,
      });
      return page(c, {
        ...view,
        notice: {
          kind: 'ok',
          text: `Committed ${made.commit.slice(0, 12)} on the new branch ${made.branch}; the files here are unchanged. Push it (git push origin ${made.branch}) and open a pull request.`,
        },
      });
    }
    const written =
      (current?.hash ?? '') === view.base
        ? writeManifest(file, view.text, isNew ? undefined : view.base)
        : { written: false as const, now: current };
    if (!written.written) {
      const now = written.now;
      return page(
        c,
        {
          ...view,
          base: now?.hash ?? '',
          diff: unifiedDiff(view.file, now?.text ?? '', view.text),
          notice: {
            kind: 'error',
            text: now
              ? `Not saved: ${view.file} changed on disk since you opened it (a git pull, or another editor). The diff below goes from what is on disk now to your text; Save again to replace it, or reload the editor to start from the new text.`
              : `Not saved: ${view.file} was removed since you opened it.`,
          },
        },
        409,
      );
    }
    const name = renamed ?? '';
    audit.record({
      actor: actorOf(c.get('user')),
      action: isNew ? 'manifest.create' : 'manifest.edit',
      outcome: 'ok',
      automation: name,
      detail: view.file,
    });
    const outcome = await Promise.race([
      edits.reload([file]).then((report) => report.files.find((f) => f.file === file)?.outcome ?? 'unchanged'),
      new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), RELOAD_WAIT_MS).unref()),
    ]);
    return c.redirect(`/console/automations/${name}?${new URLSearchParams({ saved: outcome })}`, 303);
  }
}

const NEW_PURPOSE = { title: 'New automation', action: '/console/new', submit: 'Show the YAML', rows: FIELD_ROWS };

/** A textarea's text as the file should hold it: browsers send CRLF; a file that had none gets none. */
function submittedText(value: unknown, before: string | undefined): string {
  const text = typeof value === 'string' ? value : '';
  return before?.includes('\r\n') ? text : text.replace(/\r\n/g, '\n');
}

function newFile(config: CouncilConfig, name: string): string {
  return join(config.automations, `${name}.yaml`);
}

function connectionList(config: CouncilConfig) {
  return [...config.connections.values()].map((c) => ({ name: c.name, backend: c.backend }));
}

function notYours(c: Context<ConsoleEnv>, name: string): string {
  const mine = c.get('user').automations;
  return c.get('user').role === 'viewer'
    ? 'viewers read only'
    : `you may edit ${mine?.length ? mine.join(', ') : 'no automation'}, not ${name}; an admin can change that`;
}

function onlySome(c: Context<ConsoleEnv>): string {
  return `You may edit only ${c.get('user').automations?.join(', ')}; adding automations needs an editor not limited to some, or an admin.`;
}
