import { type OpenAPIObject, OpenApiBuilder, type SchemaObject } from 'openapi3-ts/oas31';
import type { AutomationPlan } from '../compile/plan.ts';
import { schemaNames } from './names.ts';
import { operationFor } from './operations.ts';
import { PROBLEM_SCHEMA, problemSchema } from './problem.ts';
import { pruneUnused } from './prune.ts';
import { relatedPlans } from './related.ts';
import { problemResponses } from './responses.ts';
import { reverseListOperation, reverseLists } from './reverse-lists.ts';
import { automationSchemas } from './schemas.ts';

/** The one security scheme: the API key as a bearer token. */
export const SECURITY_SCHEME = 'apiKey';

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** Base URL of the API; `servers` is left out without it. */
  readonly serverUrl?: string;
  /**
   * Leave out optional header parameters (`If-Match`): GPT Actions send no header but the
   * API key, so the per-automation document, made for them, offers none.
   */
  readonly omitOptionalHeaders?: boolean;
  /**
   * Every automation serving beside the documented ones (they may be among them): what
   * references reach, for the words of `expand` and of deletes that cascade. Only the
   * documented plans are published. Default: the documented plans.
   */
  readonly related?: readonly AutomationPlan[];
}

/**
 * The OpenAPI 3.1 document describing the HTTP API of the given automations: one tag per
 * automation, one operation per endpoint, component schemas per automation and shared
 * problem+json error responses, and the reverse list of each reference
 * (`/accounts/{id}/tickets`, tagged with the referring automation). A relation whose
 * automation is documented too refers to its record schema. Pure and deterministic: automations are ordered by name,
 * so the same plans give byte-identical JSON whatever order they come in. Plans are not
 * modified and the document shares no objects with them.
 *
 * @example
 * const doc = buildOpenApi(plans, { title: 'theCouncil', version: '1.0.0', serverUrl: 'https://api.example.com' });
 * response.json(doc);
 */
export function buildOpenApi(plans: readonly AutomationPlan[], options: OpenApiOptions): OpenAPIObject {
  const builder = OpenApiBuilder.create({
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description !== undefined ? { description: options.description } : {}),
    },
    ...(options.serverUrl !== undefined ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [],
    paths: {},
    components: {
      schemas: {},
      responses: {},
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (`ck_…`) sent as `Authorization: Bearer <key>`. Operations marked with no security answer without one.',
        },
      },
    },
    security: [{ [SECURITY_SCHEME]: [] }],
  });
  const owners = new Map<string, string>();
  const addSchema = (name: string, schema: SchemaObject, owner: string) => {
    const other = owners.get(name);
    if (other !== undefined) {
      throw new Error(
        `OpenAPI schema name "${name}" is produced by both "${other}" and "${owner}"; rename one (\`singular:\` in its manifest)`,
      );
    }
    owners.set(name, owner);
    builder.addSchema(name, schema);
  };

  addSchema(PROBLEM_SCHEMA, problemSchema(), 'the engine');
  const related = relatedPlans([...(options.related ?? []), ...plans]);
  const documented = new Map(plans.map((plan) => [plan.name, schemaNames(plan)]));
  const omit = options.omitOptionalHeaders ?? false;
  for (const plan of [...plans].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    // One tag per automation, its versions under it.
    if (plan.version.latest || !plans.some((p) => p.name === plan.name && p.version.latest))
      builder.addTag({ name: plan.name, description: plan.description });
    for (const [name, schema] of automationSchemas(plan, (automation) => documented.get(automation))) addSchema(name, schema, plan.name);
    for (const endpoint of plan.endpoints) {
      builder.addPath(endpoint.path, {
        [endpoint.method.toLowerCase()]: operationFor(plan, endpoint, omit, related),
      });
    }
    for (const reverse of reverseLists(plan)) {
      builder.addPath(reverse.endpoint.path, { get: reverseListOperation(plan, reverse, omit, related) });
    }
  }
  for (const [name, response] of problemResponses()) builder.addResponse(name, response);
  const doc = builder.getSpec();
  pruneUnused(doc, {
    schemas: plans.flatMap((plan) => [schemaNames(plan).input, schemaNames(plan).patch]),
    responses: problemResponses().map(([name]) => name),
  });
  return doc;
}
