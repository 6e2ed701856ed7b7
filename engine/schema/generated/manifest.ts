// Generated from schemas/manifest.schema.json by scripts/schema-types.mjs (npm run schema-types): do not edit.

/**
 * One YAML file in automations/ describing one automation: its records, where they are stored, and the HTTP endpoints that serve them.
 */
export interface ManifestFile {
/**
 * Unique automation name; also its base path (/NAME).
 */
name: string
/**
 * Name of one record (e.g. `person` for `people`), used in operation ids and schema names. Default: NAME with a trailing plural `s` removed.
 */
singular?: string
/**
 * What the automation is for, written for the model that will call it.
 */
description: string
/**
 * This manifest's version, the latest: served at /NAME and at /vVERSION/NAME. Raise it for a change that would break callers, and keep the previous shape under `versions:` while they move (see documents/versioning.md).
 */
version?: number
/**
 * Earlier versions still served, by number, each at /vN/NAME over the same records. Each keeps its own record schema; whatever it leaves out it inherits from the latest.
 */
versions?: {
[k: string]: EarlierVersion
}
storage: {
backend: ("memory" | "postgres" | "redis" | "mongodb" | "opensearch" | "elasticsearch" | "dynamodb")
/**
 * Name of a connection under `connections:` in council.config.yaml. Default: the connection named like the backend.
 */
connection?: string
/**
 * Changes to an existing PostgreSQL table that lose values, allowed one property at a time. Without them such a change is refused and the previous version keeps serving.
 */
migrations?: {
/**
 * Removed properties whose columns may be dropped with their values.
 */
drop?: string[]
/**
 * Declared properties whose stored values may be converted to the type the schema now gives them.
 */
retype?: string[]
}
/**
 * Seconds a record lives after its last write (create, update or replace); then it is gone from get and list. Backends that can expire records only (redis).
 */
ttl?: number
/**
 * Properties no two records may share a value of (a unique index where the backend has indexes). A write that would repeat a value gets 409.
 */
unique?: string[]
/**
 * Properties worth an index beyond the ones list filters and sorts already index (for example a field other systems query the table by). A real index on postgres; memory keeps no indexes.
 */
indexes?: string[]
/**
 * Properties kept in the store under another name, as `property: storedName`: a property renamed in a new version keeps reading the values stored under its old name.
 */
storedAs?: {
[k: string]: string
}
}
/**
 * Writes (update, replace, delete) must send If-Match with the record's ETag, so no client overwrites a change it has not seen (428 without it, 412 when stale).
 */
requireIfMatch?: boolean
/**
 * Who may call the endpoints. Without it every endpoint needs an API key with the operation's scope (NAME:read for list, get and search; NAME:write for create, update and replace; NAME:delete for delete).
 */
access?: {
/**
 * true: every endpoint answers without a key; a list of operations: those do. `council validate` warns about each public endpoint.
 */
public?: (boolean | [("list" | "get" | "create" | "update" | "replace" | "delete" | "search" | "batch" | "upsert"), ...(("list" | "get" | "create" | "update" | "replace" | "delete" | "search" | "batch" | "upsert"))[]])
/**
 * The scopes an operation needs instead of its default, e.g. delete: [accounts:admin]. A key needs all of them; `*` and NAME:* grant everything (on NAME).
 */
scopes?: {
/**
 * @minItems 1
 */
[k: string]: [string, ...(string)[]]
}
}
/**
 * Requests each client (API key, or address without one) may make to this automation per window; past it, 429 with Retry-After. Default: the config's rateLimit (600 per 60 s).
 */
rateLimit?: {
/**
 * Requests allowed in the window (also the largest burst).
 */
requests: number
/**
 * The window, in seconds.
 */
perSeconds: number
}
/**
 * Properties that hold the id of another automation's record, by relation name: `?expand=NAME` embeds that record, writes check that it exists, and the other automation lists the records that refer to one of its own at /OTHER/{id}/INVERSE.
 */
references?: {
[k: string]: {
/**
 * The top-level string property holding the other record's id, e.g. accountId.
 */
field: string
/**
 * The automation whose records it refers to, e.g. accounts.
 */
automation: string
/**
 * What deleting the referred record does to the records that refer to it: restrict (refused with 409 while any refer), cascade (they are deleted first), setNull (the field is removed from them first).
 */
onDelete?: ("restrict" | "cascade" | "setNull")
/**
 * Path segment of the reverse list at /AUTOMATION/{id}/INVERSE. Default: this automation's name.
 */
inverse?: string
}
}
/**
 * JSON Schema (draft 2020-12) of one record: inline, or `{ $ref: <file> }` relative to this manifest.
 */
schema: {

}
/**
 * @minItems 1
 */
endpoints: [Endpoint, ...(Endpoint)[]]
/**
 * Breaking changes `council diff` lists that this change means to make without raising `version`, each named by where the diff reports it, with why.
 */
acceptedChanges?: {
/**
 * Where `council diff` reports the change, e.g. `POST /accounts request body /nickname`.
 */
where: string
/**
 * Why callers will not be hurt.
 */
reason: string
}[]
}
export interface EarlierVersion {
/**
 * What this version is, for its callers (default: the automation's description).
 */
description?: string
/**
 * JSON Schema of one record as this version shows it: inline, or `{ $ref: <file> }`.
 */
schema: {

}
/**
 * Properties kept in the store under another name, as `property: storedName`: a property renamed in a new version keeps reading the values stored under its old name.
 */
storedAs?: {
[k: string]: string
}
/**
 * This version's endpoints (default: the latest's).
 * 
 * @minItems 1
 */
endpoints?: [Endpoint, ...(Endpoint)[]]
/**
 * Callers should move: answers carry Deprecation, Sunset and a Link to the successor; after the sunset day (UTC) this version answers 410.
 */
deprecated?: {
/**
 * The last day (UTC) this version serves, YYYY-MM-DD.
 */
sunset: string
/**
 * The day it was deprecated, YYYY-MM-DD (the Deprecation header). Default: when the engine loaded the manifest.
 */
since?: string
/**
 * The version callers should move to (default: the latest).
 */
successor?: number
}
}
export interface Endpoint {
operation: ("list" | "get" | "create" | "update" | "replace" | "delete" | "search" | "batch" | "upsert")
summary?: string
description?: string
/**
 * Whether a model must ask its user before calling this endpoint (`x-openai-isConsequential` in OpenAPI). Default: false for list, get and search; true for delete (always); for create, update and replace, the config's `gpt.consequentialWrites` (default true).
 */
consequential?: boolean
/**
 * list only: properties the list filters on. A name alone offers every operator the backend has for the property's type (?field=value is eq; ?field[gt]=, [in]=a,b, [contains]=, [exists]=true...); `{ field, operators }` offers only those.
 */
filters?: (string | {
field: string
/**
 * @minItems 1
 */
operators?: [("eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "contains" | "exists"), ...(("eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "contains" | "exists"))[]]
})[]
/**
 * list only: fields usable in ?sort=field or ?sort=-field (descending). Properties of the schema, or id, createdAt, updatedAt. The default order is createdAt ascending.
 */
sort?: string[]
/**
 * search only: the string properties whose words GET /<name>/search?q= matches.
 * 
 * @minItems 1
 */
fields?: [string, ...(string)[]]
}
