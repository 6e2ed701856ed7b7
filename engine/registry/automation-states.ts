import path from 'node:path';
import type { AutomationRegistry } from './registry.ts';

/** One automation file as an operator sees it: serving, degraded (an older version serves), invalid or unavailable. */
export type AutomationState =
  | {
      readonly name: string;
      readonly state: 'serving' | 'degraded';
      readonly file: string;
      readonly path: string;
      readonly backend: string;
      readonly connection: string;
      readonly version: string;
      readonly loadedAt: string;
      /** Why the file's latest text is not what serves (degraded only). */
      readonly errors?: readonly string[];
      readonly failedAt?: string;
    }
  | {
      readonly name?: string;
      readonly state: 'invalid' | 'unavailable';
      readonly file: string;
      readonly errors: readonly string[];
      readonly failedAt: string;
    };

/**
 * Every automation file's state, serving ones first: what `/health` and the console list.
 * File paths (also where they start lines of `errors`) are relative to `root`, the project's folder.
 */
export function automationStates(registry: AutomationRegistry, root: string): AutomationState[] {
  const relative = projectRelative(root);
  const mounted = registry.serving();
  const servingFiles = new Set(mounted.map((m) => m.plan.file));
  const serving = mounted.map((m): AutomationState => {
    const failure = registry.failureOf(m.plan.file);
    return {
      name: m.plan.name,
      state: failure ? 'degraded' : 'serving',
      file: relative(m.plan.file),
      path: m.plan.basePath,
      backend: m.plan.storage.backend,
      connection: m.plan.storage.connection,
      version: m.version,
      loadedAt: m.loadedAt,
      ...(failure ? { errors: failure.errors.map(relative), failedAt: failure.at } : {}),
    };
  });
  const failed = registry
    .failures()
    .filter((f) => !servingFiles.has(f.file))
    .map(
      (f): AutomationState => ({
        ...(f.name ? { name: f.name } : {}),
        state: f.state,
        file: relative(f.file),
        errors: f.errors.map(relative),
        failedAt: f.at,
      }),
    );
  return [...serving, ...failed];
}

/** `/srv/shop/automations/a.yaml` → `automations/a.yaml`, also where such paths start lines of text (`FILE:LINE:COL: …`). */
function projectRelative(root: string): (text: string) => string {
  const prefix = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  return (text) => text.replaceAll(prefix, '');
}
