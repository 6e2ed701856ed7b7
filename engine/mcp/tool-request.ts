import type { EndpointPlan } from '../compile/plan.ts';
import type { FieldError } from '../errors/problem.ts';
import { filterParameter } from '../http/filter-params.ts';
import type { ArgumentShape } from './portable-schema.ts';
import { type ToolInput, VERSION_ARGUMENT } from './tool-input.ts';

/** The endpoint's HTTP request a tool call stands for, or what is wrong with its arguments. */
export type ToolRequest = { readonly request: Request; readonly errors?: undefined } | { readonly errors: readonly FieldError[] };

type Arguments = Readonly<Record<string, unknown>>;

/**
 * Builds the HTTP request of a tool call whose arguments match the tool's input schema:
 * the same route, so the same checks, answers and audit. Null and missing arguments
 * are left out (see the schema's notes on what that means); JSON-text arguments are
 * parsed; `fields`, `expand` and `in` lists are joined with commas as the query string takes them.
 * Pure.
 */
export function requestFor(endpoint: EndpointPlan, input: ToolInput, args: Arguments, origin: string): ToolRequest {
  const errors: FieldError[] = [];
  const path = endpoint.path.replace('{id}', encodeURIComponent(String(args.id ?? '')));
  const url = new URL(path, origin);
  if (endpoint.method === 'GET' || endpoint.method === 'DELETE') {
    for (const [name, value] of queryOf(args, errors)) url.searchParams.set(name, value);
    if (errors.length) return { errors };
    return { request: new Request(url, { method: endpoint.method, headers: ifMatch(input, args) }) };
  }
  // An upsert's `?by=` (the only query a write takes).
  for (const [name, pointer] of input.queryArguments) {
    const value = args[pointer.slice(1)];
    if (typeof value === 'string') url.searchParams.set(name, value);
  }
  const body = input.batch ? batchBodyOf(input.batch, args, errors) : bodyOf(input, args, errors);
  if (errors.length) return { errors };
  const headers: Record<string, string> = { 'content-type': 'application/json', ...ifMatch(input, args) };
  return { request: new Request(url, { method: endpoint.method, headers, body: JSON.stringify(body) }) };
}

/** The version argument as `If-Match`: the record's ETag is its `updatedAt` in quotes. */
function ifMatch(input: ToolInput, args: Arguments): Record<string, string> {
  const value = input.version === undefined ? undefined : args[input.version];
  return typeof value === 'string' && value !== '' ? { 'if-match': `"${value.replace(/"/g, '')}"` } : {};
}

/** Query parameters of a list, search or get call, in a stable order. */
function queryOf(args: Arguments, errors: FieldError[]): [string, string][] {
  const query: [string, string][] = [];
  for (const name of ['q', 'limit', 'cursor', 'sort', 'count', 'piece', 'offset', 'version']) {
    const value = args[name];
    if (value !== null && value !== undefined) query.push([name, String(value)]);
  }
  if (Array.isArray(args.fields)) query.push(['fields', args.fields.join(',')]);
  if (Array.isArray(args.expand)) query.push(['expand', args.expand.join(',')]);
  const filter = args.filter;
  if (isObject(filter)) {
    for (const [field, conditions] of Object.entries(filter)) {
      if (!isObject(conditions)) continue;
      for (const [op, value] of Object.entries(conditions)) {
        if (value === null || value === undefined) continue;
        const name = filterParameter(field, op as Parameters<typeof filterParameter>[1]);
        if (!Array.isArray(value)) {
          query.push([name, String(value)]);
          continue;
        }
        value.forEach((item, i) => {
          if (typeof item === 'string' && item.includes(',')) {
            errors.push({
              pointer: `/filter/${field}/in/${i}`,
              message: 'contains a comma, which the list cannot match in `in`; look this value up with `eq` instead',
            });
          }
        });
        query.push([name, value.join(',')]);
      }
    }
  }
  return query;
}

/** A batch call's `{ operations }`: each item's `record` or `set` as `data`, its version as `ifMatch`. */
function batchBodyOf(shapes: NonNullable<ToolInput['batch']>, args: Arguments, errors: FieldError[]): Record<string, unknown> {
  const items = Array.isArray(args.operations) ? (args.operations as unknown[]) : [];
  const operations = items.map((raw, i) => {
    const item = isObject(raw) ? raw : {};
    const given = item.op === 'update' ? ['set', shapes.set] : ['record', shapes.record];
    const [name, shape] = given as [string, ArgumentShape | undefined];
    const value = item[name];
    const data = shape && isObject(value) ? decode(value, shape, `/operations/${i}/${name}`, errors) : undefined;
    const version = item[VERSION_ARGUMENT];
    return {
      op: item.op,
      ...(typeof item.id === 'string' ? { id: item.id } : {}),
      ...(data !== undefined && item.op !== 'delete' ? { data } : item.op === 'update' ? { data: {} } : {}),
      ...(typeof version === 'string' && version !== '' ? { ifMatch: `"${version.replace(/"/g, '')}"` } : {}),
    };
  });
  return { operations };
}

/** The JSON body of a create, replace, update or upsert call. */
function bodyOf(input: ToolInput, args: Arguments, errors: FieldError[]): Record<string, unknown> {
  const { body } = input;
  if (!body) return {};
  if (body.at === '') {
    const { id: _id, ...fields }: Record<string, unknown> = args;
    if (input.version !== undefined) delete fields[input.version];
    for (const pointer of input.queryArguments.values()) delete fields[pointer.slice(1)];
    return decode(fields, body.shape, '', errors) as Record<string, unknown>;
  }
  const changes = args.set;
  const patch = (isObject(changes) ? decode(changes, body.shape, '/set', errors) : {}) as Record<string, unknown>;
  const clear = Array.isArray(args.clear) ? (args.clear as unknown[]) : [];
  clear.forEach((dotted, i) => {
    const names = String(dotted).split('.');
    let parent = patch;
    for (const name of names.slice(0, -1)) {
      const next = parent[name];
      if (next === undefined) define(parent, name, {});
      else if (!isObject(next)) break;
      parent = parent[name] as Record<string, unknown>;
    }
    const leaf = names[names.length - 1] as string;
    if (parent[leaf] !== undefined) {
      errors.push({ pointer: `/clear/${i}`, message: `"${dotted}" is also given in set: either change it or remove it, not both` });
      return;
    }
    define(parent, leaf, null);
  });
  return patch;
}

/** An argument as the value HTTP takes: nulls left out, JSON text parsed. */
function decode(value: unknown, shape: ArgumentShape, pointer: string, errors: FieldError[]): unknown {
  switch (shape.kind) {
    case 'value':
      return value;
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch (error) {
        errors.push({ pointer, message: `must be JSON text: ${(error as Error).message}` });
        return undefined;
      }
    case 'array':
      return Array.isArray(value) ? value.map((item, i) => decode(item, shape.items, `${pointer}/${i}`, errors)) : value;
    case 'object': {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [name, item] of Object.entries(value)) {
        const inner = shape.properties[name];
        if (item === null || item === undefined || !inner) continue;
        define(out, name, decode(item, inner, `${pointer}/${name}`, errors));
      }
      return out;
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Defined, not assigned: a key named __proto__ stays a plain key. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
