import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildOpenApi } from '../openapi/index.ts';
import { openApiOptions } from '../server/openapi-view.ts';
import { compileProject } from './compile-project.ts';
import { projectConfig, projectOptions } from './options.ts';

export const openapiUsage = 'council openapi [--out FILE] [--config FILE] [--automations DIR]';

/** Writes the OpenAPI document of the valid manifests; exit 1 if any manifest has errors. */
export async function openapiCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...projectOptions, out: { type: 'string' } } });
  const config = projectConfig(values);
  const { plans, ok } = compileProject(config);
  const text = `${JSON.stringify(buildOpenApi(plans, openApiOptions(config)), null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    console.error(`wrote ${values.out} (${plans.length} automation(s))`);
  } else process.stdout.write(text);
  return ok ? 0 : 1;
}
