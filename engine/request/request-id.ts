import type { Context } from 'hono';
import { newRecordId } from './record-id.ts';
import { requestHeader } from './request-header.ts';

/** What a caller's X-Request-Id may be to be kept: letters, digits, `_ . : -`, at most 128. */
const PLAIN = /^[\w.:-]{1,128}$/;

/**
 * The id a request is answered (X-Request-Id), audited and logged under: the caller's
 * X-Request-Id when it is plain, else a new one, so nothing a caller sends reaches a log as such.
 */
export function requestIdOf(c: Context): string {
  const given = requestHeader(c, 'x-request-id');
  return given && PLAIN.test(given) ? given : newRecordId();
}
