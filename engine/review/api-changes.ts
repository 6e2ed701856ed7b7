/**
 * What changed between two builds of the API, each change classified for the callers
 * that hold a copy of the old one (GPT Actions import the document; typed clients were
 * generated from it): `breaking` when a request that worked may now be refused or an
 * answer a client read may now lack what it read, `additive` otherwise. Storage changes
 * say what happens to the records already stored. Pure: it compares the documents and
 * storage specs it is given.
 */

import { followLocalRef } from '../schema/fields.ts';
import type { JsonSchema } from '../schema/json-schema.ts';

type Json = Record<string, unknown>;

/** One automation as built at one revision. */
export interface BuiltAutomation {
  readonly name: string;
  /** Its manifest, as reports name it. */
  readonly file: string;
  /** Its own OpenAPI document (what a GPT Action imports). */
  readonly document: Json;
  readonly storage: {
    readonly backend: string;
    readonly connection: string;
    readonly collection: string;
    /** Top-level properties and their column kinds. */
    readonly fields: ReadonlyMap<string, string>;
    /** Properties whose values a change may drop or convert (storage.migrations). */
    readonly drop: readonly string[];
    readonly retype: readonly string[];
  };
}

export interface ApiChange {
  readonly kind: 'breaking' | 'additive';
  readonly automation: string;
  readonly file: string;
  /** `POST /accounts request body /name`, `storage`. */
  readonly where: string;
  readonly message: string;
  /** What happens to stored records, when something does. */
  readonly storage?: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function apiChanges(base: readonly BuiltAutomation[], head: readonly BuiltAutomation[]): ApiChange[] {
  const changes: ApiChange[] = [];
  const before = new Map(base.map((a) => [a.name, a]));
  const after = new Map(head.map((a) => [a.name, a]));
  for (const [name, old] of before) {
    const now = after.get(name);
    const add = (kind: ApiChange['kind'], where: string, message: string, storage?: string) =>
      changes.push({ kind, automation: name, file: (now ?? old).file, where, message, ...(storage ? { storage } : {}) });
    if (!now) {
      add(
        'breaking',
        'automation',
        `${name} is removed: every endpoint of it goes`,
        `its records stay in ${old.storage.backend} "${old.storage.collection}", served by nothing`,
      );
      continue;
    }
    compareDocuments(old.document, now.document, add);
    compareStorage(old, now, add);
  }
  for (const [name, now] of after) {
    if (!before.has(name))
      changes.push({ kind: 'additive', automation: name, file: now.file, where: 'automation', message: `${name} is added` });
  }
  // One change reached through two alternatives (the record and its cut form) is listed once.
  const seen = new Set<string>();
  return changes.filter((c) => {
    const key = `${c.automation}\0${c.kind}\0${c.where}\0${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type Add = (kind: ApiChange['kind'], where: string, message: string, storage?: string) => void;

function compareDocuments(old: Json, now: Json, add: Add): void {
  const oldPaths = (old.paths ?? {}) as Record<string, Json>;
  const newPaths = (now.paths ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(oldPaths)) {
    for (const method of METHODS) {
      const before = item[method] as Json | undefined;
      if (!before) continue;
      const after = newPaths[path]?.[method] as Json | undefined;
      const where = `${method.toUpperCase()} ${path}`;
      if (!after) {
        add('breaking', where, `${where} is removed`);
        continue;
      }
      if (before.operationId !== after.operationId) {
        // What a GPT Action calls the operation, and the MCP tool's name: a model asking for the old name finds nothing.
        add(
          'breaking',
          `${where} operationId`,
          `operationId ${String(before.operationId)} becomes ${String(after.operationId)}: the MCP tool and the GPT Action operation named ${String(before.operationId)} are gone`,
        );
      }
      if (before.deprecated !== true && after.deprecated === true) add('additive', where, `${where} is deprecated`);
      compareParameters(where, before, after, old, now, add);
      compareSchemas(`${where} request body`, requestSchema(before, old), requestSchema(after, now), old, now, 'request', add);
      const status = successStatus(before);
      if (status) {
        compareSchemas(
          `${where} ${status} answer`,
          responseSchema(before, status, old),
          responseSchema(after, status, now),
          old,
          now,
          'response',
          add,
        );
      }
    }
  }
  for (const [path, item] of Object.entries(newPaths)) {
    for (const method of METHODS) {
      if (item[method] && !oldPaths[path]?.[method])
        add('additive', `${method.toUpperCase()} ${path}`, `${method.toUpperCase()} ${path} is added`);
    }
  }
}

function compareParameters(where: string, before: Json, after: Json, old: Json, now: Json, add: Add): void {
  const list = (operation: Json, document: Json) =>
    new Map(
      ((operation.parameters ?? []) as unknown[])
        .map((p) => resolve(p, document))
        .filter((p) => p.in === 'query')
        .map((p) => [String(p.name), p]),
    );
  const was = list(before, old);
  const is = list(after, now);
  for (const [name, parameter] of was) {
    const next = is.get(name);
    if (!next) {
      add('breaking', `${where} ?${name}`, `query parameter ${name} is removed: requests that send it are refused`);
      continue;
    }
    if (next.required && !parameter.required) add('breaking', `${where} ?${name}`, `query parameter ${name} is now required`);
    compareSchemas(`${where} ?${name}`, parameter.schema, next.schema, old, now, 'request', add);
  }
  for (const [name, parameter] of is) {
    if (was.has(name)) continue;
    if (parameter.required)
      add('breaking', `${where} ?${name}`, `query parameter ${name} is added and required: requests without it are refused`);
    else add('additive', `${where} ?${name}`, `query parameter ${name} is added`);
  }
}

/**
 * Compares two schemas a request sends (`request`: anything narrower refuses what
 * callers send) or an answer carries (`response`: anything missing or wider breaks what
 * clients read).
 */
function compareSchemas(
  where: string,
  a: unknown,
  b: unknown,
  old: Json,
  now: Json,
  side: 'request' | 'response',
  add: Add,
  depth = 0,
): void {
  if (a === undefined || b === undefined || depth > 6) return;
  const before = resolve(a, old);
  const after = resolve(b, now);
  const typeA = typesOf(before);
  const typeB = typesOf(after);
  const lost = typeA.filter((t) => !typeB.includes(t));
  const gained = typeB.filter((t) => !typeA.includes(t));
  if (lost.length && side === 'request')
    add('breaking', where, `type narrows from ${typeA.join('|')} to ${typeB.join('|')}: values of type ${lost.join(', ')} are refused`);
  else if (gained.length && side === 'response')
    add('breaking', where, `type widens from ${typeA.join('|')} to ${typeB.join('|')}: clients may now read ${gained.join(', ')}`);
  else if (lost.length || gained.length) add('additive', where, `type changes from ${typeA.join('|')} to ${typeB.join('|')}`);
  compareEnums(where, before, after, side, add);
  if (side === 'request') compareLimits(where, before, after, add);
  const propsA = (before.properties ?? {}) as Record<string, unknown>;
  const propsB = (after.properties ?? {}) as Record<string, unknown>;
  const requiredA = new Set((before.required ?? []) as string[]);
  const requiredB = new Set((after.required ?? []) as string[]);
  for (const [name, schema] of Object.entries(propsA)) {
    const at = `${where} /${name}`;
    if (!(name in propsB)) {
      add(
        'breaking',
        at,
        side === 'request'
          ? `property ${name} is removed: requests that send it are refused`
          : `property ${name} is removed from the answer`,
      );
      continue;
    }
    if (side === 'request' && requiredB.has(name) && !requiredA.has(name)) add('breaking', at, `property ${name} is now required`);
    if (side === 'response' && requiredA.has(name) && !requiredB.has(name))
      add('breaking', at, `property ${name} may now be absent from the answer`);
    compareSchemas(at, schema, propsB[name], old, now, side, add, depth + 1);
  }
  for (const name of Object.keys(propsB)) {
    if (name in propsA) continue;
    if (side === 'request' && requiredB.has(name))
      add('breaking', `${where} /${name}`, `property ${name} is added and required: requests without it are refused`);
    else add('additive', `${where} /${name}`, `property ${name} is added`);
  }
  if (before.items !== undefined && after.items !== undefined)
    compareSchemas(`${where} []`, before.items, after.items, old, now, side, add, depth + 1);
  // Alternatives in the same places (a record, or the record cut short): compared pairwise.
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const x = before[keyword];
    const y = after[keyword];
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) continue;
    for (const [i, branch] of x.entries()) compareSchemas(where, branch, y[i], old, now, side, add, depth + 1);
  }
}

function compareEnums(where: string, a: Json, b: Json, side: 'request' | 'response', add: Add): void {
  if (!Array.isArray(a.enum) && !Array.isArray(b.enum)) return;
  const before = Array.isArray(a.enum) ? a.enum.map(String) : undefined;
  const after = Array.isArray(b.enum) ? b.enum.map(String) : undefined;
  const removed = before && after ? before.filter((v) => !after.includes(v)) : after ? ['(any value not listed)'] : [];
  const added = before && after ? after.filter((v) => !before.includes(v)) : before ? ['(any value)'] : [];
  if (removed.length) {
    add(
      side === 'request' ? 'breaking' : 'additive',
      where,
      `enum loses ${removed.join(', ')}${side === 'request' ? ': requests with it are refused' : ''}`,
    );
  }
  if (added.length) {
    add(
      side === 'response' ? 'breaking' : 'additive',
      where,
      `enum gains ${added.join(', ')}${side === 'response' ? ': clients may read a value they do not know' : ''}`,
    );
  }
}

const TIGHTER: readonly [string, 'lower' | 'higher'][] = [
  ['maxLength', 'lower'],
  ['minLength', 'higher'],
  ['maximum', 'lower'],
  ['minimum', 'higher'],
  ['maxItems', 'lower'],
  ['minItems', 'higher'],
];

function compareLimits(where: string, a: Json, b: Json, add: Add): void {
  for (const [keyword, tighter] of TIGHTER) {
    const before = a[keyword];
    const after = b[keyword];
    if (before === after) continue;
    const tightened = typeof after === 'number' && (typeof before !== 'number' || (tighter === 'lower' ? after < before : after > before));
    if (tightened)
      add(
        'breaking',
        where,
        `${keyword} ${before === undefined ? 'is set' : `goes from ${before}`} to ${after}: values past it are refused`,
      );
    else add('additive', where, `${keyword} ${after === undefined ? `${before} is lifted` : `goes from ${before} to ${after}`}`);
  }
  if (typeof b.pattern === 'string' && b.pattern !== a.pattern)
    add(
      'breaking',
      where,
      `pattern ${a.pattern === undefined ? 'is set' : 'changes'} to ${b.pattern}: values it does not match are refused`,
    );
}

function compareStorage(old: BuiltAutomation, now: BuiltAutomation, add: Add): void {
  const a = old.storage;
  const b = now.storage;
  if (a.backend !== b.backend || a.connection !== b.connection || a.collection !== b.collection) {
    add(
      'breaking',
      'storage',
      `storage moves from ${a.backend} "${a.collection}" (connection ${a.connection}) to ${b.backend} "${b.collection}" (connection ${b.connection})`,
      'the records stay where they were: the automation starts empty in the new place, nothing is copied',
    );
  }
  for (const [field, kind] of a.fields) {
    const next = b.fields.get(field);
    if (next === undefined) {
      add(
        'breaking',
        `storage /${field}`,
        `property ${field} leaves the schema`,
        b.drop.includes(field)
          ? `its stored values are deleted (listed under storage.migrations.drop)`
          : `its stored values are kept but no longer served; the store refuses to drop them unless storage.migrations.drop lists ${field}`,
      );
    } else if (next !== kind) {
      add(
        'breaking',
        `storage /${field}`,
        `property ${field} is stored as ${next} instead of ${kind}`,
        b.retype.includes(field)
          ? `stored values are converted (storage.migrations.retype); values that cannot convert fail the change`
          : `the store refuses to convert stored values unless storage.migrations.retype lists ${field}`,
      );
    }
  }
}

function requestSchema(operation: Json, document: Json): unknown {
  const body = resolve(operation.requestBody, document);
  const content = (body.content ?? {}) as Record<string, Json>;
  return content['application/json']?.schema;
}

function successStatus(operation: Json): string | undefined {
  return Object.keys((operation.responses ?? {}) as Json).find((s) => /^2\d\d$/.test(s) && s !== '204');
}

function responseSchema(operation: Json, status: string, document: Json): unknown {
  const response = resolve(((operation.responses ?? {}) as Json)[status], document);
  const content = (response.content ?? {}) as Record<string, Json>;
  return content['application/json']?.schema;
}

function typesOf(schema: Json): string[] {
  if (Array.isArray(schema.type)) return (schema.type as string[]).slice().sort();
  if (typeof schema.type === 'string') return [schema.type];
  return [];
}

/** Follows `$ref: '#/…'` inside the document; `{}` where it leads nowhere. */
function resolve(schema: unknown, document: Json): Json {
  return (followLocalRef(schema, document as JsonSchema) ?? {}) as Json;
}
