import type { StorageSpec } from '../../adapters/types.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { fieldsOf } from '../schema/fields.ts';
import { indexedFields } from '../schema/indexed-fields.ts';
import { pascalCase, singularize } from '../schema/naming.ts';
import { compilingAjv } from '../schema/record-ajv.ts';
import { referencesOf } from '../schema/references.ts';
import { defaultScope } from '../schema/scopes.ts';
import { compileEndpoint } from './endpoints.ts';
import type { AutomationPlan, EndpointPlan, Operation } from './plan.ts';

/** Well under the 100,000 characters a GPT Action reads of a response. */
export const DEFAULT_MAX_RESPONSE_CHARS = 50_000;

/** Operations one batch request carries unless the config says (`pagination.maxBatch`). */
export const DEFAULT_MAX_BATCH = 100;

export interface CompileOptions {
  readonly pagination: {
    readonly defaultLimit: number;
    readonly maxLimit: number;
    readonly maxResponseChars?: number;
    readonly maxBatch?: number;
  };
  /** Whether create, update and replace are consequential unless a manifest says (default true). */
  readonly consequentialWrites?: boolean;
}

/**
 * Compiles a checked manifest into an immutable plan: routes, operation ids, storage
 * spec and the compiled record validator. Pure: no I/O, so it can run beside a serving
 * version of the same automation and be thrown away if anything later fails.
 */
export function compileAutomation(loaded: LoadedManifest, options: CompileOptions): AutomationPlan {
  const { manifest, schema } = loaded;
  const basePath = `/${manifest.name}`;
  const names = {
    singular: pascalCase(manifest.singular ?? singularize(manifest.name)),
    plural: pascalCase(manifest.name),
  };
  // The manifest checks validated this schema against the meta-schema already.
  const ajv = compilingAjv();
  const endpoints = manifest.endpoints.map((e) =>
    Object.freeze({
      ...compileEndpoint(e, basePath, names, schema, ajv, manifest.storage.backend, endpointAccess(manifest, e.operation)),
      consequential: isConsequential(e.operation, e.consequential, options.consequentialWrites ?? true),
    }),
  );
  const spec: StorageSpec = {
    automation: manifest.name,
    collection: manifest.name.replace(/-/g, '_'),
    fields: fieldsOf(schema),
    // Declared indexes join the filter fields (both want an equality index); createdAt
    // is every list's default order, so it is indexed whenever there is a list.
    ...indexedFields(manifest),
    searchable: endpoints.flatMap((e) => e.searchFields),
    migrations: { drop: manifest.storage.migrations?.drop ?? [], retype: manifest.storage.migrations?.retype ?? [] },
    ...(manifest.storage.ttl === undefined ? {} : { ttlSeconds: manifest.storage.ttl }),
    unique: manifest.storage.unique ?? [],
  };
  return deepFreeze({
    name: manifest.name,
    description: manifest.description,
    basePath,
    file: loaded.file,
    names,
    schema: structuredClone(schema),
    storage: { backend: manifest.storage.backend, connection: manifest.storage.connection ?? manifest.storage.backend, spec },
    endpoints,
    references: referencesOf(manifest),
    requireIfMatch: manifest.requireIfMatch ?? false,
    ...(manifest.rateLimit ? { rateLimit: { ...manifest.rateLimit } } : {}),
    pagination: { maxResponseChars: DEFAULT_MAX_RESPONSE_CHARS, maxBatch: DEFAULT_MAX_BATCH, ...options.pagination },
    validate: loaded.validate,
  });
}

/**
 * Reads never need the user's confirmation and a delete always does; writes follow the
 * manifest, else the config. (The manifest checks refuse `consequential: false` on a delete.)
 */
function isConsequential(operation: Operation, declared: boolean | undefined, writes: boolean): boolean {
  // A batch may delete, and does many writes a model cannot take back one by one.
  if (operation === 'delete' || operation === 'batch') return true;
  if (operation === 'list' || operation === 'get' || operation === 'search') return declared ?? false;
  return declared ?? writes;
}

/** Locked by default: public only where the manifest says so; scopes from `access.scopes` or the operation's default. */
function endpointAccess(manifest: LoadedManifest['manifest'], operation: Operation): EndpointPlan['access'] {
  const open = manifest.access?.public;
  return {
    public: open === true || (Array.isArray(open) && open.includes(operation)),
    // A batch needs no scope of its own by default: each operation in it needs its endpoint's.
    scopes: manifest.access?.scopes?.[operation] ?? (operation === 'batch' ? [] : [defaultScope(manifest.name, operation)]),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) if (typeof child !== 'function') deepFreeze(child);
  }
  return value;
}
