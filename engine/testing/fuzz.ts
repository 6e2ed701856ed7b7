import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { invalidBodies, Random, randomUuid, resolved, validValue } from './fuzz-values.ts';
import type { Send, TestResult } from './run-tests.ts';
import type { At } from './test-file.ts';

type Json = Record<string, unknown>;

export interface FuzzOptions {
  /** Where paths are resolved. */
  readonly base: string;
  readonly key?: string | undefined;
  /** Makes the same requests again. */
  readonly seed: number;
  /** Requests in all, shared among the operations. */
  readonly budget: number;
  readonly stepTimeoutMs: number;
  /** The manifest an API path belongs to, for reports: where a failure is annotated. */
  readonly fileOf: (path: string) => string | undefined;
}

const METHODS = ['post', 'get', 'put', 'patch', 'delete'] as const;

interface Operation {
  readonly method: (typeof METHODS)[number];
  readonly path: string;
  readonly operation: Json;
}

interface Planned {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body?: { readonly text: string; readonly type: string };
  /** Why it must be refused, when it breaks a rule for certain. */
  readonly invalid?: string;
}

/**
 * Requests generated from the OpenAPI document, for every operation: valid ones (values
 * the schemas allow, edges included) and ones that break a stated rule. Every answer must
 * be a documented status (never a 5xx), carry a body its documented schema accepts, and
 * a request that breaks a rule must be refused with a 4xx. One result per operation, the
 * first failure in it reported with the request that caused it.
 */
export async function fuzzApi(document: Json, send: Send, options: FuzzOptions): Promise<TestResult[]> {
  const random = new Random(options.seed);
  const ajv = new Ajv2020({ strict: false, logger: false, allErrors: false });
  addFormats.default(ajv);
  ajv.addSchema(document, 'openapi.json');
  const operations = operationsOf(document);
  const per = Math.max(4, Math.floor(options.budget / Math.max(1, operations.length)));
  // Ids of records made so far, by collection path, for the paths that take one.
  const made = new Map<string, string[]>();
  const results: TestResult[] = [];
  for (const op of operations) {
    const began = performance.now();
    const name = `fuzz ${op.method.toUpperCase()} ${op.path}`;
    const file = options.fileOf(op.path) ?? 'openapi.json';
    const at: At = { file, line: 1, col: 1 };
    let failure: TestResult['failure'];
    const requests = plan(op, document, random, made, per);
    for (const [index, request] of requests.entries()) {
      const problem = await check(op, request, document, ajv, send, options, made);
      if (problem) {
        failure = {
          at,
          step: index + 1,
          request: describe(op, request),
          message: `${describe(op, request)}${request.invalid ? ` (${request.invalid})` : ''}: ${problem}; run again with --seed ${options.seed}`,
        };
        break;
      }
    }
    results.push({
      file,
      name: `${name} (${requests.length} requests)`,
      at,
      ms: performance.now() - began,
      ...(failure ? { failure } : {}),
    });
  }
  return results;
}

function operationsOf(document: Json): Operation[] {
  const paths = (document.paths ?? {}) as Record<string, Json>;
  const found: Operation[] = [];
  for (const method of METHODS) {
    for (const [path, item] of Object.entries(paths)) {
      const operation = item[method] as Json | undefined;
      if (operation && typeof operation === 'object') found.push({ method, path, operation });
    }
  }
  // Creates first, so reads, changes and deletes find records; deletes last.
  const rank = (op: Operation) => (op.method === 'post' && !op.path.includes('{') ? 0 : op.method === 'delete' ? 2 : 1);
  return found.sort((a, b) => rank(a) - rank(b));
}

function plan(op: Operation, document: Json, random: Random, made: Map<string, string[]>, count: number): Planned[] {
  const parameters = ((op.operation.parameters ?? []) as unknown[]).map((p) => resolved(p, document));
  const bodySchema = jsonBodySchema(op.operation, document);
  const invalid = bodySchema ? invalidBodies(bodySchema, document, random) : [];
  const planned: Planned[] = [];
  const valid = Math.max(2, Math.ceil(count * 0.6));
  for (let i = 0; i < count; i++) {
    const path = fillPath(op.path, random, made, i);
    const query = queryOf(parameters, document, random);
    if (i < valid || (!bodySchema && i < count - 2)) {
      const body = bodySchema ? validValue(bodySchema, document, random) : undefined;
      planned.push({ path, query, ...(body !== undefined ? { body: { text: JSON.stringify(body), type: 'application/json' } } : {}) });
    } else if (bodySchema && i === count - 1) {
      planned.push({ path, query, body: { text: '{"unfinished": ', type: 'application/json' }, invalid: 'the body is not JSON' });
    } else if (bodySchema) {
      const broken = invalid[(i - valid) % invalid.length];
      if (broken) planned.push({ path, query, body: { text: JSON.stringify(broken.body), type: 'application/json' }, invalid: broken.why });
    } else {
      // No body: a query the engine must refuse.
      const bad = new URLSearchParams(query);
      if (i === count - 1) bad.set('surely_not_a_parameter', '1');
      else if (parameters.some((p) => p.name === 'limit')) bad.set('limit', random.pick(['-1', 'ten', '1.5']));
      else bad.set('surely_not_a_parameter', '1');
      planned.push({ path, query: bad, invalid: 'a query parameter it does not take, or one out of range' });
    }
  }
  return planned;
}

/** `{id}` and the like: a record made earlier, an id no record has, or text that is no id. */
function fillPath(template: string, random: Random, made: Map<string, string[]>, i: number): string {
  return template.replace(/\{[^}]+\}/g, (_, offset: number) => {
    const collection = template.slice(0, offset).replace(/\/$/, '');
    const ids = made.get(collection) ?? [];
    const choice = i % 4;
    if (choice < 2 && ids.length) return encodeURIComponent(random.pick(ids));
    return choice === 3 ? 'not-an-id' : randomUuid(random);
  });
}

function queryOf(parameters: Json[], document: Json, random: Random): URLSearchParams {
  const query = new URLSearchParams();
  for (const parameter of parameters) {
    if (parameter.in !== 'query') continue;
    const name = String(parameter.name);
    if (!parameter.required && !random.chance(0.15)) continue;
    // Cursors are made by the engine: a random one is simply refused.
    if (name === 'cursor' && !random.chance(0.2)) continue;
    const value = validValue(parameter.schema ?? { type: 'string' }, document, random);
    query.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  return query;
}

function jsonBodySchema(operation: Json, document: Json): unknown {
  const body = resolved(operation.requestBody, document) as Json;
  const content = body?.content as Record<string, Json> | undefined;
  return content?.['application/json']?.schema;
}

async function check(
  op: Operation,
  request: Planned,
  document: Json,
  ajv: Ajv2020,
  send: Send,
  options: FuzzOptions,
  made: Map<string, string[]>,
): Promise<string | undefined> {
  const url = new URL(request.path, options.base);
  url.search = request.query.toString();
  const headers = new Headers();
  if (options.key) headers.set('authorization', `Bearer ${options.key}`);
  if (request.body) headers.set('content-type', request.body.type);
  let status: number;
  let text: string;
  let type: string;
  try {
    const response = await send(
      new Request(url, {
        method: op.method.toUpperCase(),
        headers,
        ...(request.body ? { body: request.body.text } : {}),
        signal: AbortSignal.timeout(options.stepTimeoutMs),
      }),
    );
    status = response.status;
    type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    text = await response.text();
  } catch (error) {
    return `no answer: ${(error as Error).message}`;
  }
  const excerpt = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  if (status >= 500) return `answered ${status}: ${excerpt}`;
  if (request.invalid && status < 400) return `accepted it with ${status}: ${excerpt}`;
  const responses = (op.operation.responses ?? {}) as Record<string, unknown>;
  const key = String(status) in responses ? String(status) : 'default' in responses ? 'default' : undefined;
  if (!key) return `answered ${status}, which the document does not list (${Object.keys(responses).join(', ')}): ${excerpt}`;
  const pointer = responsePointer(op, key, document);
  const content = (resolved(pointer.response, document).content ?? {}) as Record<string, Json>;
  if (Object.keys(content).length) {
    const schemaAt = content[type] ? `${pointer.at}/content/${pointerSegment(type)}/schema` : undefined;
    if (!schemaAt) return `answered ${status} as "${type}", which the document does not list for it (${Object.keys(content).join(', ')})`;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `answered ${status} with a body that is not JSON: ${excerpt}`;
    }
    const validate = ajv.getSchema(`openapi.json#${schemaAt}`) as ValidateFunction | undefined;
    if (validate && !validate(body)) {
      const [error] = validate.errors ?? [];
      return `answered ${status} with a body its documented schema refuses (${error?.instancePath || '/'} ${error?.message}): ${excerpt}`;
    }
    if (status === 201 && op.method === 'post') {
      const id = (body as { data?: { id?: unknown } })?.data?.id;
      if (typeof id === 'string') made.set(op.path, [...(made.get(op.path) ?? []), id]);
    }
  }
  return undefined;
}

/** The response object of `status` and its JSON Pointer, following one `$ref` to components. */
function responsePointer(op: Operation, status: string, document: Json): { response: unknown; at: string } {
  const response = ((op.operation.responses ?? {}) as Record<string, Json>)[status] as Json;
  if (typeof response?.$ref === 'string') return { response: resolved(response, document), at: response.$ref.replace(/^#/, '') };
  return { response, at: `/paths/${pointerSegment(op.path)}/${op.method}/responses/${status}` };
}

function pointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(op: Operation, request: Planned): string {
  const query = request.query.toString();
  const body = request.body ? ` ${request.body.text.length > 200 ? `${request.body.text.slice(0, 200)}…` : request.body.text}` : '';
  return `${op.method.toUpperCase()} ${request.path}${query ? `?${query}` : ''}${body}`;
}
