import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectionBackends } from '../config/load.ts';
import { formatIssue, type ManifestIssue, sortIssues } from '../manifest/issues.ts';
import { loadManifests } from '../manifest/load.ts';
import { projectConfig, projectOptions } from './options.ts';

export const validateUsage = 'council validate [PATH...] [--config FILE]';

/** Checks manifests (default: the configured automations directory). Exit 1 on any error. */
export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: projectOptions, allowPositionals: true });
  const config = projectConfig(values);
  const result = loadManifests(positionals.length ? positionals : [config.automations], connectionBackends(config));
  printIssues(result.issues);
  const errors = result.issues.filter((i) => i.severity === 'error').length;
  const warnings = result.issues.length - errors;
  const files = new Set([...result.manifests.map((m) => m.file), ...result.issues.map((i) => i.file)]).size;
  console.log(`${files} manifest(s) checked: ${errors} error(s), ${warnings} warning(s)`);
  return errors ? 1 : 0;
}

/** Prints issues as `FILE:LINE:COL: message` with the source line and a caret, on stderr. */
export function printIssues(issues: readonly ManifestIssue[]): void {
  const texts = new Map<string, string | undefined>();
  for (const issue of sortIssues(issues)) {
    if (!texts.has(issue.file)) texts.set(issue.file, readText(issue.file));
    console.error(formatIssue(issue, texts.get(issue.file)));
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
