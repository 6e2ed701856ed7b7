import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capabilities } from '../../adapters/capabilities.ts';
import { backendNames } from '../../adapters/index.ts';
import { AUTOMATION_NAME_PATTERN, singularize } from '../schema/naming.ts';
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
  writeFileSync(file, scaffold(name, backend));
  console.log(`created ${file}; edit it, then run: council validate ${file}`);
  return 0;
}

function scaffold(name: string, backend: string): string {
  const one = singularize(name).replace(/-/g, ' ');
  return `# ${name}: one automation = one YAML file. Reference: documents/manifest.md
name: ${name}                # lowercase, digits, dashes; served under /${name}
description: >-              # models read this to decide when to call the API: say what and why
  ${capitalize(name.replace(/-/g, ' '))} that assistants can list, read and update.
storage:
  backend: ${backend}          # memory (nothing persists) | postgres (embedded unless DATABASE_URL is set) | redis, mongodb, opensearch, dynamodb (REDIS_URL, MONGODB_URL, OPENSEARCH_URL, DYNAMODB_ENDPOINT; memory without it)
schema:                      # JSON Schema (draft 2020-12) of one ${one}; id, createdAt, updatedAt are added for you
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title:
      type: string
      minLength: 1
      maxLength: 200         # lists sort by it, so it is indexed, and a bound tells a model how long it may be (council validate warns without one)
      description: Short human-readable title of the ${one}.
    status:
      type: string
      enum: [open, done]
      default: open
      description: Whether the ${one} still needs attention.
endpoints:
  - operation: list          # GET    /${name}?status=open&sort=-createdAt&limit=20
    filters: [status]
    sort: [title, createdAt]
  - operation: get           # GET    /${name}/{id}
  - operation: create        # POST   /${name}
  - operation: update        # PATCH  /${name}/{id}  (merge patch; null removes a field)
  - operation: replace       # PUT    /${name}/{id}
  - operation: delete        # DELETE /${name}/{id}
${capabilities[backend]?.search ? `  - operation: search        # GET    /${name}/search?q=words  (best matches first)\n    fields: [title]\n` : ''}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
