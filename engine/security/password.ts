import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from './base62.ts';

/**
 * Console passwords, stored as `scrypt$N$r$p$salt$hash` (salt and hash in base64): the
 * string says how it was made, so raising the cost later leaves older hashes verifiable.
 * Unlike API keys (190 random bits, a SHA-256 is enough), a password a person chose can be
 * guessed, so each guess must cost memory and time: N=2^15, r=8 is 32 MiB and 0.1 to 0.2 s
 * of a core.
 */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** The most memory (128·N·r bytes) a stored hash may ask of one verification: twice today's cost, room to raise it. */
const MOST_MEMORY = 64 * 1024 * 1024;
/** OpenSSL counts a little over 128·N·r, which at today's cost passes Node's default limit of exactly 32 MiB. */
const MAX_MEM = 2 * MOST_MEMORY;
/** One-time passwords: 20 base62 characters, 119 random bits. */
const ONE_TIME_LENGTH = 20;

/** A stored hash for `password`, with a new random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/**
 * Whether `password` is the one `stored` was made from. False, never an error, for a
 * stored string that is not one of ours or was altered (a cost outside what we would
 * make, a salt or hash of the wrong size): a tampered row must not become a way in, nor a
 * way to make the server spend gigabytes on one guess.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (!parsed) return false;
  const hash = await derive(password, parsed.salt, parsed.hash.length, parsed.cost);
  return timingSafeEqual(hash, parsed.hash);
}

/** A password to show once and have changed at first login: 20 base62 characters. */
export function oneTimePassword(): string {
  return randomBase62(ONE_TIME_LENGTH);
}

type Cost = { readonly N: number; readonly r: number; readonly p: number };

function parseStored(stored: string): { cost: Cost; salt: Buffer; hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^[1-9]\d{0,7}$/.test(part) ? Number(part) : Number.NaN)) as [number, number, number];
  // A power of two from 2^14, and no more memory than MOST_MEMORY: what this file makes, with room to raise it.
  const costOk = N >= 2 ** 14 && (N & (N - 1)) === 0 && r <= 16 && p <= 4 && 128 * N * r <= MOST_MEMORY;
  const salt = base64(parts[4] as string);
  const hash = base64(parts[5] as string);
  if (!costOk || !salt || !hash || salt.length < SALT_BYTES || hash.length < KEY_BYTES || hash.length > 64) return undefined;
  return { cost: { N, r, p }, salt, hash };
}

/** Strict base64: Buffer.from would skip characters it does not know, so an altered string could still decode. */
function base64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

function derive(password: string, salt: Buffer, length: number, cost: Cost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: MAX_MEM };
  return new Promise((resolve, reject) => {
    // Asynchronous: the work runs on libuv's thread pool, not on the server's event loop.
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
