import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../engine/log.ts';
import { ConnectionPool } from '../../engine/registry/connections.ts';
import { AuditFile } from '../../engine/security/audit-file.ts';
import { AUDIT_SPEC, AuditLog, type RecordedEntry, recorded } from '../../engine/security/audit-log.ts';
import { AUDIT_FOLDER, auditStoreOf } from '../../engine/security/audit-open.ts';
import { auditTable } from '../../engine/security/audit-table.ts';

/**
 * The audit log beside an embedded system store: JSON lines, one file per UTC day, read
 * newest first from the files' ends; a line cut short by a crash is skipped and never
 * glued to the next; entries an earlier version kept in PGlite's table are moved once.
 */
const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function folder(): string {
  const root = mkdtempSync(join(tmpdir(), 'council-audit-file-'));
  roots.push(root);
  return root;
}

function entry(at: string, detail: string, automation?: string): RecordedEntry {
  return recorded(`id-${detail}`, at, {
    actor: 'k',
    action: 'create',
    outcome: 'ok',
    status: 201,
    detail,
    ...(automation ? { automation } : {}),
  });
}

describe('audit file', () => {
  it('reads entries newest first across day files, with since, automation and limit', async () => {
    const dir = join(folder(), 'audit');
    const file = new AuditFile(dir);
    // One batch across midnight, then another.
    await file.append([
      entry('2026-03-01T23:59:58.000Z', 'a1', 'a'),
      entry('2026-03-01T23:59:59.000Z', 'b1', 'b'),
      entry('2026-03-02T00:00:01.000Z', 'a2', 'a'),
    ]);
    await file.append([entry('2026-03-02T00:00:02.000Z', 'k', undefined), entry('2026-03-02T00:00:03.000Z', 'b2', 'b')]);
    await file.close();
    assert.deepEqual(readdirSync(dir).sort(), ['2026-03-01.jsonl', '2026-03-02.jsonl']);
    const line = readFileSync(join(dir, '2026-03-01.jsonl'), 'utf8').split('\n')[0] as string;
    assert.deepEqual(
      JSON.parse(line),
      {
        id: 'id-a1',
        createdAt: '2026-03-01T23:59:58.000Z',
        actor: 'k',
        action: 'create',
        automation: 'a',
        outcome: 'ok',
        status: 201,
        detail: 'a1',
      },
      'a line holds the fields by name, without updatedAt',
    );

    const details = async (query: { since?: string; automation?: string; limit: number }) => (await file.read(query)).map((e) => e.detail);
    assert.deepEqual(await details({ limit: 100 }), ['b2', 'k', 'a2', 'b1', 'a1']);
    assert.deepEqual(await details({ limit: 2 }), ['b2', 'k']);
    assert.deepEqual(await details({ automation: 'a', limit: 100 }), ['a2', 'a1']);
    assert.deepEqual(await details({ since: '2026-03-01T23:59:59.000Z', limit: 100 }), ['b2', 'k', 'a2', 'b1']);
    assert.deepEqual(await details({ since: '2026-03-02T00:00:02.000Z', automation: 'b', limit: 100 }), ['b2']);
    const [newest] = await file.read({ limit: 1 });
    assert.equal(newest?.updatedAt, newest?.createdAt);
    assert.deepEqual(await new AuditFile(join(folder(), 'none')).read({ limit: 10 }), [], 'no folder yet: no entries');
  });

  it('skips a line cut short by a crash and starts the next batch on a line of its own', async () => {
    const dir = join(folder(), 'audit');
    const file = new AuditFile(dir);
    await file.append([entry('2026-03-01T10:00:00.000Z', 'before')]);
    await file.close();
    appendFileSync(join(dir, '2026-03-01.jsonl'), '{"id":"cut","createdAt":"2026-03-01T10:00:0');
    await file.append([entry('2026-03-01T10:00:02.000Z', 'after')]);
    assert.deepEqual(
      (await file.read({ limit: 10 })).map((e) => e.detail),
      ['after', 'before'],
    );
    await file.close();
  });

  it('reads a file larger than one chunk whole, with characters of several bytes across chunk edges', async () => {
    const dir = join(folder(), 'audit');
    const file = new AuditFile(dir);
    const written: RecordedEntry[] = [];
    for (let i = 0; i < 3000; i++) {
      const at = new Date(Date.UTC(2026, 2, 1, 10, 0, 0, i)).toISOString();
      written.push(entry(at, `${i} ${'é日本🙂'.repeat(i % 7)}`, `x${i % 3}`));
    }
    for (let i = 0; i < written.length; i += 500) await file.append(written.slice(i, i + 500));
    await file.close();
    assert.ok(readFileSync(join(dir, '2026-03-01.jsonl')).length > 4 * 64 * 1024);
    const read = await file.read({ limit: 10_000 });
    assert.deepEqual(
      read.map((e) => e.detail),
      written.map((e) => e.detail).reverse(),
    );
    assert.equal((await file.read({ automation: 'x1', limit: 10_000 })).length, 1000);
  });

  it('moves the entries an earlier version kept in the embedded store to the files, once', async () => {
    const dataDir = folder();
    const settings = new Map([['postgres', { name: 'postgres', backend: 'postgres' }]]);
    // As the last version wrote them: blocks in PGlite's _council_audit table.
    const old = new ConnectionPool(settings, dataDir);
    try {
      const log = new AuditLog(async () => auditTable(await (await old.get('postgres')).open(AUDIT_SPEC)), silentLogger);
      for (let i = 0; i < 30; i++) log.record({ actor: 'k', action: 'create', automation: 'notes', outcome: 'ok', detail: `old${i}` });
      await log.close();
    } finally {
      await old.closeAll();
    }
    assert.equal(existsSync(join(dataDir, AUDIT_FOLDER)), false);

    const pool = new ConnectionPool(settings, dataDir);
    try {
      const log = new AuditLog(auditStoreOf(pool), silentLogger);
      log.record({ actor: 'k', action: 'create', automation: 'notes', outcome: 'ok', detail: 'new' });
      const entries = await log.list({ limit: 100 });
      assert.deepEqual(
        entries.map((e) => e.detail),
        ['new', ...Array.from({ length: 30 }, (_, i) => `old${29 - i}`)],
      );
      await log.close();
      // Opened again: the folder exists, nothing is imported twice.
      const again = new AuditLog(auditStoreOf(pool), silentLogger);
      assert.equal((await again.list({ limit: 100 })).length, 31);
      await again.close();
    } finally {
      await pool.closeAll();
    }
    assert.equal(existsSync(join(dataDir, `${AUDIT_FOLDER}.importing`)), false);
  });

  it('keeps the table where the system store is not embedded (memory here stands for a server)', async () => {
    const dataDir = folder();
    const pool = new ConnectionPool(new Map([['postgres', { name: 'postgres', backend: 'memory' }]]), dataDir);
    try {
      const log = new AuditLog(auditStoreOf(pool), silentLogger);
      log.record({ actor: 'k', action: 'create', outcome: 'ok', detail: 'x' });
      assert.deepEqual(
        (await log.list()).map((e) => e.detail),
        ['x'],
      );
      await log.close();
      assert.equal(existsSync(join(dataDir, AUDIT_FOLDER)), false);
    } finally {
      await pool.closeAll();
    }
  });
});
