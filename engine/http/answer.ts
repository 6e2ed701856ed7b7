import type { Context } from 'hono';
import { scopeOf } from '../request/route-table.ts';

/**
 * Answers built with plain header objects. Hono's `c.header` and `c.body` with more than one
 * header make a fetch `Headers` (WebIDL checks on every set, then copied out again for
 * Node), which took a tenth of a keyed GET; the Node adapter writes a plain object as it is.
 * The guards' headers (X-Request-Id, RateLimit-*) wait on the context and join whatever the
 * handler answers, errors included.
 */
const GUARD_HEADERS = 'council:guard-headers';

/** A header every answer to this request carries, whatever the handler answers. */
export function addGuardHeader(c: Context, name: string, value: string): void {
  let headers = c.get(GUARD_HEADERS) as Record<string, string> | undefined;
  if (!headers) {
    headers = {};
    c.set(GUARD_HEADERS, headers);
  }
  headers[name] = value;
}

/** The headers the guards added so far, if any. */
export function guardHeaders(c: Context): Readonly<Record<string, string>> | undefined {
  return c.get(GUARD_HEADERS) as Record<string, string> | undefined;
}

const JSON_TYPE = { 'content-type': 'application/json' } as const;

/** A JSON answer (`body` already serialized) with the guards' headers and `headers`. */
export function jsonAnswer(c: Context, body: string | null, status: number, headers?: Readonly<Record<string, string>>): Response {
  const scope = scopeOf(c);
  if (scope && body !== null) scope.body = body;
  const guard = guardHeaders(c);
  if (!guard && !headers) return new Response(body, { status, headers: body === null ? undefined : JSON_TYPE });
  // Properties added one by one to a fresh object (one shape per call site): cheaper than spreads.
  const all: Record<string, string> = body === null ? {} : { 'content-type': 'application/json' };
  if (guard) for (const name in guard) all[name] = guard[name] as string;
  if (headers) for (const name in headers) all[name] = headers[name] as string;
  return new Response(body, { status, headers: all });
}

const WRITTEN = 'council:written-id';
const REPLAYED = 'council:replayed';

/**
 * What a write tells its audit entry without it reading the answer's headers (reading them
 * turns the plain header object into a fetch `Headers` on every write): the id of the
 * record it wrote, and whether the answer is an earlier one replayed for an Idempotency-Key.
 */
export function noteWritten(c: Context, id: string): void {
  c.set(WRITTEN, id);
}

export function noteReplayed(c: Context): void {
  c.set(REPLAYED, true);
}

export function writtenId(c: Context): string | undefined {
  return c.get(WRITTEN) as string | undefined;
}

export function wasReplayed(c: Context): boolean {
  return c.get(REPLAYED) === true;
}
