import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import type { StoredRecord } from '../../adapters/types.ts';
import { silentLogger } from '../../engine/log.ts';
import { readEntries } from '../../engine/security/audit-blocks.ts';
import { AuditLog, type AuditRecord } from '../../engine/security/audit-log.ts';
import { auditTable } from '../../engine/security/audit-table.ts';
import { createManyStore } from '../support/create-many-store.ts';

/**
 * The audit log keeps its entries in blocks, one row per automation per batch, beside rows
 * written one entry each before blocks: reading merges both, newest first, and a batch
 * retried after a lost answer is neither doubled nor cut.
 */

/** An entry as the log wrote them one per row, at a given time. */
function legacyRow(at: string, detail: string, automation?: string): StoredRecord {
  return {
    id: `00000000-0000-4000-8000-${detail.padStart(12, '0')}`,
    createdAt: at,
    updatedAt: at,
    actor: 'k',
    action: 'create',
    outcome: 'ok',
    detail,
    ...(automation ? { automation } : {}),
  };
}

function at(second: number): string {
  return new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
}

describe('audit blocks', () => {
  it('reads rows of one entry and blocks together, newest first, with since, automation and limit', async () => {
    const store = new MemoryRecordStore();
    // Written one per row at seconds 1-3, then blocks from the log.
    await store.create(legacyRow(at(1), '1', 'a'));
    await store.create(legacyRow(at(2), '2', 'b'));
    await store.create(legacyRow(at(3), '3'));
    const audit = new AuditLog(async () => auditTable(store), silentLogger);
    for (let i = 0; i < 6; i++)
      audit.record({ actor: 'k', action: 'create', automation: i % 2 ? 'b' : 'a', outcome: 'ok', detail: `new${i}` });
    audit.record({ actor: 'cli', action: 'key.create', outcome: 'ok', detail: 'new6' });
    await audit.flush();

    const all = await audit.list({ limit: 100 });
    assert.deepEqual(
      all.map((e) => e.detail),
      ['new6', 'new5', 'new4', 'new3', 'new2', 'new1', 'new0', '3', '2', '1'],
    );
    assert.equal(all[0]?.automation, undefined, 'an entry without automation has none');
    assert.equal(all[1]?.automation, 'b');
    assert.equal(all[1]?.updatedAt, all[1]?.createdAt);
    assert.deepEqual(
      (await audit.list({ automation: 'a', limit: 100 })).map((e) => e.detail),
      ['new4', 'new2', 'new0', '1'],
    );
    assert.deepEqual(
      (await audit.list({ automation: 'b', limit: 2 })).map((e) => e.detail),
      ['new5', 'new3'],
    );
    assert.deepEqual((await audit.list({ since: at(2), limit: 100 })).map((e) => e.detail).slice(-2), ['3', '2']);
  });

  it('finds the newest entries when blocks of many batches and automations interleave in time', async () => {
    const store = new MemoryRecordStore();
    const audit = new AuditLog(async () => auditTable(store), silentLogger);
    // 30 batches of 20 entries over three automations: 90 blocks, more than one read's worth.
    let n = 0;
    for (let batch = 0; batch < 30; batch++) {
      for (let i = 0; i < 20; i++)
        audit.record({ actor: 'k', action: 'create', automation: `x${n % 3}`, outcome: 'ok', detail: String(n++) });
      await audit.flush();
    }
    const rows = await store.list({ filters: [], sort: { field: 'id', direction: 'asc' }, limit: 1000 });
    assert.equal(rows.records.length, 90);
    for (const limit of [1, 7, 25, 599, 600, 1000]) {
      const got = (await audit.list({ limit })).map((e) => Number(e.detail));
      assert.deepEqual(
        got,
        Array.from({ length: Math.min(limit, 600) }, (_, i) => 599 - i),
        `limit ${limit}`,
      );
    }
    const x1 = (await audit.list({ automation: 'x1', limit: 50 })).map((e) => Number(e.detail));
    assert.deepEqual(
      x1,
      Array.from({ length: 50 }, (_, i) => 598 - 3 * i),
    );
  });

  it('a batch tried again after its answer was lost, with entries added meanwhile, is stored once and whole', async () => {
    let lose = 1;
    // The first statement is stored, but its answer never arrives (the connection dropped).
    const store = createManyStore(async (inner, records) => {
      for (const record of records) await inner.create(record);
      if (lose-- > 0) throw new Error('connection lost after the statement was sent');
    });
    const audit = new AuditLog(async () => auditTable(store), silentLogger);
    for (let i = 0; i < 4; i++)
      audit.record({ actor: 'k', action: 'create', automation: i % 2 ? 'b' : 'a', outcome: 'ok', detail: String(i) });
    await audit.flush();
    // Waiting for the retry; meanwhile more entries come, and join the retried batch.
    for (let i = 4; i < 8; i++)
      audit.record({ actor: 'k', action: 'create', automation: i % 2 ? 'b' : 'a', outcome: 'ok', detail: String(i) });
    await audit.flush();
    const entries = await readEntries(store, { limit: 100 });
    assert.deepEqual(
      entries.map((e: AuditRecord) => Number(e.detail)),
      [7, 6, 5, 4, 3, 2, 1, 0],
    );
    const rows = await store.list({ filters: [], sort: { field: 'id', direction: 'asc' }, limit: 100 });
    assert.deepEqual(rows.records.map((r) => r.count).sort(), [2, 2, 2, 2], 'the stored blocks, and one for the rest of each');
  });
});
