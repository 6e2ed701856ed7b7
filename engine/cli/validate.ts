import { parseArgs } from 'node:util';
import { compileAutomation } from '../compile/compile.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import { loadManifests } from '../manifest/load.ts';
import { mcpToolIssues } from '../mcp/tool-issues.ts';
import { gptProfileIssues } from '../openapi/gpt-issues.ts';
import { automationOpenApi } from '../server/openapi-view.ts';
import { validateFlags } from './flags.ts';
import { ISSUE_FORMATS, type IssueFormat, writeIssues } from './issue-formats.ts';
import { projectConfig, UsageError } from './options.ts';
import { checkStores } from './store-check.ts';

/**
 * Checks manifests (default: the configured automations directory), then each valid
 * one's GPT profile and MCP tools against the model clients' rules (warnings, or errors with `--profile gpt`) and, unless `--no-store`,
 * what its store would refuse (see checkStores). Exit 1 on any error.
 */
export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: validateFlags,
    allowPositionals: true,
  });
  if (values.profile !== undefined && values.profile !== 'gpt') throw new UsageError(`--profile takes "gpt", got "${values.profile}"`);
  const format = (values.format ?? 'human') as IssueFormat;
  if (!ISSUE_FORMATS.includes(format)) throw new UsageError(`--format takes ${ISSUE_FORMATS.join(', ')}; got "${values.format}"`);
  const config = projectConfig(values, (issues) => writeIssues({ issues, files: 0 }, format, ''));
  const result = loadManifests(positionals.length ? positionals : [config.automations], connectionBackends(config));
  const checked = result.manifests.map((loaded) => ({ loaded, plan: compileAutomation(loaded, compileOptions(config)) }));
  const stores = values['no-store'] || checked.length === 0 ? undefined : await checkStores(config, checked);
  const severity = values.profile === 'gpt' ? 'error' : 'warning';
  const plans = checked.map((c) => c.plan);
  const issues = [
    ...result.issues,
    ...checked.flatMap(({ loaded, plan }) => [
      ...gptProfileIssues(loaded, plan, automationOpenApi(plan, config, undefined, plans), severity),
      ...mcpToolIssues(loaded, plan, severity),
    ]),
    ...(stores?.issues ?? []),
  ];
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const summary = `${stores ? `${stores.summary}\n` : ''}${result.files.length} manifest(s) checked: ${errors} error(s), ${warnings} warning(s)`;
  writeIssues({ issues, files: result.files.length }, format, summary);
  return errors ? 1 : 0;
}

function compileOptions(config: CouncilConfig) {
  return { pagination: config.pagination, consequentialWrites: config.gpt.consequentialWrites };
}
