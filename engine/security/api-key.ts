import { createHash, timingSafeEqual } from 'node:crypto';
import { BASE62, randomBase62 } from './base62.ts';

/**
 * API keys look like `ck_<32 base62 characters>_<6 base62 checksum>`: the `ck_` prefix
 * makes a leaked key easy to scan for, and the checksum lets a mistyped or made-up key
 * be refused without a lookup. Only a SHA-256 of the whole key is stored: keys carry
 * 190 bits of randomness, so a fast hash is enough (no password stretching needed).
 */
export const KEY_PREFIX = 'ck_';
const BODY_LENGTH = 32;
const CHECK_LENGTH = 6;
const SHAPE = new RegExp(`^${KEY_PREFIX}([0-9A-Za-z]{${BODY_LENGTH}})_([0-9A-Za-z]{${CHECK_LENGTH}})$`);

export interface NewKey {
  /** The key itself: shown once, never stored. */
  readonly secret: string;
  readonly hash: string;
  /** What lists show instead of the key: `ck_AbCd…` and the last four characters. */
  readonly display: string;
}

export function generateKey(): NewKey {
  const body = randomBase62(BODY_LENGTH);
  const secret = `${KEY_PREFIX}${body}_${checksum(body)}`;
  return { secret, hash: hashKey(secret), display: displayOf(secret) };
}

/** True when the text has a key's shape and its checksum matches (no lookup needed to refuse it). */
export function isWellFormedKey(text: string): boolean {
  const match = SHAPE.exec(text);
  return match !== null && checksum(match[1] as string) === match[2];
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function displayOf(secret: string): string {
  return `${secret.slice(0, KEY_PREFIX.length + 4)}…${secret.slice(-4)}`;
}

/** Six base62 characters of the body's SHA-256: catches typos and invented keys. */
function checksum(body: string): string {
  const digest = createHash('sha256').update(body).digest();
  let out = '';
  for (let i = 0; i < CHECK_LENGTH; i++) out += BASE62[(digest[i] as number) % 62];
  return out;
}
