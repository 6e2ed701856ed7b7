import type { FieldError } from '../errors/problem.ts';

/**
 * JSON numbers a double cannot carry exactly, each with its JSON Pointer, in text order.
 *
 * `JSON.parse` turns every number into an IEEE 754 double without a word: 9007199254740993
 * becomes 9007199254740992, `1e400` Infinity, `1e-400` 0. A number **round-trips** when the
 * decimal value its text denotes equals the decimal value of the shortest text of the double
 * it parses to (what `JSON.stringify` writes back, and so what every store keeps): `0.1`,
 * `1.0`, `1e2`, `-0` and `123456789012345680000` do; `9007199254740993`,
 * `0.10000000000000000001`, `1e400` and `1e-400` do not.
 *
 * `text` must be valid JSON (parse it first). Numbers with at most 15 significant digits and
 * no exponent always round-trip, so a text without a run of 16 digits (or points) and
 * without an exponent is answered without a scan: the fast path of ordinary bodies.
 */
export function inexactNumbers(text: string): FieldError[] {
  if (!MAYBE_INEXACT.test(text)) return [];
  const found: FieldError[] = [];
  const frames: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b) {
      frames.push({ array: false, key: '""', index: 0 });
      expectKey = true;
    } else if (ch === 0x5b) {
      frames.push({ array: true, key: '', index: 0 });
    } else if (ch === 0x7d || ch === 0x5d) {
      frames.pop();
    } else if (ch === 0x2c) {
      const top = frames.at(-1);
      if (top?.array) top.index++;
      else expectKey = true;
    } else if (ch === 0x22) {
      const end = stringEnd(text, i);
      const top = frames.at(-1);
      if (expectKey && top && !top.array) {
        top.key = text.slice(i, end + 1);
        expectKey = false;
      }
      i = end;
    } else if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(text)?.[0] ?? text[i] ?? '';
      if (token.length > 15 || /[eE]/.test(token)) {
        const stored = Number(token);
        if (!roundTrips(token, stored)) found.push(inexact(pointerOf(frames), token, stored));
      }
      i += token.length - 1;
    }
  }
  return found;
}

/** Whether `token` (a JSON number) denotes the same decimal value as the shortest text of `value`, its parse. */
export function roundTrips(token: string, value = Number(token)): boolean {
  return Number.isFinite(value) && decimalOf(token) === decimalOf(String(value));
}

interface Frame {
  readonly array: boolean;
  /** The member name as it appears in the text (quotes and escapes included), decoded only for a pointer. */
  key: string;
  index: number;
}

/** A digit followed by 15 more digits or points, or an exponent: only such texts can hold an inexact number. */
const MAYBE_INEXACT = /[0-9][0-9.]{15}|[0-9][eE]/;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** `[-]digits e exponent` with no leading or trailing zero digit: equal strings, equal decimals. */
function decimalOf(token: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return token;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  const significant = digits.replace(/0+$/, '');
  if (significant === '') return '0';
  return `${sign}${significant}e${Number(exponent) - fraction.length + (digits.length - significant.length)}`;
}

function pointerOf(frames: readonly Frame[]): string {
  return frames
    .map((frame) => `/${frame.array ? frame.index : (JSON.parse(frame.key) as string).replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}

function inexact(pointer: string, token: string, stored: number): FieldError {
  const shown = token.length > 40 ? `${token.slice(0, 37)}...` : token;
  const outOfRange = !Number.isFinite(stored) || (stored === 0 && decimalOf(token) !== '0');
  const message = outOfRange
    ? `${shown} is outside the range a JSON number is kept in (a double: about 5e-324 to 1.8e308${Number.isFinite(stored) ? `; it would be stored as ${stored}` : ''}); send it as a string`
    : `${shown} cannot be kept exactly as a JSON number (it would be stored as ${String(stored)}); send at most 15 significant digits, or send it as a string`;
  return { pointer, message };
}
