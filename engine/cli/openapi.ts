import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { didYouMean } from '../errors/did-you-mean.ts';
import { buildOpenApi } from '../openapi/index.ts';
import { automationOpenApi, openApiOptions } from '../server/openapi-view.ts';
import { compileProject } from './compile-project.ts';
import { openapiFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';

/** Writes the OpenAPI document of the valid manifests; exit 1 if any manifest has errors. */
export async function openapiCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: openapiFlags });
  const config = projectConfig(values);
  const { plans, ok } = compileProject(config);
  const only = values.automation === undefined ? undefined : plans.find((p) => p.name === values.automation);
  if (values.automation !== undefined && !only) {
    const names = plans.map((p) => p.name);
    throw new UsageError(
      `no valid automation "${values.automation}"${didYouMean(values.automation, names)}; valid: ${names.join(', ') || '(none)'}`,
    );
  }
  const doc = only ? automationOpenApi(only, config, undefined, plans) : buildOpenApi(plans, openApiOptions(config));
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    console.error(`wrote ${values.out} (${plans.length} automation(s))`);
  } else process.stdout.write(text);
  return ok ? 0 : 1;
}
