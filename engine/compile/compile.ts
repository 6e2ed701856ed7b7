import type { FieldSpec, StorageSpec } from '../../adapters/types.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { fieldsOf, propertiesOf } from '../schema/fields.ts';
import { indexedFields } from '../schema/indexed-fields.ts';
import { pascalCase, singularize } from '../schema/naming.ts';
import { compilingAjv } from '../schema/record-ajv.ts';
import { type Reference, referencesOf } from '../schema/references.ts';
import { defaultScope } from '../schema/scopes.ts';
import { compileEndpoint } from './endpoints.ts';
import type { AutomationPlan, Deprecation, EndpointPlan, JsonSchema, Operation, RecordView } from './plan.ts';

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
  const { manifest } = loaded;
  const number = manifest.version ?? 1;
  const spec = storageSpecOf(loaded);
  const latest = compileVersion(loaded, options, spec, { number, latest: true }, manifest.storage.storedAs ?? {});
  const earlier = loaded.versions.map((version) => {
    const shown: LoadedManifest = {
      ...loaded,
      manifest: { ...manifest, description: version.description ?? manifest.description, endpoints: version.endpoints },
      schema: version.schema,
      schemaAt: version.schemaAt,
      validate: version.validate,
      versions: [],
    };
    const deprecation = version.deprecated ? deprecationOf(version.deprecated, manifest.name, number) : undefined;
    return compileVersion(
      shown,
      options,
      spec,
      { number: version.number, latest: false, ...(deprecation ? { deprecation } : {}) },
      version.storedAs,
    );
  });
  return deepFreeze({ ...latest, earlier });
}

/** One version of an automation over the store every version shares. */
function compileVersion(
  loaded: LoadedManifest,
  options: CompileOptions,
  spec: StorageSpec,
  version: AutomationPlan['version'],
  storedAs: Readonly<Record<string, string>>,
): AutomationPlan {
  const { manifest, schema } = loaded;
  const basePath = version.latest ? `/${manifest.name}` : `/v${version.number}/${manifest.name}`;
  const suffix = version.latest ? '' : `V${version.number}`;
  const names = {
    singular: `${pascalCase(manifest.singular ?? singularize(manifest.name))}${suffix}`,
    plural: `${pascalCase(manifest.name)}${suffix}`,
  };
  // The manifest checks validated this schema against the meta-schema already.
  const ajv = compilingAjv();
  const endpoints = manifest.endpoints.map((e) =>
    Object.freeze({
      ...compileEndpoint(e, basePath, names, schema, ajv, manifest.storage.backend, endpointAccess(manifest, e.operation)),
      consequential: isConsequential(e.operation, e.consequential, options.consequentialWrites ?? true),
    }),
  );
  const view = recordView(schema, storedAs, spec);
  return {
    name: manifest.name,
    description: manifest.description,
    basePath,
    file: loaded.file,
    names,
    schema: structuredClone(schema),
    storage: { backend: manifest.storage.backend, connection: manifest.storage.connection ?? manifest.storage.backend, spec },
    endpoints,
    references: versionReferences(referencesOf(manifest), schema, storedAs, loaded.manifest.storage.storedAs ?? {}, version.latest),
    requireIfMatch: manifest.requireIfMatch ?? false,
    ...(manifest.rateLimit ? { rateLimit: { ...manifest.rateLimit } } : {}),
    pagination: { maxResponseChars: DEFAULT_MAX_RESPONSE_CHARS, maxBatch: DEFAULT_MAX_BATCH, ...options.pagination },
    validate: loaded.validate,
    version,
    earlier: [],
    ...(view ? { view } : {}),
  };
}

/**
 * The store every version of the automation shares: the latest's fields and every field
 * only an earlier version has (its records keep them), each under its stored name; what
 * any version lists by, indexed.
 */
function storageSpecOf(loaded: LoadedManifest): StorageSpec {
  const { manifest, schema } = loaded;
  const latestAs = manifest.storage.storedAs ?? {};
  const sides = [
    { schema, endpoints: manifest.endpoints, storedAs: latestAs },
    ...loaded.versions.map((v) => ({ schema: v.schema, endpoints: v.endpoints, storedAs: v.storedAs })),
  ];
  const fields = new Map<string, FieldSpec>();
  const filterable = new Set<string>();
  const sortable = new Set<string>();
  const searchable = new Set<string>();
  for (const side of sides) {
    const stored = (name: string) => side.storedAs[name] ?? name;
    for (const field of fieldsOf(side.schema))
      if (!fields.has(stored(field.name))) fields.set(stored(field.name), { ...field, name: stored(field.name) });
    // Declared indexes and references are named as the latest names its properties; an
    // earlier version adds what its own lists filter and sort by.
    const indexed = indexedFields(
      side === sides[0]
        ? manifest
        : { ...manifest, endpoints: side.endpoints, references: {}, storage: { ...manifest.storage, indexes: [] } },
    );
    for (const f of indexed.filterable) filterable.add(stored(f));
    for (const f of indexed.sortable) sortable.add(stored(f));
    for (const e of side.endpoints) for (const f of e.fields ?? []) searchable.add(stored(f));
  }
  const latestStored = (name: string) => latestAs[name] ?? name;
  return {
    automation: manifest.name,
    collection: manifest.name.replace(/-/g, '_'),
    fields: [...fields.values()],
    // Declared indexes join the filter fields (both want an equality index); createdAt
    // is every list's default order, so it is indexed whenever there is a list.
    filterable: [...filterable],
    sortable: [...sortable],
    searchable: [...searchable],
    migrations: {
      drop: manifest.storage.migrations?.drop ?? [],
      retype: (manifest.storage.migrations?.retype ?? []).map(latestStored),
    },
    ...(manifest.storage.ttl === undefined ? {} : { ttlSeconds: manifest.storage.ttl }),
    unique: (manifest.storage.unique ?? []).map(latestStored),
  };
}

/** How a version shows the shared records, when not as stored: undefined when it shows them as they are. */
function recordView(schema: JsonSchema, storedAs: Readonly<Record<string, string>>, spec: StorageSpec): RecordView | undefined {
  const shown = new Set(Object.keys(propertiesOf(schema)).map((p) => storedAs[p] ?? p));
  const hidden = spec.fields.map((f) => f.name).filter((f) => !shown.has(f));
  const renamed = Object.entries(storedAs).filter(([property, stored]) => property !== stored);
  if (hidden.length === 0 && renamed.length === 0) return undefined;
  return { storedAs: Object.fromEntries(renamed), hidden };
}

/**
 * The references a version can follow: those whose field it has (under its own name).
 * References are declared with the latest's property names.
 */
function versionReferences(
  references: readonly Reference[],
  schema: JsonSchema,
  storedAs: Readonly<Record<string, string>>,
  latestAs: Readonly<Record<string, string>>,
  latest: boolean,
): Reference[] {
  if (latest) return [...references];
  const byStored = new Map(Object.keys(propertiesOf(schema)).map((p) => [storedAs[p] ?? p, p]));
  return references.flatMap((r) => {
    const field = byStored.get(latestAs[r.field] ?? r.field);
    return field === undefined ? [] : [{ ...r, field }];
  });
}

/** A version's deprecation, its days turned into the instants the headers carry. */
function deprecationOf(declared: NonNullable<LoadedManifest['versions'][number]['deprecated']>, name: string, latest: number): Deprecation {
  const successor = declared.successor ?? latest;
  return {
    sunset: declared.sunset,
    // Served through the sunset day (UTC), as RFC 8594's examples end a day.
    sunsetAt: `${declared.sunset}T23:59:59Z`,
    ...(declared.since === undefined ? {} : { since: `${declared.since}T00:00:00Z` }),
    successor,
    successorPath: successor === latest ? `/${name}` : `/v${successor}/${name}`,
  };
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
