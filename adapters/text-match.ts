import type { StoredRecord } from './types.ts';

/**
 * Full-text matching as every backend with `search` implements it, written once for
 * backends that search in process (memory) and for tests: words are runs of letters and
 * digits, compared case-insensitively and unstemmed; a record matches when each word of
 * the query occurs in one of the searchable fields, and scores the number of times the
 * query's words occur there.
 */
export function searchWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word, i, all) => all.indexOf(word) === i);
}

/** The record's relevance for `words` (0: it does not match). */
export function textScore(record: StoredRecord, fields: readonly string[], words: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    for (const word of value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  let score = 0;
  for (const word of words) {
    const count = counts.get(word);
    if (!count) return 0;
    score += count;
  }
  return score;
}
