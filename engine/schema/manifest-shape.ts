import type { FilterOperator } from '../../adapters/types.ts';
import type { EarlierVersion as EarlierVersionFile, Endpoint, ManifestFile } from './generated/manifest.ts';
import type { JsonSchema, Operation } from './json-schema.ts';

/** A manifest as written (version 1), after it passed the meta-schema. */
export interface Manifest {
  readonly name: string;
  readonly singular?: string;
  readonly description: string;
  /** The latest version, served at /NAME and /vN/NAME; absent: 1. */
  readonly version?: number;
  /** Earlier versions still served, by number (`"1"`). */
  readonly versions?: Readonly<Record<string, EarlierVersion>>;
  readonly storage: {
    readonly backend: string;
    readonly connection?: string;
    readonly migrations?: { readonly drop?: readonly string[]; readonly retype?: readonly string[] };
    readonly ttl?: number;
    readonly unique?: readonly string[];
    readonly indexes?: readonly string[];
    /** Properties stored under another name (`property: storedName`). */
    readonly storedAs?: Readonly<Record<string, string>>;
  };
  readonly requireIfMatch?: boolean;
  readonly rateLimit?: { readonly requests: number; readonly perSeconds: number };
  /** Without it, every endpoint needs an API key with its operation's scope. */
  readonly access?: {
    readonly public?: boolean | readonly Operation[];
    readonly scopes?: Readonly<Partial<Record<Operation, readonly string[]>>>;
  };
  /** Properties holding another automation's record id, by relation name. */
  readonly references?: Readonly<Record<string, ReferenceDeclaration>>;
  readonly schema: JsonSchema;
  readonly endpoints: readonly EndpointDeclaration[];
  /** Breaking changes `council diff` lets through without a new version. */
  readonly acceptedChanges?: readonly { readonly where: string; readonly reason: string }[];
}

/** An earlier version served beside the latest, over the same records. */
export interface EarlierVersion {
  readonly description?: string;
  readonly schema: JsonSchema;
  readonly storedAs?: Readonly<Record<string, string>>;
  /** Absent: the latest's endpoints. */
  readonly endpoints?: readonly EndpointDeclaration[];
  readonly deprecated?: { readonly sunset: string; readonly since?: string; readonly successor?: number };
}

export interface ReferenceDeclaration {
  readonly field: string;
  readonly automation: string;
  readonly onDelete?: 'restrict' | 'cascade' | 'setNull';
  readonly inverse?: string;
}

export interface EndpointDeclaration {
  readonly operation: Operation;
  readonly summary?: string;
  readonly description?: string;
  /** A model must ask its user before calling it (x-openai-isConsequential). */
  readonly consequential?: boolean;
  /** A property name (every operator that applies), or the property with the operators to offer. */
  readonly filters?: readonly (string | FilterDeclaration)[];
  readonly sort?: readonly string[];
  /** Search only: the string properties searched. */
  readonly fields?: readonly string[];
}

export interface FilterDeclaration {
  readonly field: string;
  readonly operators?: readonly FilterOperator[];
}

/** Compiles only when `T` is `true`. */
type Holds<T extends true> = T;
/** Whether two sets of property names are the same. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;

/**
 * `Manifest` is written by hand for its comments and readonly fields; the meta-schema
 * defines it. `tsc` fails here when they disagree: when a manifest the meta-schema accepts
 * is not a `Manifest`, or when either names a property the other lacks (at the top, in
 * `storage`, in an endpoint). The types generated from the schema are `npm run schema-types`.
 */
export type ManifestAgreesWithMetaSchema = [
  Holds<ManifestFile extends Manifest ? true : false>,
  Holds<SameKeys<ManifestFile, Manifest>>,
  Holds<SameKeys<ManifestFile['storage'], Manifest['storage']>>,
  Holds<SameKeys<Endpoint, EndpointDeclaration>>,
  Holds<SameKeys<EarlierVersionFile, EarlierVersion>>,
];
