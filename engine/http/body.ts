import type { Context } from 'hono';
import { HttpProblem } from './problem.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads a JSON object body: 415 unless the content type is JSON (`application/json`,
 * `application/merge-patch+json`, ...), 413 past `limit` bytes (checked on the
 * declared length first, then while streaming), 400 for bytes that are not UTF-8 JSON,
 * 422 when the JSON is not an object.
 */
export async function readJsonObject(c: Context, limit: number): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new HttpProblem('unsupported-media-type', `send the body as JSON with "Content-Type: application/json"${type ? ` (got "${type}")` : ''}`);
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge(limit);
  const bytes = await readLimited(c.req.raw, limit);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new HttpProblem('malformed-json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpProblem('validation-failed', 'the request body must be a JSON object', {
      errors: [{ pointer: '', message: `must be an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` }],
    });
  }
  return value as Record<string, unknown>;
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
