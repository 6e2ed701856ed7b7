import type { Context } from 'hono';
import { type FieldError, HttpProblem } from '../errors/problem.ts';
import { requestHeader } from '../request/request-header.ts';
import { inexactNumbers } from './json-numbers.ts';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const JSON_PATCH_TYPE = /^application\/json-patch\+json\s*(?:;|$)/i;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads a JSON object body: 415 unless the content type is JSON (`application/json`,
 * `application/merge-patch+json`, ...), 413 past `limit` bytes (checked on the
 * declared length first, then while streaming), 400 for bytes that are not UTF-8 JSON,
 * 422 when the JSON is not an object, nests too deep, has a `__proto__` key or a number a
 * double cannot carry exactly.
 */
export async function readJsonObject(c: Context, limit: number): Promise<Record<string, unknown>> {
  const type = requestHeader(c, 'content-type') ?? '';
  if (JSON_PATCH_TYPE.test(type)) {
    throw new HttpProblem(
      'unsupported-media-type',
      'this API does not take JSON Patch (RFC 6902) operation lists; send a JSON merge patch instead: an object with the fields to change (null removes a field), as application/json or application/merge-patch+json',
    );
  }
  if (!JSON_TYPE.test(type)) {
    throw new HttpProblem(
      'unsupported-media-type',
      `send the body as JSON with "Content-Type: application/json"${type ? ` (got "${type}")` : ''}`,
    );
  }
  const bytes = await readBodyBytes(c.req.raw, limit, requestHeader(c, 'content-length') ?? null);
  let value: unknown;
  let text: string;
  try {
    text = UTF8.decode(bytes);
    value = SUSPECT_ESCAPE.test(text) ? JSON.parse(text, rejectUnstorableStrings) : JSON.parse(text);
  } catch (error) {
    throw new HttpProblem('malformed-json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpProblem('validation-failed', 'the request body must be a JSON object', {
      errors: [
        { pointer: '', message: `must be an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` },
      ],
    });
  }
  const hostile = hostileShape(text, value);
  if (hostile.length) {
    const detail = hostile.map((e) => `${e.pointer || '(body)'} ${e.message}`).join('; ');
    throw new HttpProblem('validation-failed', `the request body cannot be stored: ${detail}`, { errors: hostile });
  }
  return value as Record<string, unknown>;
}

/** How deep objects and arrays may nest in a body: deeper is never a record, and costs every step after. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses shapes no record needs and that attack what handles bodies: nesting deeper
 * than {@link MAX_JSON_DEPTH}; a `__proto__` key, which an assignment (`Object.assign`, a
 * store decoding a row) would turn into the object's prototype; and numbers a double
 * cannot carry exactly, which would be stored as another number without a word. Keys are
 * checked on the parsed value, not the text: `"\u005f_proto__"` is the same key.
 */
function hostileShape(text: string, value: unknown): FieldError[] {
  if (text.length > 2 * MAX_JSON_DEPTH && nestingDepth(text) > MAX_JSON_DEPTH) {
    return [{ pointer: '', message: `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels; flatten it` }];
  }
  const proto = protoKeyPath(value);
  const errors =
    proto === undefined
      ? []
      : [
          {
            pointer: proto.map((key) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`).join(''),
            message: 'the key "__proto__" is not allowed; rename it',
          },
        ];
  errors.push(...inexactNumbers(text));
  return errors;
}

/** The deepest nesting of `[` and `{` outside strings. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92)
        i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) deepest = Math.max(deepest, ++depth);
    else if (ch === 93 || ch === 125) depth--;
  }
  return deepest;
}

/** The path to the first `__proto__` key at any depth; the walk allocates nothing until it finds one. */
function protoKeyPath(value: unknown): string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = protoKeyPath(value[i]);
      if (inner) return [String(i), ...inner];
    }
    return undefined;
  }
  if (Object.hasOwn(value, '__proto__')) return ['__proto__'];
  for (const key in value) {
    const inner = protoKeyPath((value as Record<string, unknown>)[key]);
    if (inner) return [key, ...inner];
  }
  return undefined;
}

// JSON may escape characters no store keeps faithfully (PostgreSQL text refuses NUL and
// lone surrogates); they are refused for every backend so behaviour does not depend on it.
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function rejectUnstorableStrings(key: string, value: unknown): unknown {
  for (const text of [key, value]) {
    if (typeof text === 'string' && (text.includes('\u0000') || LONE_SURROGATE.test(text))) {
      throw new Error('strings must be well-formed Unicode: no NUL (\\u0000) and no unpaired surrogate (\\uD800-\\uDFFF) escapes');
    }
  }
  return value;
}

/**
 * A request's body bytes: 413 past `limit` bytes (on the declared length first, then while
 * streaming); a body cut short (the client left, or bytes that are not HTTP) is a 400
 * `malformed-request`, never a server error, and nothing is applied.
 */
export async function readBodyBytes(
  request: Request,
  limit: number,
  // Given when read already: the request's Headers object is built on its first read, every header at once.
  length = request.headers.get('content-length'),
): Promise<Uint8Array> {
  if (length !== null && Number(length) > limit) throw tooLarge(limit);
  // With a declared length Node's parser already stops the body there, so the server's
  // fast path can read it whole; only a chunked body is counted while it streams.
  return (length !== null ? request.arrayBuffer().then((b) => new Uint8Array(b)) : readLimited(request, limit)).catch((error: unknown) => {
    if (error instanceof HttpProblem) throw error;
    throw new HttpProblem(
      'malformed-request',
      'the request body could not be read in full (the connection closed or the bytes were not valid HTTP before it ended); nothing was written. Send the whole body, sized as Content-Length says',
      { cause: error },
    );
  });
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem('payload-too-large', `the request body is larger than the ${limit}-byte limit; send less data per request`);
}
