/**
 * A page of records as a JSON body of at most about `budget` characters: records are
 * serialized one by one and the page stops before the one that would pass the budget
 * (never before the first, so a page always moves forward). A model's tool call reads a
 * bounded answer, and `meta.next` continues right after the last record it got.
 */
export function pageBody(
  records: readonly unknown[],
  budget: number,
  meta: (kept: number) => Record<string, unknown>,
): { body: string; kept: number } {
  // Room for `{"data":[...],"meta":{...}}` around the records: a cursor is a few hundred characters.
  const room = budget - META_RESERVE;
  const parts: string[] = [];
  let size = 0;
  for (const record of records) {
    const text = JSON.stringify(record);
    if (parts.length > 0 && size + text.length + 1 > room) break;
    parts.push(text);
    size += text.length + 1;
  }
  const kept = parts.length;
  return { body: `{"data":[${parts.join(',')}],"meta":${JSON.stringify(meta(kept))}}`, kept };
}

const META_RESERVE = 1000;
