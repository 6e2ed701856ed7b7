import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, type TestProject } from './support/project.ts';

const pg = await postgresServerGate();
const TABLE = `pool_metrics_${process.pid}`;

const manifest = `name: ${TABLE.replaceAll('_', '-')}
description: Records for the pool-usage metrics test.
access: { public: true }
storage: { backend: postgres, connection: warehouse }
schema:
  type: object
  properties:
    text: { type: string }
endpoints:
  - operation: list
  - operation: create
`;

describe('pool usage in /metrics (PostgreSQL server)', { skip: pg.skip }, () => {
  let project: TestProject;
  let server: RunningServer;
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  const path = `/${TABLE.replaceAll('_', '-')}`;
  const gauge = async (name: string) => {
    const text = (await call(server.url, 'GET', '/metrics', undefined, adminHeaders(server))).text;
    return Number(new RegExp(`^${name}\\{connection="warehouse"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  before(async () => {
    project = makeProject({ 'records.yaml': manifest }, { warehouse: { backend: 'postgres', url: pg.url, pool: { max: 4 } } });
    server = await listen(project.config(), silentLogger);
    assert.equal((await call(server.url, 'POST', path, { text: 'one' })).status, 201);
  });
  after(async () => {
    await server?.close();
    await sql`drop table if exists ${sql(TABLE)}`.catch(() => {});
    await sql.end();
    project?.remove();
  });

  it('statements in flight against the pool size: a list held by a lock counts until it is answered', async () => {
    assert.equal(await gauge('council_connection_pool_max'), 4);
    assert.equal(await gauge('council_connection_statements_in_flight'), 0);
    // A lock another session holds keeps the list's statement waiting.
    const held = sql.begin(async (tx) => {
      await tx`lock table ${tx(TABLE)} in access exclusive mode`;
      await new Promise((resolve) => setTimeout(resolve, 600));
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const listing = call(server.url, 'GET', path);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(await gauge('council_connection_statements_in_flight'), 1);
    await held;
    assert.equal((await listing).status, 200);
    assert.equal(await gauge('council_connection_statements_in_flight'), 0);
  });
});
