import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capabilities } from '../../adapters/capabilities.ts';
import { backendNames } from '../../adapters/index.ts';
import { manifestText, starterDraft } from '../manifest/scaffold.ts';
import { AUTOMATION_NAME_PATTERN } from '../schema/naming.ts';
import { projectConfig, projectOptions, UsageError } from './options.ts';

export const newUsage = `council new NAME [--backend ${backendNames.join('|')}] [--config FILE] [--automations DIR]`;

/** Scaffolds a commented manifest that validates as written. */
export async function newCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...projectOptions, backend: { type: 'string' } }, allowPositionals: true });
  const [name] = positionals;
  if (!name || !AUTOMATION_NAME_PATTERN.test(name))
    throw new UsageError('NAME must be lowercase letters, digits and dashes, starting with a letter (e.g. support-tickets)');
  const backend = values.backend ?? 'postgres';
  if (!backendNames.includes(backend)) {
    throw new UsageError(`--backend must be one of ${backendNames.join(', ')}, got "${backend}"`);
  }
  const config = projectConfig(values);
  const file = join(config.automations, `${name}.yaml`);
  if (existsSync(file)) {
    console.error(`${file} already exists; choose another name or edit that file`);
    return 1;
  }
  mkdirSync(config.automations, { recursive: true });
  writeFileSync(file, manifestText(starterDraft(name, backend, capabilities[backend]?.search === true)));
  console.log(`created ${file}; edit it, then run: council validate ${file}`);
  return 0;
}
