import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import postgres from 'postgres';
import type { Logger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { call, makeProject, type TestProject } from './support/project.ts';

/**
 * The generic 500 (http.md, "500 reveals nothing"): a store failure nobody anticipated,
 * here the table dropped behind the engine's back on a PostgreSQL server, is answered with
 * the documented body and nothing of the cause but the request id, and logged with it under
 * the id its answer carries as X-Request-Id, for a read as for a write.
 */
const pg = await postgresServerGate();

describe('an unexpected failure', { skip: pg.skip }, () => {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  const table = `vanishing_${process.pid}_${Date.now().toString(36)}`;
  const name = table.replaceAll('_', '-');
  let project: TestProject | undefined;
  let server: RunningServer | undefined;
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  after(async () => {
    await server?.close();
    project?.remove();
    await sql`drop table if exists ${sql(table)}`;
    await sql.end({ timeout: 1 });
  });

  it('is a 500 internal-error that reveals nothing, and the log says what failed', async () => {
    project = makeProject(
      {
        'vanishing.yaml': `name: ${name}
description: Records whose table an operator drops by mistake.
access: { public: true }
storage: { backend: postgres, connection: pgs }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: create
`,
      },
      { pgs: { backend: 'postgres', url: pg.url } },
    );
    server = await listen(project.config(), logger);
    assert.equal((await call(server.url, 'POST', `/${name}`, { title: 'kept' })).status, 201);
    await sql`drop table ${sql(table)}`;

    // A read and a write, each with an id of its own and with one the caller sent.
    for (const [method, body, sent] of [
      ['GET', undefined, undefined],
      ['POST', { title: 'lost' }, undefined],
      ['GET', undefined, 'trace-500.read'],
      ['POST', { title: 'lost' }, 'trace-500.write'],
    ] as const) {
      const before = lines.length;
      const answer = await call(server.url, method, `/${name}`, body, sent ? { 'x-request-id': sent } : {});
      assert.equal(answer.status, 500, `${method}: ${answer.text}`);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json');
      const requestId = answer.headers.get('x-request-id') ?? '';
      if (sent) assert.equal(requestId, sent, "the caller's plain id is kept");
      else assert.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a new id (UUIDv7)');
      assert.deepEqual(
        answer.json,
        {
          type: '/problems/internal-error',
          title: 'Internal error',
          status: 500,
          detail: `an unexpected error happened; it has been logged under request id ${requestId} (X-Request-Id). Retrying may not help.`,
          code: 'internal-error',
        },
        'the body documented in http.md, nothing more',
      );
      assert.equal(answer.headers.get('retry-after'), null);
      assert.doesNotMatch(answer.text, new RegExp(`${table}|relation|select|insert|postgres|pgs`, 'i'));
      const logged = lines.slice(before).filter((l) => l.message === 'request failed');
      assert.equal(logged.length, 1, JSON.stringify(lines.slice(before)));
      assert.equal(logged[0]?.level, 'error');
      const operation = method === 'GET' ? 'list' : 'create';
      assert.deepEqual(
        { ...logged[0]?.fields, error: undefined, durationMs: undefined },
        {
          requestId,
          automation: name,
          method,
          path: `/${name}`,
          operation,
          key: 'anonymous',
          status: 500,
          error: undefined,
          durationMs: undefined,
        },
        'the line names the request by the id its answer carries, its operation and caller',
      );
      assert.ok(Number(logged[0]?.fields?.durationMs) >= 0, 'and how long it took');
      assert.match(String(logged[0]?.fields?.error), new RegExp(`StorageError: .*query failed.*\\(cause: .*${table}.* does not exist\\)`));
    }
    const health = await call(server.url, 'GET', '/health');
    assert.equal(health.json.status, 'ok', 'a failed statement is not an outage: the connection stays up');
  });
});
