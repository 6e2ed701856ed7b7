import type { StoredRecord } from '../../adapters/types.ts';
import { HttpProblem } from '../errors/problem.ts';

/**
 * A record's version as a strong ETag: its `updatedAt`, which the engine moves forward on
 * every write, at least a millisecond past the one before (see {@link nextUpdatedAt}), so
 * no two versions of a record share it. Costs nothing to compute on a read.
 */
export function etagOf(record: StoredRecord): string {
  return `"${record.updatedAt}"`;
}

/** `updatedAt` for a write: now, or a millisecond past the current one if the clock has not moved past it. */
export function nextUpdatedAt(current: string): string {
  const now = Date.now();
  const previous = Date.parse(current);
  return new Date(Number.isNaN(previous) || now > previous ? now : previous + 1).toISOString();
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
