import type { ValidateFunction } from 'ajv';
import type { FieldKind, FilterOperator, StorageSpec } from '../../adapters/types.ts';
import type { JsonSchema, Operation } from '../schema/json-schema.ts';
import type { Reference } from '../schema/references.ts';

export { ENGINE_FIELDS, type JsonSchema, type Operation } from '../schema/json-schema.ts';
export type { OnDelete, Reference } from '../schema/references.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A field a list endpoint filters on: `?field=value` (eq) and `?field[op]=value`. */
export interface FilterPlan {
  readonly field: string;
  readonly kind: Exclude<FieldKind, 'json'>;
  /** The operators offered on it, in the order of FILTER_OPERATORS. */
  readonly operators: readonly FilterOperator[];
  /** The property's own schema, for documentation (enum, format, description). */
  readonly schema: JsonSchema;
  /** Checks a typed filter value against the property's schema (enum, range, format), compiled once. */
  readonly check: ValidateFunction;
}

export interface EndpointPlan {
  readonly operation: Operation;
  readonly method: HttpMethod;
  /** OpenAPI-style path: `/accounts` or `/accounts/{id}`. */
  readonly path: string;
  /** Stable and unique across automations: `listAccounts`, `getAccount`, ... */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** List only: declared filters, in manifest order. */
  readonly filters: readonly FilterPlan[];
  /** List only: sortable fields (`?sort=name` or `?sort=-name`), in manifest order. */
  readonly sort: readonly string[];
  /** Search only: the string properties whose words `?q=` matches. */
  readonly searchFields: readonly string[];
  /** Public: answered without an API key; otherwise a key must grant every scope listed. */
  readonly access: { readonly public: boolean; readonly scopes: readonly string[] };
  /** A model must ask its user before calling it: published as `x-openai-isConsequential`. */
  readonly consequential: boolean;
}

/**
 * One automation compiled from its manifest, without any I/O. Immutable (frozen):
 * a reload builds a new plan beside the old one rather than editing it.
 */
export interface AutomationPlan {
  readonly name: string;
  readonly description: string;
  /** `/<name>` */
  readonly basePath: string;
  /** Manifest file the plan came from (as given to the loader). */
  readonly file: string;
  /** PascalCase names for schemas and operation ids: `{ singular: 'Account', plural: 'Accounts' }`. */
  readonly names: { readonly singular: string; readonly plural: string };
  /** The resource schema of one record, as written (engine fields not included). */
  readonly schema: JsonSchema;
  readonly storage: {
    readonly backend: string;
    /** Name of the connection in council.config.yaml. */
    readonly connection: string;
    readonly spec: StorageSpec;
  };
  readonly endpoints: readonly EndpointPlan[];
  /**
   * Properties holding another automation's record id (`references:`), in manifest order.
   * The referred automations are looked up when a request needs them: each reloads on its own.
   */
  readonly references: readonly Reference[];
  /** `maxResponseChars`: lists stop before the record that would make the JSON body longer. */
  readonly pagination: {
    readonly defaultLimit: number;
    readonly maxLimit: number;
    readonly maxResponseChars: number;
    /** Most operations one `POST /NAME/batch` carries. */
    readonly maxBatch: number;
  };
  /** Requests per client per window; absent: the config's default. */
  readonly rateLimit?: { readonly requests: number; readonly perSeconds: number };
  /** Update, replace and delete need `If-Match` (428 without). */
  readonly requireIfMatch: boolean;
  /** Validates (and fills defaults into) a full record body; compiled once. */
  readonly validate: ValidateFunction;
  /** Which version of the automation this plan serves: the latest at /NAME (and /vN/NAME), an earlier one at /vN/NAME only. */
  readonly version: { readonly number: number; readonly latest: boolean; readonly deprecation?: Deprecation };
  /** The earlier versions served beside the latest, latest first, over the same store; empty on an earlier one. */
  readonly earlier: readonly AutomationPlan[];
  /** Present when this version shows the shared records otherwise than they are stored. */
  readonly view?: RecordView;
}

/**
 * How a version shows records stored for every version of its automation: properties it
 * renamed, and stored fields it does not have (another version's), which it never shows
 * and which its writes keep as they are.
 */
export interface RecordView {
  /** Property -> the name it is stored under (renamed ones only). */
  readonly storedAs: Readonly<Record<string, string>>;
  /** Stored fields this version does not show. */
  readonly hidden: readonly string[];
}

/** An earlier version callers should move off, and until when it serves. */
export interface Deprecation {
  /** The last day served, `YYYY-MM-DD` (UTC), as the manifest says it. */
  readonly sunset: string;
  /** The last second served: the Sunset header; after it, 410. */
  readonly sunsetAt: string;
  /** When it was deprecated (the Deprecation header), if the manifest says. */
  readonly since?: string;
  readonly successor: number;
  /** Where the successor is served: `/accounts` (the latest) or `/v2/accounts`. */
  readonly successorPath: string;
}
