import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { linearRegExp } from './linear-regexp.ts';

/** How many callers of {@link compilingAjv} share one instance before the next gets a new one. */
const SHARED_USES = 64;

let shared: Ajv2020 | undefined;
let uses = 0;

/**
 * An ajv to compile schemas already checked against the meta-schema (a manifest's record
 * schema, its filters' checkers), shared by up to 64 callers: a new instance costs about
 * as much as compiling a small schema, and with 1,000 automations two per automation
 * were a tenth of the start. Each compile leaves its schema in the instance (verbose errors
 * point at it), so an instance is retired after 64 callers: a replaced automation's code
 * keeps at most that many others' alive. `addUsedSchema: false` keeps compiled schemas out
 * of the instance's registry of `$id`s, so two manifests with one `$id` never clash.
 */
export function compilingAjv(): Ajv2020 {
  if (!shared || uses >= SHARED_USES) {
    shared = createRecordAjv({ validateSchema: false, addUsedSchema: false });
    uses = 0;
  }
  uses++;
  return shared;
}

/**
 * A fresh ajv for resource schemas (see {@link compilingAjv} for the shared one). Strict mode catches typos such as `minLenght`;
 * OpenAPI's `example` annotation stays allowed (ajv cannot allow a whole `x-` family).
 * Patterns run in linear time (see {@link linearRegExp}).
 */
export function createRecordAjv(options: { validateSchema?: boolean; addUsedSchema?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    // Checking a schema against the draft 2020-12 meta-schema compiles that meta-schema
    // anew in every instance (~10 ms); callers that checked the schema already skip it.
    validateSchema: options.validateSchema ?? true,
    // Nor does such an instance need the meta-schemas added (half of what a new instance costs).
    meta: options.validateSchema ?? true,
    addUsedSchema: options.addUsedSchema ?? true,
    allErrors: true,
    useDefaults: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    messages: true,
    verbose: true,
    // ajv's optimizing pass over the generated code took a third of each compile (a tenth of
    // a start with 1,000 automations); the validators it left ran no faster (49-53 ns
    // against 52-61 ns a small record, 1,000 compiles each).
    code: { regExp: linearRegExp, optimize: false },
  });
  addFormats.default(ajv);
  ajv.addKeyword('example');
  return ajv;
}
