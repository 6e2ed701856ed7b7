import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newRecordId } from '../engine/request/record-id.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('record ids', () => {
  test('are UUIDv7 whose first 48 bits are the creation millisecond', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = newRecordId(now + 10_000_000);
    assert.match(id, UUID_V7);
    assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), now + 10_000_000);
  });

  test('grow strictly within one millisecond, past the counter, and when the clock goes back', () => {
    const ms = Date.now() + 20_000_000;
    const ids = [
      ...Array.from({ length: 6000 }, () => newRecordId(ms)),
      ...Array.from({ length: 10 }, () => newRecordId(ms - 5000)),
      newRecordId(ms + 60_000),
    ];
    for (const id of ids) assert.match(id, UUID_V7);
    for (let i = 1; i < ids.length; i++) assert.ok((ids[i - 1] ?? '') < (ids[i] ?? ''), `id ${i} does not follow id ${i - 1}`);
    assert.equal(new Set(ids).size, ids.length);
  });
});
