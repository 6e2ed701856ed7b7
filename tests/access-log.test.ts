import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listen } from '../engine/server/listen.ts';
import { makeKeys } from './support/keys.ts';
import { call, makeProject } from './support/project.ts';

const notes = `name: notes
description: Notes for the access-log test.
storage: { backend: memory }
schema:
  type: object
  required: [text]
  properties:
    text: { type: string }
endpoints:
  - operation: list
  - operation: create
`;

describe('server.accessLog', () => {
  it('one info line per automation request: request id, automation, operation, status, duration, key name, bytes; never the key', async () => {
    const project = makeProject({ 'notes.yaml': notes });
    const [key] = (await makeKeys(project, [{ name: 'app', scopes: ['notes:*'] }])) as [string];
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const logger = {
      info: (message: string, fields: Record<string, unknown> = {}) => void lines.push({ message, fields }),
      warn() {},
      error() {},
    };
    const server = await listen(project.config({ server: { ...project.config().server, accessLog: true } }), logger);
    try {
      const auth = { authorization: `Bearer ${key}` };
      const created = await call(server.url, 'POST', '/notes', { text: 'hi' }, auth);
      await call(server.url, 'GET', '/notes', undefined, auth);
      const refused = await call(server.url, 'GET', '/notes');
      await call(server.url, 'GET', '/health');
      const access = lines.filter((l) => l.message === 'request').map((l) => l.fields);
      assert.equal(access.length, 3, 'automation requests only, not /health');
      assert.deepEqual(
        access.map(({ automation, operation, status, key: name }) => [automation, operation, status, name]),
        [
          ['notes', 'create', 201, 'app'],
          ['notes', 'list', 200, 'app'],
          ['notes', 'list', 401, 'anonymous'],
        ],
      );
      assert.equal(access[0]?.requestId, created.headers.get('x-request-id'));
      assert.equal(access[2]?.requestId, refused.headers.get('x-request-id'));
      assert.ok(access.every((f) => typeof f.durationMs === 'number' && (f.durationMs as number) >= 0));
      assert.ok((access[1]?.bytes as number) > 10);
      assert.ok(!JSON.stringify(lines).includes(key), 'the key itself never');
    } finally {
      await server.close();
      project.remove();
    }
  });
});
