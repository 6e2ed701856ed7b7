import { randomBytes } from 'node:crypto';

/** The 62 characters of API keys and one-time passwords: letters and digits, nothing to escape or mistype as punctuation. */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * `length` random base62 characters. Each byte is taken modulo 62: the bias (bytes 248 to
 * 255 favour the first 8 characters) costs under 0.03 bits a character, irrelevant at the
 * lengths used here (190 bits for a key, 119 for a one-time password).
 */
export function randomBase62(length: number): string {
  return [...randomBytes(length)].map((b) => BASE62[b % 62]).join('');
}
