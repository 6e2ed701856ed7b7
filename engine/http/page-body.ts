import { cutDetail, fitBody, type PieceLink } from './record-body.ts';

/**
 * A page of records as a JSON body of at most `budget` characters: records are
 * serialized one by one and the page stops before the one that would pass the budget
 * (never before the first, so a page always moves forward). A first record that alone
 * passes it comes alone, cut to fit, with `meta.cut` naming what was cut and where to read
 * the rest (`link` gives the first record's piece links). A model's tool call reads a
 * bounded answer, and `meta.next` continues right after the last record it got.
 */
export function pageBody(
  records: readonly unknown[],
  budget: number,
  meta: (kept: number) => Record<string, unknown>,
  link: PieceLink,
  texts?: readonly string[],
): { body: string; kept: number } {
  // Room for `{"data":[...],"meta":{...}}` around the records: a cursor is a few hundred characters.
  const room = budget - META_RESERVE;
  const parts: string[] = [];
  let size = 0;
  // `texts`: the records' JSON, made by the caller (see embedAsJson).
  for (const [i, record] of records.entries()) {
    const text = texts ? (texts[i] as string) : JSON.stringify(record);
    if (parts.length > 0 && size + text.length + 1 > room) break;
    parts.push(text);
    size += text.length + 1;
  }
  let kept = parts.length;
  const render = () => `{"data":[${parts.slice(0, kept).join(',')}],"meta":${JSON.stringify(meta(kept))}}`;
  let body = render();
  // A meta longer than foreseen (a cursor carrying many long filter values) gives back records.
  while (kept > 1 && body.length > budget) {
    kept--;
    body = render();
  }
  if (kept !== 1 || body.length <= budget) return { body, kept };
  const alone = fitBody(
    records[0],
    budget,
    (value, cuts) =>
      `{"data":[${JSON.stringify(value)}],"meta":${JSON.stringify(
        cuts.length === 0 ? meta(1) : { ...meta(1), cut: cuts, detail: cutDetail(budget, link, false) },
      )}}`,
    link,
  );
  return { body: alone, kept };
}

const META_RESERVE = 1000;
