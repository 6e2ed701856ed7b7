import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../engine/log.ts';
import { listen, type RunningServer } from '../../engine/server/listen.ts';
import { freezableProxy } from '../support/freezable-proxy.ts';
import { postgresServerGate } from '../support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from '../support/project.ts';

/**
 * How long a revoked key still works (security.md: "Revocation takes effect within 5
 * seconds on a running server"): at once on the server that revoked it, and within 5 s on
 * another server sharing the system store, whose memory still trusts the key it checked,
 * even when that check took the store a while to answer and requests keep coming.
 */
const pg = await postgresServerGate();
const PROMISED_MS = 5000;
const NAME = `guarded-${process.pid}`;
const manifest = `name: ${NAME}
description: Records only keys may read.
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
`;

describe('a revoked key, two servers on one system store', { skip: pg.skip }, () => {
  const running: { server: RunningServer; project: TestProject }[] = [];
  after(async () => {
    for (const { server, project } of running) {
      await server.close();
      project.remove();
    }
  });
  const start = async (url: string) => {
    const project = makeProject({ [`${NAME}.yaml`]: manifest }, { postgres: { backend: 'postgres', url } });
    const server = await listen(project.config(), silentLogger);
    running.push({ server, project });
    return server;
  };

  it('is refused at once where it was revoked, and within 5 s on the other, never accepted again', { timeout: 30_000 }, async () => {
    // B reads the system store through a proxy that can hold its answers back.
    const target = new URL(pg.url);
    const proxy = await freezableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const [a, b] = await Promise.all([
      start(pg.url),
      start(Object.assign(new URL(pg.url), { host: `127.0.0.1:${proxy.port}` }).toString()),
    ]);
    const made = await call(a.url, 'POST', '/admin/keys', { name: 'soon revoked', scopes: [`${NAME}:read`] }, adminHeaders(a));
    assert.equal(made.status, 201, made.text);
    const key = { authorization: `Bearer ${made.json.secret}` };
    const status = async (server: RunningServer) => (await call(server.url, 'GET', `/${NAME}`, undefined, key)).status;
    assert.equal(await status(a), 200);
    // B's lookup takes the store 300 ms to answer (a slow moment, well within its 2 s deadline).
    proxy.freeze();
    const checked = status(b);
    await sleep(300);
    proxy.thaw();
    assert.equal(await checked, 200, 'B has checked the key and trusts it now');

    const revoked = await call(a.url, 'POST', '/admin/keys/revoke', { key: made.json.data.id }, adminHeaders(a));
    assert.equal(revoked.status, 200, revoked.text);
    const at = performance.now();
    assert.equal(await status(a), 401, 'refused at once by the server that revoked it');

    const answers: { ms: number; status: number }[] = [];
    while (performance.now() - at < PROMISED_MS + 2000) {
      answers.push({ ms: Math.round(performance.now() - at), status: await status(b) });
      await sleep(50);
    }
    const firstRefusal = answers.find((r) => r.status === 401);
    const shown = answers.map((r) => `${r.ms}:${r.status}`).join(' ');
    assert.ok(firstRefusal, `B still accepted the key ${PROMISED_MS + 2000} ms after it was revoked: ${shown}`);
    assert.ok(firstRefusal.ms <= PROMISED_MS + 250, `B accepted the revoked key for ${firstRefusal.ms} ms: ${shown}`);
    assert.deepEqual(
      answers.filter((r) => r.ms >= firstRefusal.ms && r.status !== 401),
      [],
      'once refused, never accepted again',
    );
    assert.ok(
      answers.every((r) => r.status === 200 || r.status === 401),
      shown,
    );
    await proxy.close();
  });
});
