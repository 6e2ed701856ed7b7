import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { linearRegExp } from './linear-regexp.ts';

/**
 * A fresh ajv for one automation's resource schema. One instance per automation keeps
 * `$id`s of different manifests from clashing and lets a replaced automation's compiled
 * code be garbage-collected with it. Strict mode catches typos such as `minLenght`;
 * OpenAPI's `example` annotation stays allowed (ajv cannot allow a whole `x-` family).
 * Patterns run in linear time (see {@link linearRegExp}).
 */
export function createRecordAjv(options: { validateSchema?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    // Checking a schema against the draft 2020-12 meta-schema compiles that meta-schema
    // anew in every instance (~10 ms); callers that checked the schema already skip it.
    validateSchema: options.validateSchema ?? true,
    // Nor does such an instance need the meta-schemas added (half of what a new instance costs).
    meta: options.validateSchema ?? true,
    allErrors: true,
    useDefaults: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    messages: true,
    verbose: true,
    code: { regExp: linearRegExp },
  });
  addFormats.default(ajv);
  ajv.addKeyword('example');
  return ajv;
}
