/**
 * `length` ASCII letters that do not compress (xorshift from `seed`, so a run is the same
 * every time), for values PostgreSQL cannot shrink into an index entry.
 */
export function incompressible(length: number, seed = 2463534242): string {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out += String.fromCharCode(97 + ((state >>> 0) % 26));
  }
  return out;
}
