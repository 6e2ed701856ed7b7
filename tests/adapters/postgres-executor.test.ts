import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { type Executor, postgresJsExecutor } from '../../adapters/postgres/executor.ts';
import { StorageError } from '../../adapters/types.ts';
import { postgresServerGate } from '../support/postgres-server.ts';

/**
 * The executor over postgres.js on the PostgreSQL server: a statement that fails after
 * sending rows leaves the next statement on its connection whole (postgres.js 3.4.9
 * would give that one holes at its start: porsager/postgres#1181).
 */
const server = await postgresServerGate();

describe('postgres.js executor', { skip: server.skip }, () => {
  let sql: postgres.Sql;
  let db: Executor;

  before(() => {
    // One connection, so the second statement runs where the first failed.
    sql = postgres(server.url, { max: 1, onnotice: () => {} });
    db = postgresJsExecutor(sql, 'postgres "test"');
  });

  after(async () => {
    await sql?.end({ timeout: 1 });
  });

  it('answers the next statement whole after one failed midway through its rows', async () => {
    for (const failing of [
      // Rows 1-3 are sent, row 4 divides by zero.
      'select i, 1 / (4 - i) as x from generate_series(1, 10) as i',
      // What a join on a reference field cast to uuid meets in an old record.
      `select v::uuid from (values ('018f0000-0000-7000-8000-000000000001'), ('018f0000-0000-7000-8000-000000000002'), ('not an id')) as t(v)`,
    ]) {
      await assert.rejects(db.query(failing, []), (error) => error instanceof StorageError && error.kind === 'failed');
      const rows = await db.query('select n from generate_series(1, $1::int) as n', [5]);
      assert.deepEqual(
        rows.map((row) => row.n),
        [1, 2, 3, 4, 5],
      );
      assert.equal(Object.keys(rows).length, 5, 'no holes');
    }
  });
});
