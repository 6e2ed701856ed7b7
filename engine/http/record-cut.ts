/**
 * Cutting one JSON value (a record, or a piece of one) down to a number of characters of
 * JSON, and saying what was cut. Pure. A string keeps a prefix; an array or object keeps
 * its first members. The longest values give way first: an object's members share the
 * room, each cut only as far as it must be (a water level over their sizes); an array
 * keeps whole items in order. Every cut is named by a JSON Pointer into the value, with
 * how long the value is and how much of it was kept, so the rest can be read in pieces.
 */

/** One value that was shortened: `length` and `returned` count characters of a string, items of an array, members of an object. */
export interface Cut {
  readonly pointer: string;
  readonly length: number;
  readonly returned: number;
}

/** Characters that naming a cut at `pointer` adds to the response (its entry in `meta.cut`). */
export type CutCost = (pointer: string) => number;

export interface Fitted {
  readonly value: unknown;
  readonly cuts: Cut[];
  /** Characters of JSON, plus the cost of naming each cut. */
  readonly size: number;
}

/** A shortened member must keep at least this much content, or sharing gives way to keeping the first members whole. */
const MIN_CONTENT = 100;
/** After the whole members that fit, room this large still takes part of the next one. */
const PARTIAL_MIN = 1000;

/** `value` (found at `pointer`) in at most `room` characters of JSON, counting the cost of each cut named. */
export function fitValue(value: unknown, room: number, pointer: string, cost: CutCost): Fitted {
  const size = JSON.stringify(value)?.length ?? 0;
  if (size <= room) return { value, cuts: [], size };
  if (typeof value === 'string') {
    const own = cost(pointer);
    const kept = stringPrefix(value, 0, room - own);
    const text = value.slice(0, kept);
    return { value: text, cuts: [{ pointer, length: value.length, returned: kept }], size: jsonLength(text) + own };
  }
  if (Array.isArray(value)) {
    const own = cost(pointer);
    const fitted = fitMembers(
      value.map((item, index) => [index, item]),
      room - own - 2,
      pointer,
      cost,
    );
    return {
      value: fitted.members.map(([, item]) => item),
      cuts: [{ pointer, length: value.length, returned: fitted.members.length }, ...fitted.cuts],
      size: fitted.size + 2 + own,
    };
  }
  if (typeof value === 'object' && value !== null) return fitObject(value as Record<string, unknown>, room, pointer, cost);
  // Numbers, booleans and null are short and never cut.
  return { value, cuts: [], size };
}

/**
 * Members (array items by index, or object members by key) in order: whole while they fit
 * in `room`, then part of the next one when room is left (always when none fitted, so a
 * piece always moves forward). `size` counts the separators and keys but not brackets.
 */
export function fitMembers(
  members: readonly (readonly [string | number, unknown])[],
  room: number,
  pointer: string,
  cost: CutCost,
): { members: [string | number, unknown][]; cuts: Cut[]; size: number } {
  const kept: [string | number, unknown][] = [];
  const cuts: Cut[] = [];
  let size = 0;
  for (const [key, value] of members) {
    const separator = kept.length > 0 ? 1 : 0;
    const keyLength = typeof key === 'string' ? jsonLength(key) + 1 : 0;
    const whole = keyLength + (JSON.stringify(value)?.length ?? 0);
    if (size + separator + whole <= room) {
      kept.push([key, value]);
      size += separator + whole;
      continue;
    }
    const left = room - size - separator - keyLength;
    if (kept.length === 0 || left >= PARTIAL_MIN) {
      const part = fitValue(value, left, `${pointer}/${escapePointer(String(key))}`, cost);
      kept.push([key, part.value]);
      cuts.push(...part.cuts);
      size += separator + keyLength + part.size;
    }
    break;
  }
  return { members: kept, cuts, size };
}

/**
 * The members share the room: those smaller than a water level stay whole, the others are
 * cut to it (their content to the level, less the cost of naming the cut). When the level
 * would leave a cut member less than {@link MIN_CONTENT} characters, there are too many
 * members to share it: the object keeps its first members instead, and is itself a cut.
 */
function fitObject(object: Record<string, unknown>, room: number, pointer: string, cost: CutCost): Fitted {
  const entries = Object.entries(object);
  const sizes = entries.map(([key, value]) => jsonLength(key) + 1 + (JSON.stringify(value)?.length ?? 0));
  const cuttable = entries.map(([, value]) => typeof value === 'string' || (typeof value === 'object' && value !== null));
  const fixed = sizes.reduce((sum, size, i) => sum + (cuttable[i] ? 0 : size), 0);
  const avail = room - 2 - Math.max(0, entries.length - 1) - fixed;
  const level = waterLevel(
    sizes.filter((_, i) => cuttable[i]),
    avail,
  );
  // Numbers, booleans and null are never cut: when they alone leave no room, sharing cannot work.
  const shared =
    avail >= 0 &&
    entries.every(([key], i) => {
      const size = sizes[i] ?? 0;
      if (!cuttable[i] || size <= level) return true;
      const child = `${pointer}/${escapePointer(key)}`;
      return level - jsonLength(key) - 1 >= cost(child) + MIN_CONTENT;
    });
  if (shared) {
    const out: Record<string, unknown> = {};
    const cuts: Cut[] = [];
    let size = 2 + Math.max(0, entries.length - 1);
    entries.forEach(([key, value], i) => {
      const whole = sizes[i] ?? 0;
      if (!cuttable[i] || whole <= level) {
        define(out, key, value);
        size += whole;
        return;
      }
      const part = fitValue(value, level - jsonLength(key) - 1, `${pointer}/${escapePointer(key)}`, cost);
      define(out, key, part.value);
      cuts.push(...part.cuts);
      size += jsonLength(key) + 1 + part.size;
    });
    return { value: out, cuts, size };
  }
  const own = cost(pointer);
  const fitted = fitMembers(entries, room - own - 2, pointer, cost);
  const out: Record<string, unknown> = {};
  for (const [key, value] of fitted.members) define(out, String(key), value);
  return {
    value: out,
    cuts: [{ pointer, length: entries.length, returned: fitted.members.length }, ...fitted.cuts],
    size: fitted.size + 2 + own,
  };
}

/** The largest level such that the sizes, each capped at it, add up to at most `room`. */
function waterLevel(sizes: readonly number[], room: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let below = 0;
  for (let i = 0; i < sorted.length; i++) {
    const size = sorted[i] ?? 0;
    const rest = sorted.length - i;
    if (below + rest * size > room) return Math.floor((room - below) / rest);
    below += size;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * How many UTF-16 units of `text` from `offset` fit in `room` characters of JSON (quotes
 * and escapes counted), never splitting a surrogate pair; at least one when any remain
 * and `atLeastOne` is set, so a piece always moves forward.
 */
export function stringPrefix(text: string, offset: number, room: number, atLeastOne = false): number {
  let used = 2;
  let end = offset;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const pair = code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(end + 1));
    const width = pair ? 2 : escapedWidth(code);
    if (used + width > room) break;
    used += width;
    end += pair ? 2 : 1;
  }
  if (atLeastOne && end === offset && offset < text.length) {
    const code = text.charCodeAt(offset);
    end += code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(offset + 1)) ? 2 : 1;
  }
  return end - offset;
}

/** Characters JSON.stringify writes for one UTF-16 unit (a lone surrogate is escaped). */
function escapedWidth(code: number): number {
  if (code === 0x22 || code === 0x5c || code === 0x08 || code === 0x0c || code === 0x0a || code === 0x0d || code === 0x09) return 2;
  if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)) return 6;
  return 1;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function jsonLength(text: string): number {
  return JSON.stringify(text).length;
}

/** RFC 6901: `~` and `/` in a key. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Defined, not assigned: a key named __proto__ stays a plain key. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
