import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capabilities } from '../../adapters/capabilities.ts';
import { backendNames } from '../../adapters/index.ts';
import { manifestFiles } from '../manifest/files.ts';
import { readManifestText } from '../manifest/read-text.ts';
import { type AutomationDraft, type FieldDraft, manifestText, starterDraft } from '../manifest/scaffold.ts';
import { AUTOMATION_NAME_PATTERN, singularize } from '../schema/naming.ts';
import { starterTests } from '../testing/starter.ts';
import { newFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';

export const newUsage = `council new NAME [--backend ${backendNames.join('|')}] [--reference RELATION=AUTOMATION[,...]] [--config FILE] [--automations DIR]`;

/** Scaffolds a commented manifest that validates as written (once the automations it refers to exist). */
export async function newCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: newFlags, allowPositionals: true });
  const [name] = positionals;
  if (!name || !AUTOMATION_NAME_PATTERN.test(name))
    throw new UsageError('NAME must be lowercase letters, digits and dashes, starting with a letter (e.g. support-tickets)');
  const backend = values.backend ?? 'postgres';
  if (!backendNames.includes(backend)) {
    throw new UsageError(`--backend must be one of ${backendNames.join(', ')}, got "${backend}"`);
  }
  const references = values.reference === undefined ? [] : referenceFields(name, values.reference);
  const config = projectConfig(values);
  const file = join(config.automations, `${name}.yaml`);
  if (existsSync(file)) {
    console.error(`${file} already exists; choose another name or edit that file`);
    return 1;
  }
  mkdirSync(config.automations, { recursive: true });
  const starter = starterDraft(name, backend, capabilities[backend]?.search === true);
  const draft: AutomationDraft = { ...starter, fields: [...starter.fields, ...references] };
  writeFileSync(file, manifestText(draft));
  console.log(`created ${file}; edit it, then run: council validate ${file}`);
  // Its tests beside it, unless some are there already (never overwritten).
  const tests = join(config.automations, `${name}.test.yaml`);
  if (!existsSync(tests)) {
    writeFileSync(tests, starterTests(name));
    console.log(`created ${tests}; run them with: council test ${tests}`);
  }
  const missing = unknownAutomations(
    config.automations,
    references.map((r) => r.refersTo as string),
  );
  for (const target of missing) {
    console.error(`note: no manifest in ${config.automations} is named "${target}" yet; validate reports reference-unknown until one is`);
  }
  return 0;
}

/** `account=accounts,owner=users`: a field `accountId` referring to accounts, `ownerId` to users. */
function referenceFields(name: string, given: string): FieldDraft[] {
  const one = singularize(name).replace(/-/g, ' ');
  const fields: FieldDraft[] = [];
  for (const pair of given.split(',').map((p) => p.trim())) {
    const [relation = '', automation = '', ...rest] = pair.split('=');
    if (!/^[a-z][a-zA-Z0-9]{0,47}$/.test(relation) || !AUTOMATION_NAME_PATTERN.test(automation) || rest.length) {
      throw new UsageError(
        `--reference takes RELATION=AUTOMATION (e.g. account=accounts): a relation name of letters and digits starting with a lowercase letter, and an automation's name; got "${pair}"`,
      );
    }
    if (relation === 'title' || relation === 'status' || fields.some((f) => f.name === `${relation}Id`)) {
      throw new UsageError(`--reference: "${relation}" is given twice or is the name of a starter field; choose another relation name`);
    }
    fields.push({
      name: `${relation}Id`,
      type: 'string',
      required: false,
      refersTo: automation,
      description: `The id of the ${automation} record this ${one} refers to as its ${relation}.`,
    });
  }
  return fields;
}

/** The automations named that no manifest in the folder declares (a quick look at `name:` lines, not a load). */
function unknownAutomations(folder: string, names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const declared = new Set<string>();
  for (const file of manifestFiles([folder])) {
    const { text } = readManifestText(file);
    const found = text === undefined ? undefined : /^name:\s*["']?([a-z][a-z0-9-]*)/m.exec(text)?.[1];
    if (found) declared.add(found);
  }
  return [...new Set(names)].filter((n) => !declared.has(n));
}
