/**
 * PostgreSQL's btree index holds one entry of at most 2,704 bytes (a third of an 8 KB
 * page), after compressing it. A string in a sorted (`(field, id)`), filtered or unique
 * index is stored only if its entry fits: up to {@link ALWAYS_INDEXED_BYTES} bytes of UTF-8
 * always do; a longer value does when it compresses enough, and is refused otherwise.
 * Written once here: the adapter names it in its refusals, the capability (and so
 * `council validate`'s warning) is derived from it.
 */
export const BTREE_ENTRY_BYTES = 2704;

/** The longest string whose `(field, id)` entry fits uncompressed: 2,704 − 8 (tuple header) − 4 (text header) − 16 (uuid). */
export const ALWAYS_INDEXED_BYTES = 2676;

/** SQLSTATE program_limit_exceeded: an index entry (or a text-search vector) too large. */
export const PROGRAM_LIMIT_EXCEEDED = '54000';

/** What the refusal of a string too long to index says, value size and limit included. */
export function tooLongToIndex(field: string, bytes: number): string {
  return `${field} is ${bytes.toLocaleString('en-US')} bytes, too long for its index: postgres indexes a sorted, filtered or unique string in one entry of at most ${BTREE_ENTRY_BYTES.toLocaleString('en-US')} bytes after compression (${ALWAYS_INDEXED_BYTES.toLocaleString('en-US')} bytes always fit); shorten it`;
}
