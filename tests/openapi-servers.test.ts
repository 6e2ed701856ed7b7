import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { CouncilConfig } from '../engine/config/config.ts';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { contactsManifest } from './support/contacts.ts';
import { makeProject, type TestProject } from './support/project.ts';

/** GET with any headers, `Host` included (fetch cannot set it); the parsed JSON body. */
function getJson(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers = async (base: string, headers: Record<string, string> = {}) => {
  const whole = await getJson(base, '/openapi.json', headers);
  const one = await getJson(base, '/automations/people/openapi.json', headers);
  assert.equal(whole.status, 200);
  assert.equal(one.status, 200);
  assert.deepEqual(one.json.servers, whole.json.servers, 'the GPT document and the whole one agree');
  return whole.json.servers as { url: string }[] | undefined;
};

describe('OpenAPI servers without server.publicUrl: the URL the request came in on', () => {
  let project: TestProject;
  const running: RunningServer[] = [];
  // One server at a time: each holds the project's data directory while it runs.
  const start = async (server: Partial<CouncilConfig['server']> = {}) => {
    for (const previous of running.splice(0)) await previous.close();
    const config = project.config();
    const started = await listen({ ...config, server: { ...config.server, ...server } }, silentLogger);
    running.push(started);
    return started;
  };
  before(() => {
    project = makeProject({ 'people.yaml': contactsManifest('people', '  backend: memory') });
  });
  after(async () => {
    for (const server of running) await server.close();
    project.remove();
  });

  it('the Host the client used, over http', async () => {
    const server = await start();
    assert.deepEqual(await servers(server.url), [{ url: server.url }]);
    assert.deepEqual(await servers(server.url, { host: 'API.Example.test:8443' }), [{ url: 'http://api.example.test:8443' }]);
    // One document per origin, not the first one cached for everybody.
    assert.deepEqual(await servers(server.url, { host: 'other.example.test' }), [{ url: 'http://other.example.test' }]);
  });

  it('X-Forwarded-Proto/Host from a peer that is not a trusted proxy are ignored', async () => {
    const server = await start({ trustedProxies: ['10.1.2.3'] });
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };
    assert.deepEqual(await servers(server.url, forwarded), [{ url: server.url }]);
  });

  it('from a trusted proxy: its X-Forwarded-Proto and X-Forwarded-Host (the first of each); an unusable one falls back', async () => {
    const server = await start({ trustedProxies: ['127.0.0.1'] });
    assert.deepEqual(await servers(server.url, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }), [
      { url: 'https://api.example.com' },
    ]);
    assert.deepEqual(
      await servers(server.url, { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'api.example.com, internal.lan:8080' }),
      [{ url: 'https://api.example.com' }],
    );
    assert.deepEqual(await servers(server.url, { 'x-forwarded-proto': 'https' }), [{ url: `https://${new URL(server.url).host}` }]);
    // Not a host name: never put into a URL; the request's own Host is used.
    assert.deepEqual(await servers(server.url, { 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'evil.example/x?"' }), [
      { url: server.url },
    ]);
  });

  it('server.publicUrl, when set, is published whatever the request says', async () => {
    const server = await start({ publicUrl: 'https://public.example.com/v1', trustedProxies: ['127.0.0.1'] });
    assert.deepEqual(await servers(server.url), [{ url: 'https://public.example.com/v1' }]);
    assert.deepEqual(await servers(server.url, { 'x-forwarded-host': 'api.example.com', host: 'x.test' }), [
      { url: 'https://public.example.com/v1' },
    ]);
  });
});
