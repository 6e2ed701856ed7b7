import { resolve } from 'node:path';
import type { parseArgs } from 'node:util';
import type { CommandLineSetting, CouncilConfig } from '../config/config.ts';
import { loadConfig } from '../config/load.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { projectFlags } from './flags.ts';
import { printIssues } from './print-issues.ts';

/** Options every command that reads the project accepts (described in flags.ts). */
export const projectOptions = projectFlags;

export type ParsedArgs = ReturnType<typeof parseArgs>;

/** Loads council.config.yaml (or defaults) and applies `--automations` / `--data`; exits 1 on config errors. */
export function projectConfig(
  values: { config?: unknown; automations?: unknown; data?: unknown },
  report: (issues: readonly ManifestIssue[]) => void = printIssues,
): CouncilConfig {
  const { config, issues } = loadConfig(values.config as string | undefined);
  if (!config) {
    report(issues);
    process.exit(1);
  }
  const given = {
    ...(typeof values.automations === 'string' ? { automations: resolve(values.automations) } : {}),
    ...(typeof values.data === 'string' ? { dataDir: resolve(values.data) } : {}),
  };
  const commandLine = Object.keys(given) as CommandLineSetting[];
  return { ...config, ...given, ...(commandLine.length ? { commandLine } : {}) };
}

// Where the commands have always found it; main imports it from its own file, without the config loader.
export { UsageError } from './usage-error.ts';
