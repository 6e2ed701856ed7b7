import { randomFillSync } from 'node:crypto';

/**
 * Record ids are UUIDv7 (RFC 9562): a millisecond timestamp, then a 12-bit counter, then
 * random bits. Lists order by `createdAt`, then `id`; with random (v4) ids, records created
 * in the same millisecond came back in random order. A per-process counter (RFC 9562,
 * method 1) makes ids grow with creation, so "oldest first" is the order they were made
 * in, and PostgreSQL's primary-key index appends instead of splitting random pages.
 */
let lastMs = 0;
let counter = 0;
const bytes = Buffer.alloc(16);
// Random bytes are drawn in batches, as crypto.randomUUID does: one draw per id costs 15x more.
const pool = Buffer.alloc(16 * 512);
let poolAt = pool.length;

export function newRecordId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start low in the counter's range so a burst within one millisecond has room to grow.
    counter = Math.floor(Math.random() * 0x400);
  } else if (++counter > 0xfff) {
    // More ids in one millisecond than the counter holds (or the clock went back): borrow the next one.
    lastMs++;
    counter = 0;
  }
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  pool.copy(bytes, 0, poolAt, poolAt + 16);
  poolAt += 16;
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
