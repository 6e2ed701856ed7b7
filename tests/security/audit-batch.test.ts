import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RecordStore, StorageError } from '../../adapters/types.ts';
import type { Logger } from '../../engine/log.ts';
import { AuditLog } from '../../engine/security/audit-log.ts';
import { auditTable } from '../../engine/security/audit-table.ts';
import { WriteBatch } from '../../engine/security/write-batch.ts';
import { createManyStore } from '../support/create-many-store.ts';

/**
 * The system store's writes leave the request path: the audit log queues, and entries go in
 * batches (one `createMany` each, at most 500, within 50 ms), bounded while the store is down.
 */
function capture(): { logger: Logger; lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { logger: { info: push('info'), warn: push('warn'), error: push('error') }, lines };
}

/** A memory store with a `createMany` that counts its calls (the batch sizes). */
function batchingStore(): { store: RecordStore; batches: number[] } {
  const batches: number[] = [];
  const store = createManyStore(async (inner, records) => {
    batches.push(records.length);
    for (const record of records) await inner.create(record);
  });
  return { store, batches };
}

describe('audit entries in batches', () => {
  it('writes 1,200 entries recorded at once in three statements of one block per automation, read back in order', async () => {
    const { store, batches } = batchingStore();
    const audit = new AuditLog(async () => auditTable(store), capture().logger);
    for (let i = 0; i < 1200; i++)
      audit.record({ actor: 'k', action: 'create', automation: i % 2 ? 'odd' : 'even', outcome: 'ok', detail: String(i) });
    await audit.flush();
    assert.deepEqual(batches, [2, 2, 2], 'each statement holds two blocks: one per automation');
    const rows = await store.list({ filters: [], sort: { field: 'id', direction: 'asc' }, limit: 2000 });
    assert.deepEqual(
      rows.records.map((r) => r.count),
      [250, 250, 250, 250, 100, 100],
    );
    const all = await audit.list({ limit: 1000 });
    assert.deepEqual(
      all.map((e) => Number(e.detail)),
      Array.from({ length: 1000 }, (_, i) => 1199 - i),
      'newest first, across blocks and automations',
    );
    const odd = await audit.list({ automation: 'odd', limit: 3 });
    assert.deepEqual(
      odd.map((e) => [e.detail, e.automation, e.actor, e.outcome]),
      [
        ['1199', 'odd', 'k', 'ok'],
        ['1197', 'odd', 'k', 'ok'],
        ['1195', 'odd', 'k', 'ok'],
      ],
    );
  });

  it('writes an entry within the batch interval without a flush, and nothing on the request path waits', async () => {
    const { store, batches } = batchingStore();
    const audit = new AuditLog(async () => auditTable(store), capture().logger);
    const returned = audit.record({ actor: 'k', action: 'create', outcome: 'ok' });
    assert.equal(returned, undefined, 'record returns nothing to await');
    assert.deepEqual(batches, [], 'nothing is written synchronously');
    const alive = setInterval(() => {}, 1000);
    try {
      await sleep(200);
    } finally {
      clearInterval(alive);
    }
    assert.deepEqual(batches, [1]);
  });

  it('a disabled log records nothing', async () => {
    const { store, batches } = batchingStore();
    const audit = new AuditLog(async () => auditTable(store), capture().logger, false);
    audit.record({ actor: 'k', action: 'create', outcome: 'ok' });
    await audit.flush();
    assert.deepEqual(batches, []);
  });
});

describe('a write batch while its store is down', () => {
  it('keeps at most its capacity, drops the oldest, and says how many once written again', async () => {
    const { logger, lines } = capture();
    const written: number[] = [];
    let down = true;
    const batch = new WriteBatch<number>(
      async (items) => {
        if (down) throw new StorageError('unavailable', 'postgres connection "postgres" is unavailable (ECONNREFUSED)');
        written.push(...items);
      },
      logger,
      { what: 'test items', capacity: 100, maxBatch: 30, retryMs: 20 },
    );
    for (let i = 0; i < 150; i++) batch.add(i);
    await batch.flush();
    assert.equal(batch.waiting, 100);
    down = false;
    await batch.flush();
    assert.deepEqual(
      written,
      Array.from({ length: 100 }, (_, i) => i + 50),
      'the newest 100, in order',
    );
    assert.deepEqual(
      lines.map((l) => [l.level, l.message, l.fields?.dropped ?? l.fields?.waiting]),
      [
        ['warn', 'test items wait: the system store cannot be written', 100],
        ['warn', 'test items are written again', 100],
        ['error', 'test items were dropped while the system store could not be written', 50],
      ],
    );
  });

  it('retries on its own, and never holds the process open', async () => {
    let attempts = 0;
    const batch = new WriteBatch<number>(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error('down');
      },
      capture().logger,
      { what: 'test items', retryMs: 30, intervalMs: 10 },
    );
    batch.add(1);
    const alive = setInterval(() => {}, 1000);
    try {
      for (let i = 0; i < 100 && batch.waiting > 0; i++) await sleep(20);
    } finally {
      clearInterval(alive);
    }
    assert.equal(batch.waiting, 0);
    assert.equal(attempts, 3);
  });
});
