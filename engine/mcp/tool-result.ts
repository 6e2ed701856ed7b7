import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeProblem, type FieldError } from '../errors/problem.ts';
import type { ArgumentShape } from './portable-schema.ts';
import type { Tool } from './tools.ts';

/** A problem+json body, as the HTTP API answers an error. */
interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

/**
 * A tool call's result from the endpoint's HTTP answer. Success: the JSON body as
 * `structuredContent` (it matches the tool's `outputSchema`) and as text for clients
 * that read only text; a delete's 204 becomes `{deleted: true, id}`. Failure: a tool
 * error whose text is the problem in the tool's own terms (see {@link inToolTerms}),
 * without `structuredContent`, which MCP ties to success.
 */
export async function toolResult(tool: Tool, response: Response, args: Readonly<Record<string, unknown>>): Promise<CallToolResult> {
  const text = response.status === 204 ? JSON.stringify({ deleted: true, id: String(args.id ?? '') }) : await response.text();
  if (response.status < 400) return { content: [{ type: 'text', text }], structuredContent: JSON.parse(text) as Record<string, unknown> };
  let problem: Problem;
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    return { content: [{ type: 'text', text }], isError: true };
  }
  return toolError(inToolTerms(problem, response.headers, tool));
}

/** Arguments that do not match the tool's input schema, as the 422 HTTP gives a body that does not match. */
export function argumentsProblem(tool: Tool, errors: readonly FieldError[]): CallToolResult {
  const problem = describeProblem('validation-failed');
  return toolError({
    type: '/problems/validation-failed',
    title: problem?.title,
    status: problem?.status,
    detail: `the arguments do not match what ${tool.definition.name} accepts; fix them and retry: ${listed(errors)}`,
    code: 'validation-failed',
    errors,
  });
}

export function toolError(problem: Problem): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(problem) }], isError: true };
}

/**
 * The HTTP problem in the words of the tool that was called: query parameters and body
 * fields as the arguments that carry them (`/query/plan[gte]` -> `/filter/plan/gte`,
 * `/title` -> `/set/title`), paths as the tools that serve them (`list /notes` -> `call
 * listNotes`), and the Retry-After header, which a tool result has no room for, as
 * `retryAfterSeconds`. Codes, types and field messages are HTTP's own.
 */
export function inToolTerms(problem: Problem, headers: Headers, tool: Tool): Problem {
  const errors = problem.errors?.map((error) => argumentError(error, tool));
  let detail = problem.detail ?? '';
  if (errors?.length && (problem.code === 'invalid-query' || problem.code === 'validation-failed')) {
    detail = `the arguments are not what ${tool.definition.name} accepts; fix them and retry: ${listed(errors)}`;
  }
  detail = withToolNames(detail, tool);
  const retryAfter = headers.get('retry-after');
  const wait = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (wait !== undefined) detail = detail.replaceAll('Retry-After', 'retryAfterSeconds');
  return { ...problem, detail, ...(errors ? { errors } : {}), ...(wait !== undefined ? { retryAfterSeconds: wait } : {}) };
}

function listed(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.pointer || '(arguments)'}: ${e.message}`).join('; ');
}

/**
 * HTTP's words for what to do next, in the tool's: `list /notes` as the tool that lists
 * them, `GET the record` as the tool that reads one, and the ETag and If-Match of a
 * write as the record's `updatedAt` and the tool's version argument.
 */
function withToolNames(text: string, tool: Tool): string {
  const { plan } = tool;
  const find = (operation: string) => plan.endpoints.find((e) => e.operation === operation)?.operationId;
  const lister = find('list') ?? find('search');
  const reader = find('get');
  const version = tool.input.version;
  const words: [string | RegExp, string][] = [];
  if (lister) words.push([`list ${plan.basePath} `, `call ${lister} `]);
  if (version) {
    words.push(
      [/its ETag is now "([^"]*)"/g, 'its updatedAt is now $1'],
      [`writes to ${plan.basePath} need If-Match`, `writes to ${plan.name} need ${version}`],
      ['its ETag header value as If-Match', `its updatedAt as ${version}`],
      ['the new ETag as If-Match', `its new updatedAt as ${version}`],
    );
    if (reader) words.push(['GET the record', `call ${reader}`], ['GET it again', `call ${reader} again`]);
  }
  return words.reduce<string>((out, [from, to]) => out.replaceAll(from, to), text);
}

/** Where an HTTP field error points, as an argument pointer. */
function argumentError(error: FieldError, tool: Tool): FieldError {
  const { pointer } = error;
  if (pointer.startsWith('/query/')) {
    const name = decodeURIComponent(pointer.slice('/query/'.length));
    return { ...error, pointer: tool.input.queryArguments.get(name) ?? `/${name}` };
  }
  const body = tool.input.body;
  if (!body) return error;
  const { consumed, rest } = throughShape(body.shape, pointer);
  if (rest === '') return { ...error, pointer: `${body.at}${pointer}` };
  // Inside an argument sent as JSON text: point at the argument, say where within it.
  return { ...error, pointer: `${body.at}${consumed}`, message: `at ${rest} in its JSON text: ${error.message}` };
}

/** Splits a body pointer where it enters an argument sent as JSON text. */
function throughShape(shape: ArgumentShape, pointer: string): { consumed: string; rest: string } {
  const segments = pointer.split('/').slice(1);
  let here: ArgumentShape | undefined = shape;
  let consumed = '';
  for (const [i, segment] of segments.entries()) {
    if (here?.kind === 'json') return { consumed, rest: `/${segments.slice(i).join('/')}` };
    here = here?.kind === 'object' ? here.properties[segment] : here?.kind === 'array' ? here.items : undefined;
    consumed += `/${segment}`;
  }
  return { consumed, rest: '' };
}
