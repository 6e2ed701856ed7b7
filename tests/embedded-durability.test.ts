import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditFile } from '../engine/security/audit-file.ts';
import type { AuditRecord } from '../engine/security/audit-log.ts';
import { type ServeProcess, serveProcess } from './support/serve-process.ts';

/**
 * What a `council serve` process on embedded PGlite promises across a crash: every write it
 * acknowledged (a 201 the client received) is there after a `kill -9` and a restart; and a
 * SIGTERM writes the audit entries still waiting in their batch before the process ends.
 */
const env = { ...process.env, PORT: '', DATABASE_URL: '', NODE_OPTIONS: '', NODE_ENV: '' };
const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const TICKETS = `name: tickets
description: Support tickets, written while the server is killed.
storage:
  backend: postgres
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, description: Short title. }
endpoints:
  - operation: get
  - operation: create
`;

function project(): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'council-durable-'));
  roots.push(root);
  mkdirSync(join(root, 'automations'));
  writeFileSync(join(root, 'automations', 'tickets.yaml'), TICKETS);
  writeFileSync(
    join(root, 'council.config.yaml'),
    'server:\n  port: 0\n  host: 127.0.0.1\nautomations: automations\ndataDir: data\nrateLimit: { requests: 1000000, perSeconds: 1 }\n',
  );
  return { root, data: join(root, 'data') };
}

const serve = (root: string) => serveProcess(['--no-watch'], { cwd: root, env });

/** The new record's id, or the answer's status and body when it is not a 201. */
async function post(url: string, key: string, title: string): Promise<{ id: string } | { refused: string }> {
  const response = await fetch(`${url}/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  if (response.status !== 201) return { refused: `${response.status} ${await response.text()}` };
  return { id: ((await response.json()) as { data: { id: string } }).data.id };
}

/** The audit log as the data directory holds it (`<data>/audit/*.jsonl`), oldest first, read once no server holds it. */
async function auditEntries(data: string): Promise<AuditRecord[]> {
  return (await new AuditFile(join(data, 'audit')).read({ limit: 1_000_000 })).reverse();
}

describe('embedded PGlite across a crash', { timeout: 240_000 }, () => {
  it('keeps every acknowledged record after kill -9 during concurrent writes', async (t) => {
    const { root } = project();
    const first = await serve(root);
    const key = first.key;
    assert.ok(key, 'the first start prints an admin key');
    const acknowledged: string[] = [];
    let sent = 0;
    const refused: string[] = [];
    let stopping = false;
    const client = async (n: number) => {
      while (!stopping) {
        sent++;
        // A 201 that arrived is acknowledged, even one that arrives as the process dies.
        const answer = await post(first.url, key, `client ${n} write ${sent}`).catch((error: Error) => ({ refused: error.message }));
        if ('id' in answer) acknowledged.push(answer.id);
        else if (!stopping) refused.push(answer.refused);
      }
    };
    const clients = Array.from({ length: 8 }, (_, n) => client(n));
    // Writes run for a while, then the process dies mid-stream with no chance to flush anything.
    const until = Date.now() + 60_000;
    while (acknowledged.length < 300 && refused.length === 0 && Date.now() < until) await sleep(20);
    assert.deepEqual(refused, [], 'every write before the kill is acknowledged');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    stopping = true;
    await Promise.all(clients);
    t.diagnostic(`${acknowledged.length} writes acknowledged of ${sent} sent before kill -9`);

    const second = await serve(root);
    try {
      const missing: string[] = [];
      for (let i = 0; i < acknowledged.length; i += 20) {
        const batch = acknowledged.slice(i, i + 20);
        const statuses = await Promise.all(
          batch.map(async (id) => (await fetch(`${second.url}/tickets/${id}`, { headers: { authorization: `Bearer ${key}` } })).status),
        );
        for (const [j, status] of statuses.entries()) if (status !== 200) missing.push(`${batch[j]}: ${status}`);
      }
      assert.deepEqual(missing, [], 'every acknowledged record is served after the restart');
    } finally {
      assert.equal(await second.stop(), 0, second.output());
    }
  });

  it('writes the audit entries still waiting in their batch when stopped with SIGTERM', async () => {
    const { root, data } = project();
    const server: ServeProcess = await serve(root);
    const key = server.key;
    assert.ok(key);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => post(server.url, key, `audited ${n}`)));
    const ids = answers.flatMap((answer) => ('id' in answer ? [answer.id] : []));
    assert.equal(ids.length, 40);
    // At once: the last entries are still in their batch.
    assert.equal(await server.stop(), 0, server.output());
    const audited = new Set((await auditEntries(data)).filter((e) => e.action === 'create' && e.outcome === 'ok').map((e) => e.recordId));
    assert.deepEqual(
      ids.filter((id) => !audited.has(id)),
      [],
      'every acknowledged write has its audit entry',
    );
  });
});
