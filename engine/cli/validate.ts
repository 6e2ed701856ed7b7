import { parseArgs } from 'node:util';
import { compileAutomation } from '../compile/compile.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import type { ManifestIssue } from '../manifest/issues.ts';
import { loadManifests } from '../manifest/load.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { mcpToolIssues } from '../mcp/tool-issues.ts';
import { gptProfileIssues } from '../openapi/gpt-issues.ts';
import { automationOpenApi } from '../server/openapi-view.ts';
import { projectConfig, projectOptions, UsageError } from './options.ts';
import { printIssues } from './print-issues.ts';

export const validateUsage = 'council validate [PATH...] [--profile gpt] [--config FILE] [--automations DIR]';
export const lintUsage = 'council lint [PATH...] [--profile gpt] [--config FILE] [--automations DIR]   (same as validate)';

/**
 * Checks manifests (default: the configured automations directory), then each valid
 * one's GPT profile: warnings, or errors with `--profile gpt`. Exit 1 on any error.
 */
export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...projectOptions, profile: { type: 'string' } },
    allowPositionals: true,
  });
  if (values.profile !== undefined && values.profile !== 'gpt') throw new UsageError(`--profile takes "gpt", got "${values.profile}"`);
  const config = projectConfig(values);
  const result = loadManifests(positionals.length ? positionals : [config.automations], connectionBackends(config));
  const issues = [
    ...result.issues,
    ...result.manifests.flatMap((m) => gptIssues(m, config, values.profile === 'gpt' ? 'error' : 'warning')),
  ];
  printIssues(issues);
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  console.log(`${result.files.length} manifest(s) checked: ${errors} error(s), ${warnings} warning(s)`);
  return errors ? 1 : 0;
}

function gptIssues(loaded: LoadedManifest, config: CouncilConfig, severity: 'error' | 'warning'): ManifestIssue[] {
  const plan = compileAutomation(loaded, { pagination: config.pagination, consequentialWrites: config.gpt.consequentialWrites });
  return [...gptProfileIssues(loaded, plan, automationOpenApi(plan, config), severity), ...mcpToolIssues(loaded, plan, severity)];
}
