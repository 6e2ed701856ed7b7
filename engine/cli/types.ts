import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { generateTypes } from '../types/index.ts';
import { compileProject } from './compile-project.ts';
import { typesFlags } from './flags.ts';
import { projectConfig } from './options.ts';

/** Writes `<out>/<name>.ts` with the record and input types of each valid automation (a relation's type imported from the file beside it). */
export async function typesCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: typesFlags });
  const config = projectConfig(values);
  const { plans, ok } = compileProject(config);
  const out = values.out ?? 'types';
  const root = config.file ? dirname(config.file) : process.cwd();
  mkdirSync(out, { recursive: true });
  for (const plan of plans) {
    const file = join(out, `${plan.name}.ts`);
    writeFileSync(file, await generateTypes(plan, relative(root, plan.file).split(sep).join('/'), { related: plans }));
    console.error(`wrote ${file}`);
  }
  return ok ? 0 : 1;
}
