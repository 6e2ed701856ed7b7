import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../engine/log.ts';
import { ConnectionPool } from '../engine/registry/connections.ts';
import { KeyStore, SYSTEM_CONNECTION } from '../engine/security/key-store.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { contactsManifest } from './support/contacts.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

describe('/health: the summary for anyone, the details for an admin', () => {
  let project: TestProject;
  let server: RunningServer;
  let admin: string;
  let reader: string;

  before(async () => {
    project = makeProject({
      'good.yaml': contactsManifest('good', '  backend: memory'),
      'bad.yaml':
        'name: bad\ndescription: Broken.\nstorage: { backend: memory }\nschema: { type: object, properties: { a: { type: string } } }\nendpoints:\n  - operation: list\n    filters: [nope]\n',
    });
    // As `council serve` with a config file: the project's folder is the config file's.
    const config = { ...project.config(), file: join(project.root, 'council.config.yaml') };
    const pool = new ConnectionPool(config.connections, config.dataDir);
    const keys = await KeyStore.open(await pool.get(SYSTEM_CONNECTION));
    admin = (await keys.create({ name: 'admin', scopes: ['*'] })).secret;
    reader = (await keys.create({ name: 'reader', scopes: ['good:read'] })).secret;
    await pool.closeAll();
    server = await listen(config, silentLogger);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('without a key: the overall status and each automation name and state, nothing else', async () => {
    const { status, json, text } = await call(server.url, 'GET', '/health');
    assert.equal(status, 200);
    assert.deepEqual(json, {
      status: 'degraded',
      automations: [
        { name: 'good', state: 'serving' },
        // A manifest that failed its checks shows the name it declares (its file and errors are details).
        { name: 'bad', state: 'invalid' },
      ],
    });
    assert.doesNotMatch(text, /yaml|council-test|postgres|memory/, 'no file, error or connection');
  });

  it('with an admin key (scope *): everything, file paths relative to the project', async () => {
    const { status, json } = await call(server.url, 'GET', '/health', undefined, { authorization: `Bearer ${admin}` });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(json), ['status', 'automations', 'connections', 'reloads']);
    const good = json.automations.find((a: { name: string }) => a.name === 'good');
    const bad = json.automations.find((a: { state: string }) => a.state === 'invalid');
    assert.equal(good.file, 'automations/good.yaml');
    assert.equal(bad.file, 'automations/bad.yaml');
    assert.match(bad.errors[0], /^automations\/bad\.yaml:7:\d+: /);
    assert.ok(!JSON.stringify(json).includes(project.root), 'no absolute path inside the project');
    assert.ok(json.connections.some((c: { name: string }) => c.name === 'memory'));
  });

  it("with the server's local token (what council tools send): everything too", async () => {
    const { status, json } = await call(server.url, 'GET', '/health', undefined, adminHeaders(server));
    assert.equal(status, 200);
    assert.ok(Array.isArray(json.connections));
  });

  it('a bad key is a 401 as everywhere, a key without * a 403; neither shows any detail', async () => {
    const bad: Record<string, string>[] = [
      { authorization: 'Bearer ck_not_a_key' },
      { 'x-api-key': `${admin}x` },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
    ];
    for (const headers of bad) {
      const refused = await call(server.url, 'GET', '/health', undefined, headers);
      assert.equal(refused.status, 401, JSON.stringify(headers));
      assert.equal(refused.json.code, 'unauthorized');
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="theCouncil"');
    }
    const forbidden = await call(server.url, 'GET', '/health', undefined, { authorization: `Bearer ${reader}` });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.json.code, 'forbidden');
    assert.doesNotMatch(forbidden.text, /yaml/);
  });
});
