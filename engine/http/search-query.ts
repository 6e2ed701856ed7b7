import { searchWords } from '../../adapters/text-match.ts';
import type { SearchQuery } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { choices, type FieldError } from '../errors/problem.ts';
import { invalidCursor } from './cursor.ts';
import { parseFieldsParam } from './fields-param.ts';
import { invalidQuery, parseLimit } from './list-query.ts';

/** Longest `q` accepted: a search is a few words, not a document. */
export const MAX_SEARCH_TEXT = 500;
/** How deep search pages may go (relevance pages by offset; deeper pages cost every store more). */
export const MAX_SEARCH_OFFSET = 10_000;

const KNOWN = ['q', 'limit', 'cursor', 'fields'];

/**
 * Reads `GET /<name>/search` parameters. A search cursor carries the words, the limit
 * and how many matches came before, so `?cursor=` alone fetches the next page.
 */
export function parseSearchQuery(plan: AutomationPlan, params: URLSearchParams): SearchQuery & { readonly fields?: readonly string[] } {
  const errors: FieldError[] = [];
  for (const name of new Set(params.keys())) {
    if (!KNOWN.includes(name)) {
      errors.push({
        pointer: `/query/${name}`,
        message: `unknown query parameter${didYouMean(name, KNOWN)}; accepted: ${KNOWN.join(', ')}`,
        ...choices(name, KNOWN),
      });
    } else if (params.getAll(name).length > 1) {
      errors.push({ pointer: `/query/${name}`, message: 'given more than once; pass it once' });
    }
  }
  const fields = parseFieldsParam(plan, params, errors);
  const cursorText = params.get('cursor');
  const cursor = cursorText === null ? undefined : readSearchCursor(cursorText, plan);
  const q = params.get('q');
  if (cursor && q !== null && q !== cursor.text) {
    errors.push({
      pointer: '/query/q',
      message: "differs from the cursor's q; drop q to continue with the cursor, or drop cursor to start over",
    });
  }
  const text = q ?? cursor?.text ?? '';
  if (q === null && !cursor) errors.push({ pointer: '/query/q', message: 'is required: the words to search for, e.g. ?q=refund policy' });
  else if (text.length > MAX_SEARCH_TEXT) errors.push({ pointer: '/query/q', message: `must be at most ${MAX_SEARCH_TEXT} characters` });
  else if (searchWords(text).length === 0) errors.push({ pointer: '/query/q', message: 'has no words (letters or digits) to search for' });
  const limitText = params.get('limit');
  // A cursor's limit was checked when it was read.
  const limit = limitText === null && cursor ? cursor.limit : parseLimit(limitText, plan.pagination, errors);
  if (errors.length) throw invalidQuery(errors);
  return { text, limit, offset: cursor?.offset ?? 0, ...(fields ? { fields } : {}) };
}

/** The cursor of the page after `query`'s, or null when it would go deeper than search pages go. */
export function encodeSearchCursor(query: SearchQuery, returned = query.limit): string | null {
  const offset = query.offset + returned;
  if (offset > MAX_SEARCH_OFFSET) return null;
  return Buffer.from(JSON.stringify({ q: query.text, o: offset, l: query.limit })).toString('base64url');
}

function readSearchCursor(text: string, plan: AutomationPlan): SearchQuery {
  let payload: { q?: unknown; o?: unknown; l?: unknown } | null = null;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {}
  const { q, o, l } = payload ?? {};
  const valid =
    typeof q === 'string' &&
    Number.isSafeInteger(o) &&
    (o as number) > 0 &&
    (o as number) <= MAX_SEARCH_OFFSET &&
    Number.isSafeInteger(l) &&
    (l as number) >= 1 &&
    (l as number) <= plan.pagination.maxLimit;
  if (!valid) throw invalidCursor();
  return { text: q, offset: o as number, limit: l as number };
}
