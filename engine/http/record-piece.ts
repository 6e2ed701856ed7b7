import type { StoredRecord } from '../../adapters/types.ts';
import type { FieldError } from '../errors/problem.ts';
import { HttpProblem } from '../errors/problem.ts';
import { type CutEntry, costOf, fitBody, type PieceLink } from './record-body.ts';
import { type Fitted, fitMembers, stringPrefix } from './record-cut.ts';

/** `?piece=/body&offset=40000&version=...` on get: one piece of one value of a record. */
export interface PieceQuery {
  /** JSON Pointer into the record; `""` is the record itself. */
  readonly pointer: string;
  readonly offset: number;
  /** The record's `updatedAt` when the link was made, if the request names one. */
  readonly version?: string;
}

/** Reads `piece`, `offset` and `version`; undefined without `piece`. Problems go to `errors`. */
export function parsePieceQuery(params: URLSearchParams, errors: FieldError[]): PieceQuery | undefined {
  const pointer = params.get('piece');
  const offsetText = params.get('offset');
  const version = params.get('version');
  if (pointer === null) {
    for (const [name, given] of [
      ['offset', offsetText],
      ['version', version],
    ] as const) {
      if (given !== null) errors.push({ pointer: `/query/${name}`, message: 'goes with piece; copy the whole `next` link of a cut' });
    }
    return undefined;
  }
  if (params.has('fields')) errors.push({ pointer: '/query/fields', message: 'a piece is one value; drop fields, or drop piece' });
  if (pointer !== '' && !pointer.startsWith('/')) {
    errors.push({
      pointer: '/query/piece',
      message: 'must be a JSON Pointer into the record, such as /body, as `meta.cut[].pointer` gives it',
    });
  }
  const offset = offsetText === null ? 0 : /^\d{1,15}$/.test(offsetText) ? Number(offsetText) : Number.NaN;
  if (Number.isNaN(offset)) errors.push({ pointer: '/query/offset', message: 'must be a whole number from 0' });
  return { pointer, offset, ...(version === null ? {} : { version }) };
}

/**
 * The body of one piece: `{"data": {id}, "piece": {pointer, offset, length, returned, value},
 * "meta": {"next"}}`, at most `budget` characters. `data` stays a record (part of one: its
 * id), so get answers one shape whatever it is asked, and typed clients read it as before. A string's piece is its characters from
 * `offset`; an array's, its items from `offset`; an object's, its members from `offset`
 * (in the record's order). An item too long for a piece on its own is cut in turn, and
 * named in `meta.cut` with a pointer into the record.
 */
export function pieceBody(record: StoredRecord, query: PieceQuery, budget: number, link: PieceLink): string {
  if (query.version !== undefined && query.version !== record.updatedAt) {
    throw new HttpProblem(
      'precondition-failed',
      `the record changed since this piece's link was made (version ${query.version}, now ${record.updatedAt}); read it again from the start with GET ${link('', 0)?.split('?')[0] ?? 'its get endpoint'}`,
      { headers: { etag: `"${record.updatedAt}"` } },
    );
  }
  const value = valueAt(record, query.pointer);
  const length = typeof value === 'string' ? value.length : Array.isArray(value) ? value.length : Object.keys(value).length;
  if (query.offset > length) {
    throw pieceQueryProblem('/query/offset', `is past the end: the value at ${query.pointer || '(the record)'} has length ${length}`);
  }
  const rest =
    typeof value === 'string' || Array.isArray(value)
      ? value.slice(query.offset)
      : Object.fromEntries(Object.entries(value).slice(query.offset));
  const render = (piece: unknown, cuts: CutEntry[]): string => {
    const returned =
      piece === null ? 0 : typeof piece === 'string' || Array.isArray(piece) ? piece.length : Object.keys(piece as object).length;
    const end = query.offset + returned;
    const next = end < length ? link(query.pointer, end) : null;
    const about = { pointer: query.pointer, offset: query.offset, length, returned, value: piece };
    const meta = { next, ...(cuts.length ? { cut: cuts } : {}) };
    return `{"data":{"id":${JSON.stringify(record.id)}},"piece":${JSON.stringify(about)},"meta":${JSON.stringify(meta)}}`;
  };
  return fitBody(rest, budget, render, link, (whole, room) => slice(whole, query, room, costOf(link)));
}

/**
 * The start of `rest` (the value from the offset on) that fits in `room` characters of
 * JSON; at least one unit, so reading piece after piece always ends. Array items keep
 * their index in the whole value, so a cut inside one points into the record.
 */
function slice(rest: unknown, query: PieceQuery, room: number, cost: (pointer: string) => number): Fitted {
  if (typeof rest === 'string') {
    const text = rest.slice(0, stringPrefix(rest, 0, room, true));
    return { value: text, cuts: [], size: JSON.stringify(text).length };
  }
  const members: [string | number, unknown][] = Array.isArray(rest)
    ? rest.map((item, i) => [query.offset + i, item])
    : Object.entries(rest as Record<string, unknown>);
  const fitted = fitMembers(members, room - 2, query.pointer, cost);
  const out: unknown = Array.isArray(rest) ? fitted.members.map(([, item]) => item) : Object.fromEntries(fitted.members);
  return { value: out, cuts: fitted.cuts, size: fitted.size + 2 };
}

/** The string, array or object at `pointer`; anything else is a 400 saying why. */
function valueAt(record: StoredRecord, pointer: string): string | unknown[] | Record<string, unknown> {
  let at: unknown = record;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at) && /^(0|[1-9]\d*)$/.test(key)) at = at[Number(key)];
    else if (typeof at === 'object' && at !== null && !Array.isArray(at) && Object.hasOwn(at, key))
      at = (at as Record<string, unknown>)[key];
    else at = undefined;
    if (at === undefined) break;
  }
  if (at === undefined) throw pieceQueryProblem('/query/piece', `the record has no value at ${pointer}; use a pointer from meta.cut`);
  if (typeof at === 'string' || (typeof at === 'object' && at !== null)) return at as string | unknown[] | Record<string, unknown>;
  throw pieceQueryProblem(
    '/query/piece',
    `the value at ${pointer} is a ${at === null ? 'null' : typeof at}, which is never cut; it is in the record itself`,
  );
}

function pieceQueryProblem(pointer: string, message: string): HttpProblem {
  const name = pointer.replace('/query/', '');
  return new HttpProblem('invalid-query', `fix these query parameters and retry: ${name}: ${message}`, { errors: [{ pointer, message }] });
}
