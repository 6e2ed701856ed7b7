/**
 * Every error code theCouncil emits, with the one-line meaning documented in
 * documents/errors.md (a test keeps the two in step). Codes are never reused:
 * retire one by leaving it out, never by giving it a new meaning.
 */
export const manifestIssueCodes = {
  'gpt-operation-id': 'An operationId does not match ^[a-zA-Z0-9_-]{1,64}$, as GPT Actions require (GPT profile).',
  'gpt-description-too-long': 'An operation summary or description is over the 300 characters GPT Actions accept (GPT profile).',
  'gpt-parameter-too-long': 'A parameter description is over the 700 characters GPT Actions accept (GPT profile).',
  'gpt-header': 'An operation needs a header other than the API key, which GPT Actions cannot send (GPT profile).',
  'gpt-too-many-operations': 'A document has more than the 30 operations a GPT Action imports (GPT profile).',
  'gpt-description-missing': 'A schema property has no description for a model to go by (GPT profile).',
  'gpt-example-missing': 'A property with a pattern has no example of a valid value (GPT profile).',
  'mcp-tool-name': 'An MCP tool name (the operationId) is not one Claude, Gemini and OpenAI all accept (GPT profile).',
  'mcp-property-name': 'An object has property names model clients reject in tool inputs, so MCP tools take it as JSON text (GPT profile).',
  'mcp-schema-unsupported':
    'A part of the record schema that the JSON Schema subset model clients accept cannot describe, so MCP tools take it as JSON text (GPT profile).',
  'mcp-schema-too-large': 'A tool input is beyond what OpenAI strict mode takes (nesting, properties, enum values) (GPT profile).',
  'gpt-max-length-missing': 'A string property has no maxLength, so a model cannot tell how long it may grow (GPT profile).',
  'gpt-max-items-missing': 'An array property has no maxItems, so a model cannot tell how many items it may hold (GPT profile).',
  'file-unreadable': 'The manifest or a file it references could not be read.',
  'file-encoding': 'The manifest or a file it references is not valid UTF-8.',
  'manifest-too-large': 'The manifest or a file it references is larger than 512 KiB.',
  'yaml-syntax': 'The file is not valid YAML (or holds more than one document).',
  'manifest-schema': 'The manifest does not match the manifest meta-schema.',
  'schema-ref-unresolved': 'The `schema: { $ref }` file does not exist or could not be parsed.',
  'schema-invalid': 'The resource schema is not a valid JSON Schema (draft 2020-12).',
  'pattern-unsupported':
    'A regex `pattern` in the schema uses syntax the linear-time engine (RE2) lacks, such as lookaround or backreferences, or is too long.',
  'schema-default-invalid': 'A property `default` does not satisfy the property schema itself.',
  'schema-not-object': 'The resource schema does not describe an object with properties.',
  'property-reserved': 'The resource schema declares a field the engine manages (id, createdAt, updatedAt).',
  'property-name-invalid': 'A top-level property name cannot be used as a column and query parameter name.',
  'endpoint-duplicate': 'Two endpoints declare the same operation.',
  'endpoint-option-misplaced': 'An option (filters, sort, fields) is set on an operation that does not use it.',
  'filter-unknown-field': 'A filter names a field the resource schema does not declare.',
  'filter-not-scalar': 'A filter names a field that is not a string, integer, number or boolean.',
  'filter-name-reserved': 'A filter field is named like a reserved query parameter (limit, cursor, sort, fields, count).',
  'filter-duplicate': 'A list declares the same filter field twice.',
  'filter-operator-invalid': 'A filter lists an operator that does not apply to its property type (e.g. contains on a number).',
  'search-invalid': 'A search endpoint has no `fields`, or names a field that is not a string property.',
  'batch-invalid': 'A batch endpoint is declared without any of create, update, replace or delete for it to carry.',
  'upsert-invalid': 'An upsert endpoint is declared without a `storage.unique` field to find the record by.',
  'sort-unknown-field': 'A sort field is not a scalar property of the schema nor id, createdAt or updatedAt.',
  'connection-unknown': 'The storage connection is not defined in council.config.yaml.',
  'connection-backend-mismatch': 'The named connection is for another backend.',
  'capability-missing': 'The manifest asks its backend for something it cannot do (for example ttl on postgres).',
  'unique-invalid': '`storage.unique` names a field that is not a scalar property of the schema.',
  'index-invalid': '`storage.indexes` names a field that is not a scalar property of the schema.',
  'migrations-invalid': '`storage.migrations` names a column it cannot apply to, or is set on a backend without columns.',
  'storage-change-refused': 'The store refused a change that would lose stored values the manifest did not allow to lose.',
  'access-public': 'Warning: an endpoint answers without an API key (`access.public`).',
  'indexed-string-unbounded':
    'Warning: a sorted, filtered or unique string property has no maxLength (or enum) short enough for its backend to always index it; a longer value may be refused (422).',
  'name-duplicate': 'Two manifests use the same automation name (and so the same path).',
  'record-name-duplicate': 'Two automations would publish the same schema or operation names (e.g. `account` and `accounts`).',
  'path-reserved': 'The automation path collides with a route of the engine itself.',
  'reference-invalid':
    'A `references:` entry names a field that is not a string property, reuses one, is named like a property, or sets null on a required field.',
  'reference-unknown': 'A `references:` entry names an automation that no manifest defines.',
  'reference-inverse-duplicate': 'Two references would publish the same reverse list (/OTHER/{id}/INVERSE); give one another `inverse:`.',
  'reference-cycle': 'References with `onDelete: cascade` form a loop, so one delete would cascade on and on.',
  'config-invalid': 'council.config.yaml does not match its schema.',
  'config-env-missing': 'council.config.yaml uses ${VAR} and VAR is not set (use ${VAR:-default}).',
  'version-invalid':
    'An entry under `versions:` is not earlier than `version:`, names a successor not served, has an impossible date, or a `storedAs` that clashes.',
  'version-incompatible':
    'Two versions of one automation could not read the records each other writes (a property retyped, newly required, or constrained differently).',
  'test-file-invalid': 'A test file (NAME.test.yaml) does not match its schema, or a step uses a ${name} no earlier step captured.',
  'test-failed': 'A step of a declared test got an answer other than the one it expects (council test).',
} as const;

export const problemCodes = {
  'malformed-json': 'The request body is not valid JSON (400).',
  'malformed-request': 'The request is not valid HTTP, or its body could not be read in full (400); the connection is closed.',
  'headers-too-large': "The request line and headers (the URL's query string included) are larger than the server reads (431).",
  'request-timeout': 'The request was not received completely within the time the server waits (408); the connection is closed.',
  'invalid-query': 'A query parameter is unknown, repeated or has an invalid value (400).',
  unauthorized: 'The request has no valid API key: missing, malformed, unknown, revoked or expired (401).',
  forbidden: 'The API key is valid but lacks a scope this operation needs (403).',
  'not-found': 'No record has this id, or no route has this path (404).',
  'method-not-allowed': 'The path exists but does not accept this HTTP method (405).',
  'payload-too-large': 'The request body exceeds the configured size limit, or the record exceeds what its store holds in one piece (413).',
  'unsupported-media-type': 'The request body is not sent as application/json (415).',
  conflict: 'The write would give a unique field a value another record already has (409).',
  'invalid-header': 'A request header has a value the API cannot use (400).',
  'idempotency-in-progress': 'The first request with this Idempotency-Key is still running (409); retry to get its answer.',
  'idempotency-key-reused': 'The Idempotency-Key was already used for a different request (422).',
  'reference-missing': 'A reference field names a record that does not exist in the automation it refers to (422).',
  'still-referenced': 'The record cannot be deleted while records of another automation refer to it (onDelete: restrict) (409).',
  'reference-unavailable':
    'The automation a reference field refers to is not serving, so the reference cannot be checked or embedded (503).',
  'precondition-failed': 'If-Match names a version the record no longer has: it changed since it was read (412).',
  'validation-failed': 'The request body violates the resource schema (422).',
  'value-too-long': 'A string in a sorted, filtered or unique field is longer than the store can index; shorten it (422).',
  'precondition-required': 'This automation requires If-Match on writes, and the request has none (428).',
  'version-sunset':
    'This version of the automation was served until its sunset date; call its successor, whose URL the answer gives (410).',
  'rate-limited': 'The client made more requests to this automation than its rate limit allows; wait Retry-After seconds (429).',
  'sessions-full':
    "The server holds as many MCP sessions as it keeps and none of them is the caller's to replace; retry after Retry-After seconds (503).",
  'storage-unavailable': 'The automation store cannot be reached right now; retry later (503).',
  'server-stopping':
    'The server is shutting down (SIGTERM) and is not ready for new work; send requests to another instance (503, from /readyz).',
  'instance-behind':
    'This instance cannot serve what the other instances of its fleet serve: a manifest they serve failed here (503, from /readyz); /health says which.',
  'server-starting': 'The server is starting and serves nothing yet; retry after Retry-After seconds (503).',
  timeout: 'The store did not answer within the request timeout (504); a write may or may not have been applied.',
  'internal-error': 'An unexpected failure; details are in the server log, not in the response (500).',
} as const;

export type ManifestIssueCode = keyof typeof manifestIssueCodes;
export type ProblemCode = keyof typeof problemCodes;
