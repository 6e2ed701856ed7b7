// Generated from schemas/tests.schema.json by scripts/schema-types.mjs (npm run schema-types): do not edit.

/**
 * Tests declared beside a manifest (automations/NAME.test.yaml), run by `council test`: each test is steps of a request and what its answer must hold, in order, against one engine per file.
 */
export interface TestsFile {
/**
 * @minItems 1
 */
tests: [Test, ...(Test)[]]
}
export interface Test {
/**
 * What the test shows, as the report names it.
 */
name: string
/**
 * @minItems 1
 */
steps: [Step, ...(Step)[]]
}
export interface Step {
/**
 * METHOD /path?query, e.g. `POST /tickets` or `GET /tickets/${id}`.
 */
request: string
headers?: {
[k: string]: string
}
/**
 * Sent as JSON.
 */
body?: {
[k: string]: unknown
}
/**
 * key (default): the run's API key goes as a Bearer token; none: no Authorization header.
 */
auth?: ("key" | "none")
expect?: {
status?: (number | [number, ...(number)[]])
headers?: {
[k: string]: string
}
/**
 * A subset of the answer's JSON body: objects need the keys given, arrays the same length, values equal.
 */
body?: {
[k: string]: unknown
}
}
/**
 * Values of the answer's body to use in later steps as ${name}, each by JSON Pointer (`/data/id`).
 */
capture?: {
[k: string]: string
}
}
