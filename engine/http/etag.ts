import { createHash } from 'node:crypto';
import type { StoredRecord } from '../../adapters/types.ts';
import { HttpProblem } from './problem.ts';

/**
 * A record's version as a strong ETag: a hash of its content with keys in a fixed order,
 * so every backend gives the same record the same tag and any change gives a new one.
 */
export function etagOf(record: StoredRecord): string {
  return `"${createHash('sha256').update(canonical(record)).digest('base64url').slice(0, 22)}"`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The `If-Match` of a write as a check to run on the current record, atomically with the
 * write; undefined when there is nothing to check. `*` matches any record; weak tags
 * never match (RFC 9110 compares If-Match strongly).
 */
export function ifMatchCheck(header: string | undefined, required: boolean, what: string): ((current: StoredRecord) => void) | undefined {
  if (header === undefined || header.trim() === '') {
    if (!required) return undefined;
    throw new HttpProblem(
      'precondition-required',
      `writes to ${what} need If-Match: GET the record, then send its ETag header value as If-Match with the change`,
    );
  }
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*')) return undefined;
  return (current) => {
    const tag = etagOf(current);
    if (!tags.includes(tag)) {
      throw new HttpProblem(
        'precondition-failed',
        `the record changed since you read it (its ETag is now ${tag}); GET it again, reapply your change to what it holds now, and retry with the new ETag as If-Match`,
        { headers: { etag: tag } },
      );
    }
  };
}
