import { parseArgs } from 'node:util';
import { connectionBackends } from '../config/load.ts';
import { loadManifests } from '../manifest/load.ts';
import { projectConfig, projectOptions } from './options.ts';
import { printIssues } from './print-issues.ts';

export const validateUsage = 'council validate [PATH...] [--config FILE] [--automations DIR]';

/** Checks manifests (default: the configured automations directory). Exit 1 on any error. */
export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: projectOptions, allowPositionals: true });
  const config = projectConfig(values);
  const result = loadManifests(positionals.length ? positionals : [config.automations], connectionBackends(config));
  printIssues(result.issues);
  const errors = result.issues.filter((i) => i.severity === 'error').length;
  const warnings = result.issues.length - errors;
  console.log(`${result.files.length} manifest(s) checked: ${errors} error(s), ${warnings} warning(s)`);
  return errors ? 1 : 0;
}
