import type { StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { type Cut, type Fitted, fitValue } from './record-cut.ts';

/**
 * Where the rest of a cut value is read: the path of the get request for the piece that
 * starts at `offset`, or null when the automation has no get endpoint.
 */
export type PieceLink = (pointer: string, offset: number) => string | null;

/** One entry of `meta.cut`. */
export interface CutEntry extends Cut {
  /** GET this path for the rest, one piece at a time (absent without a get endpoint). */
  readonly next?: string;
}

/**
 * The links of one record's pieces: `GET /notes/{id}?piece=/body&offset=40000&version=...`.
 * `version` is the record's `updatedAt` when the link was made: a piece of a record that
 * changed since is a 412, so pieces of two versions are never put together.
 */
export function pieceLinks(plan: AutomationPlan, record: Pick<StoredRecord, 'id' | 'updatedAt'>): PieceLink {
  // Called only when a value is cut, which almost no answer is, so nothing is looked up
  // before: this is made on every read (with many automations, reading `endpoints` there
  // was a cache miss of its own).
  return (pointer, offset) =>
    plan.endpoints.some((e) => e.operation === 'get')
      ? `${plan.basePath}/${record.id}?piece=${queryValue(pointer)}&offset=${offset}&version=${queryValue(String(record.updatedAt))}`
      : null;
}

/** `meta.cut` entries, each with the link to its rest. */
export function cutEntries(cuts: readonly Cut[], link: PieceLink): CutEntry[] {
  return cuts.map((cut) => {
    const next = link(cut.pointer, cut.returned);
    return next === null ? { ...cut } : { ...cut, next };
  });
}

/** What `meta.detail` says about cuts, for a model reading the answer. */
export function cutDetail(budget: number, link: PieceLink, written: boolean): string {
  const stored = written ? 'The write succeeded and the record is stored whole; only this answer is shortened: ' : '';
  const rest =
    link('', 0) === null
      ? 'this automation has no get endpoint to read the rest.'
      : "GET each cut's `next` to read the rest of that value, one piece at a time, until a piece's `meta.next` is null (through MCP: call the get tool with the `piece`, `offset` and `version` of that path).";
  return `${stored}the record is longer than one response may be (${budget} characters), so the values listed in \`meta.cut\` are cut short here (\`returned\` of \`length\`); ${rest}`;
}

/**
 * A JSON body of at most `budget` characters holding `value`: the whole of it when that
 * fits, else `value` cut (see record-cut.ts) with the cuts passed to `render` to be named.
 * `render(value, cuts)` writes the body; the room left for the value is found by measuring
 * it, and narrowed if naming the cuts took more than foreseen. Only property names longer
 * than the budget can keep a body over it.
 */
export function fitBody(
  value: unknown,
  budget: number,
  render: (value: unknown, cuts: CutEntry[]) => string,
  link: PieceLink,
  fit: (value: unknown, room: number) => Fitted = (v, room) => fitValue(v, room, '', costOf(link)),
): string {
  const whole = render(value, []);
  if (whole.length <= budget) return whole;
  let room = budget - (render(null, []).length - 4);
  let body = whole;
  for (let attempt = 0; attempt < 6 && room > 0; attempt++) {
    const fitted = fit(value, room);
    body = render(fitted.value, cutEntries(fitted.cuts, link));
    if (body.length <= budget) return body;
    // From what the value took, not the room offered: a string stopped short of an escape
    // left room unused, and taking the overshoot off the room alone could change nothing.
    room = fitted.size - (body.length - budget);
  }
  return body;
}

/** What naming a cut at `pointer` costs in `meta.cut`, with room for long numbers. */
export function costOf(link: PieceLink): (pointer: string) => number {
  return (pointer) => {
    const widest = 999_999_999;
    const next = link(pointer, widest);
    return JSON.stringify({ pointer, length: widest, returned: widest, ...(next === null ? {} : { next }) }).length + 1;
  };
}

/**
 * `{"data": record}`, or when the record alone passes the budget, the record cut with
 * `meta.cut` and `meta.detail` (after a write, saying the record was stored whole).
 */
export function recordBody(record: unknown, budget: number, link: PieceLink, written = false): string {
  // Almost every record fits: written at once, without the renderer fitBody needs.
  const whole = `{"data":${JSON.stringify(record)}}`;
  if (whole.length <= budget) return whole;
  return fitBody(
    record,
    budget,
    (value, cuts) =>
      cuts.length === 0
        ? `{"data":${JSON.stringify(value)}}`
        : `{"data":${JSON.stringify(value)},"meta":${JSON.stringify({ cut: cuts, detail: cutDetail(budget, link, written) })}}`,
    link,
  );
}

/** Query-string text that keeps `/` and `:` readable (both are allowed there). */
function queryValue(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/').replace(/%3A/g, ':');
}
