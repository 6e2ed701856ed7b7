import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { packageJson } from './package-file.ts';

/**
 * The meta-schemas in `schemas/` and the ajv options each is compiled with. `npm run build`
 * (bin/build.mjs) compiles them ahead of time into `dist/meta-schemas/<name>.cjs` with these
 * same options, so the compiled engine starts without running ajv's compiler (about 90 ms
 * each); run from the sources, they are compiled on first use.
 */
export const META_SCHEMAS = {
  manifest: { file: 'manifest.schema.json', options: { allErrors: true, verbose: true, strict: true } },
  // Environment values are strings; coercion turns PORT=8080 into the integer the schema wants.
  config: { file: 'config.schema.json', options: { allErrors: true, verbose: true, useDefaults: true, coerceTypes: true } },
  tests: { file: 'tests.schema.json', options: { allErrors: true, verbose: true, strict: true } },
} as const;

export type MetaSchemaName = keyof typeof META_SCHEMAS;

const compiled = new Map<MetaSchemaName, ValidateFunction>();

/** The validator for one meta-schema: precompiled when running from dist/, else compiled once here. */
export function metaSchemaValidator(name: MetaSchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    validate =
      precompiled(name) ?? new Ajv2020(META_SCHEMAS[name].options).compile(packageJson<object>(`schemas/${META_SCHEMAS[name].file}`));
    compiled.set(name, validate);
  }
  return validate;
}

function precompiled(name: MetaSchemaName): ValidateFunction | undefined {
  // Only the compiled engine uses them: from the sources, schemas/ may be newer than dist/.
  if (!import.meta.url.endsWith('.js')) return undefined;
  try {
    const module = createRequire(import.meta.url)(`../meta-schemas/${name}.cjs`) as { default: ValidateFunction };
    return module.default;
  } catch {
    return undefined;
  }
}
