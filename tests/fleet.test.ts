import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { signedInUser } from './support/console-client.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

/**
 * Instances sharing a system store on the PostgreSQL server and one automations folder:
 * each writes what it serves every heartbeat, /health lists them all and whether they
 * agree, a change to the folder reaches every one, and one that cannot serve what the
 * others serve says so and is not ready.
 */
const gate = await postgresServerGate();

const notes = (description: string) => `name: notes
description: ${description}
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: create
`;

/** Served by one instance only: its connection exists in that instance's config alone. */
const cached = `name: cached
description: Records on a connection only one instance has.
access: { public: true }
storage: { backend: memory, connection: scratch }
schema:
  type: object
  properties:
    text: { type: string, maxLength: 100 }
endpoints:
  - operation: list
`;

interface FleetReport {
  agree: boolean;
  missing?: string[];
  instances: { instance: string; self: boolean; state: string; fingerprint: string; serving: string[]; failing?: string[] }[];
}

describe('instances sharing a system store', { skip: gate.skip }, () => {
  let project: TestProject;
  const servers: RunningServer[] = [];
  const start = async (connections: Record<string, { backend: string; url?: string }>, dataDir: string) => {
    const base = project.config();
    const server = await listen(
      {
        ...base,
        dataDir: join(project.root, dataDir),
        fleet: { heartbeatSeconds: 0.2 },
        connections: new Map(
          Object.entries({ postgres: { backend: 'postgres', url: gate.url }, ...connections }).map(([name, c]) => [name, { ...c, name }]),
        ),
      },
      silentLogger,
      { watch: { debounceMs: 20 } },
    );
    servers.push(server);
    return server;
  };
  const fleetOf = async (server: RunningServer): Promise<FleetReport> =>
    (await call(server.url, 'GET', '/health', undefined, adminHeaders(server))).json.fleet;
  const until = async (what: string, check: () => Promise<boolean>, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}: ${JSON.stringify(await fleetOf(servers[0] as RunningServer))}`);
      await sleep(25);
    }
    return Date.now() - (deadline - ms);
  };

  before(() => {
    project = makeProject({ 'notes.yaml': notes('Notes, version one.') });
  });
  after(async () => {
    for (const server of servers) await server.close().catch(() => {});
    project.remove();
  });

  test('each lists every live instance in /health, agreeing on what they serve', async () => {
    const a = await start({ memory: { backend: 'memory' } }, 'a');
    const b = await start({ memory: { backend: 'memory' } }, 'b');
    await until('both see two instances that agree', async () => {
      const [fa, fb] = [await fleetOf(a), await fleetOf(b)];
      return fa.instances.length === 2 && fb.instances.length === 2 && fa.agree && fb.agree;
    });
    const fleet = await fleetOf(a);
    assert.equal(fleet.instances[0]?.self, true);
    assert.deepEqual(fleet.instances[0]?.serving, fleet.instances[1]?.serving);
    assert.match(fleet.instances[0]?.serving[0] ?? '', /^notes@[0-9a-f]+$/);
    // Without a key, /health says nothing of the fleet.
    assert.equal((await call(a.url, 'GET', '/health')).json.fleet, undefined);
    // The console's automations page shows them too.
    const viewer = await signedInUser(a, `viewer-${process.pid}-${Date.now()}@example.com`, 'viewer', 'a long enough password 1');
    const page = await viewer.get('/console/automations');
    assert.equal(page.status, 200);
    assert.match(page.text, /2 instances serving the same manifests/);
    assert.match(page.text, /\(this one\)/);
  });

  test('a change to the shared folder reaches every instance within 2 s, and their fingerprints agree', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const before = (await fleetOf(a)).instances[0]?.fingerprint;
    writeFileSync(join(project.automations, 'notes.yaml'), notes('Notes, version two.'));
    const took = await until(
      'both serve the new text and agree',
      async () => {
        const [fa, fb] = [await fleetOf(a), await fleetOf(b)];
        return [fa, fb].every((f) => f.agree && f.instances.length === 2 && f.instances.every((i) => i.fingerprint !== before));
      },
      2000,
    );
    console.log(`# every instance served the change and agreed ${took} ms after the write`);
  });

  test('an instance that cannot serve what the others serve says so, and is not ready', async () => {
    const [a] = servers as [RunningServer];
    // c has the connection `scratch`; a and b do not, so `cached` fails on them.
    const c = await start({ memory: { backend: 'memory' }, scratch: { backend: 'memory' } }, 'c');
    writeFileSync(join(project.automations, 'cached.yaml'), cached);
    await until('a sees it serves less than c', async () => {
      const fleet = await fleetOf(a);
      return fleet.instances.length === 3 && !fleet.agree && (fleet.missing ?? []).some((m) => m.startsWith('cached@'));
    });
    const ready = await call(a.url, 'GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.json.code, 'instance-behind');
    assert.match(ready.json.detail, /the other instances serve cached@[0-9a-f]+, whose manifests failed here/);
    assert.equal((await call(c.url, 'GET', '/readyz')).status, 200, 'the one that serves more is ready');
    assert.deepEqual((await fleetOf(a)).instances.find((i) => i.self)?.failing, ['cached']);
  });

  test('one that stops leaves the fleet at once; the rest agree again', async () => {
    const [a, b, c] = servers as [RunningServer, RunningServer, RunningServer];
    await c.close();
    servers.pop();
    await until('c is gone from a and b, which agree', async () => {
      const [fa, fb] = [await fleetOf(a), await fleetOf(b)];
      return fa.instances.length === 2 && fb.instances.length === 2 && fa.agree && !fa.missing;
    });
    assert.equal((await call(a.url, 'GET', '/readyz')).status, 200);
  });
});
