import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { call, makeProject, type TestProject } from './support/project.ts';

/**
 * Errors a model corrects itself from, through a real server: every field error names
 * the place (`pointer`), says what is wrong (`message`), and where the accepted values
 * can be listed carries them (`allowed`) with the closest one to a typo (`suggestion`).
 */
const MANIFEST = `name: tickets
description: Support tickets.
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  required: [title]
  additionalProperties: false
  properties:
    title: { type: string, description: Title. }
    status: { type: string, enum: [open, pending, closed], description: Status. }
    priority: { type: integer, description: Priority. }
endpoints:
  - operation: list
    filters: [status, priority]
    sort: [priority, title]
  - operation: get
  - operation: create
  - operation: search
    fields: [title]
`;

describe('field errors carry allowed values and a suggestion', () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'tickets.yaml': MANIFEST });
    server = await listen(project.config(), silentLogger);
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  const errorsOf = async (method: string, path: string, body?: unknown) => {
    const response = await call(server.url, method, path, body);
    assert.ok(response.status === 400 || response.status === 422, `${path}: ${response.status} ${response.text}`);
    return response.json.errors as { pointer: string; message: string; allowed?: unknown[]; suggestion?: string }[];
  };

  it('an unknown body property: the properties allowed, and the one meant', async () => {
    const [error] = await errorsOf('POST', '/tickets', { titel: 'x', title: 'y' });
    assert.deepEqual(error, {
      pointer: '/titel',
      message: 'is not an allowed property (did you mean "title"?); allowed: title, status, priority',
      allowed: ['title', 'status', 'priority'],
      suggestion: 'title',
    });
  });

  it('a value outside an enum, in the body and in a filter', async () => {
    const [body] = await errorsOf('POST', '/tickets', { title: 'x', status: 'opne' });
    assert.deepEqual([body?.pointer, body?.allowed, body?.suggestion], ['/status', ['open', 'pending', 'closed'], 'open']);
    const [filter] = await errorsOf('GET', '/tickets?status=pendng');
    assert.deepEqual([filter?.pointer, filter?.allowed, filter?.suggestion], ['/query/status', ['open', 'pending', 'closed'], 'pending']);
  });

  it('an unknown query parameter, sort key or field name', async () => {
    const [param] = await errorsOf('GET', '/tickets?statsu=open');
    assert.equal(param?.pointer, '/query/statsu');
    assert.equal(param?.suggestion, 'status');
    assert.ok(param?.allowed?.includes('priority[gte]'), JSON.stringify(param?.allowed));
    const [sort] = await errorsOf('GET', '/tickets?sort=-priorty');
    assert.deepEqual([sort?.allowed, sort?.suggestion], [['priority', '-priority', 'title', '-title'], '-priority']);
    const [fields] = await errorsOf('GET', '/tickets?fields=titel');
    assert.equal(fields?.suggestion, 'title');
    const [search] = await errorsOf('GET', '/tickets/search?q=x&limt=5');
    assert.deepEqual([search?.allowed, search?.suggestion], [['q', 'limit', 'cursor', 'fields'], 'limit']);
  });

  it('nothing close: the allowed values, and no suggestion', async () => {
    const [error] = await errorsOf('POST', '/tickets', { title: 'x', status: 'zzzzzzzz' });
    assert.deepEqual(error?.allowed, ['open', 'pending', 'closed']);
    assert.equal(error?.suggestion, undefined);
  });
});
