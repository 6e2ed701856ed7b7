import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { CouncilConfig } from '../config/config.ts';
import type { AutomationRegistry } from '../registry/registry.ts';

/**
 * The project's folder: where its config file is; without one, the working directory when
 * the automations folder is inside it (`council serve` run in the project), else the
 * automations folder's parent.
 */
export function projectRoot(config: CouncilConfig): string {
  if (config.file) return path.dirname(config.file);
  const fromCwd = path.relative(process.cwd(), config.automations);
  return fromCwd.startsWith('..') || path.isAbsolute(fromCwd) ? path.dirname(config.automations) : process.cwd();
}

/** `automations/tickets.yaml`: a file as the project (and a pull request) names it. */
export function projectFile(config: CouncilConfig, file: string): string {
  return path.relative(projectRoot(config), file).split(path.sep).join('/');
}

/** The manifest file of automation `name`: the one serving it, or one that failed under that name. */
export function manifestFileOf(registry: AutomationRegistry, name: string): string | undefined {
  return registry.match(name)?.plan.file ?? registry.failures().find((f) => f.name === name)?.file;
}

/**
 * Where a save goes: the automations folder (`write`), nowhere (`readonly`), or a commit
 * pushed to `console.git` (`push`). `auto` is read-only when the automations folder
 * is a git-sync checkout: a path through a symbolic link into a `.worktrees` folder, which
 * the next sync replaces (a file written there would be lost, and never reviewed).
 */
export function consoleMode(config: CouncilConfig): 'write' | 'readonly' | 'push' {
  if (config.console.mode !== 'auto') return config.console.mode;
  try {
    const real = realpathSync(config.automations);
    return real !== path.resolve(config.automations) && real.split(path.sep).includes('.worktrees') ? 'readonly' : 'write';
  } catch {
    return 'write';
  }
}
