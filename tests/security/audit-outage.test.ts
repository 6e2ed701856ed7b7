import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../engine/log.ts';
import { listen, type RunningServer } from '../../engine/server/listen.ts';
import { cuttableProxy } from '../support/cuttable-proxy.ts';
import { postgresServerGate } from '../support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from '../support/project.ts';

/**
 * The audit log while its store (the system store on a PostgreSQL server) is down: writes
 * keep being answered, reading the log is a prompt 503 rather than a request that never
 * ends, and the entries that waited are written once the store is back.
 */
const pg = await postgresServerGate();
const AUTOMATION = `audited-notes-${process.pid}`;

const manifest = `name: ${AUTOMATION}
description: Notes whose writes are audited.
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  required: [text]
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: create
`;

interface Entry {
  readonly action: string;
  readonly recordId?: string;
}
/** The records whose creation the entries audit (the log also says when the manifest loaded). */
const created = (entries: readonly Entry[]) => entries.filter((e) => e.action === 'create').map((e) => e.recordId);

describe('audit log: the system store goes down', { skip: pg.skip }, () => {
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    const target = new URL(pg.url);
    proxy = await cuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.port}`;
    project = makeProject({ [`${AUTOMATION}.yaml`]: manifest }, { postgres: { backend: 'postgres', url: target.toString() } });
    server = await listen(project.config({ audit: { enabled: true } }), silentLogger);
  });
  after(async () => {
    await proxy?.restore().catch(() => {});
    await server?.close();
    await proxy?.close();
    project?.remove();
  });

  const audit = (signal?: AbortSignal) =>
    fetch(`${server.url}/admin/audit?automation=${AUTOMATION}&limit=1000`, {
      headers: adminHeaders(server),
      ...(signal ? { signal } : {}),
    });
  const texts = async () => {
    const entries = ((await (await audit()).json()) as { data: Entry[] }).data;
    return created(entries);
  };

  it('reading the log is a 503 within seconds while it is down; what waited is written once it is back', { timeout: 60_000 }, async () => {
    const first = await call(server.url, 'POST', `/${AUTOMATION}`, { text: 'before' });
    assert.equal(first.status, 201);
    assert.deepEqual(await texts(), [first.json.data.id], 'written while the store is up');

    await proxy.cut();
    const during = await call(server.url, 'POST', `/${AUTOMATION}`, { text: 'during' });
    assert.equal(during.status, 201, 'a write does not wait for its audit entry');
    const started = performance.now();
    const answer = await audit(AbortSignal.timeout(15_000)).catch((error: Error) => error);
    const waited = performance.now() - started;
    assert.ok(answer instanceof Response, `GET /admin/audit did not answer within 15 s while the store was down (${answer})`);
    assert.equal(answer.status, 503, await answer.clone().text());
    assert.equal(((await answer.json()) as { code: string }).code, 'storage-unavailable');
    assert.ok(waited < 5000, `answered after ${Math.round(waited)} ms`);

    await proxy.restore();
    const deadline = Date.now() + 20_000;
    let ids: (string | undefined)[] = [];
    while (Date.now() < deadline) {
      const r = await audit();
      if (r.status === 200) {
        ids = created(((await r.json()) as { data: Entry[] }).data);
        if (ids.includes(during.json.data.id)) break;
      } else await r.body?.cancel();
      await sleep(100);
    }
    assert.deepEqual(ids, [during.json.data.id, first.json.data.id], 'the entry that waited is written, in order');
  });
});
