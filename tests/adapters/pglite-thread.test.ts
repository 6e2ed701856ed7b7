import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Executor } from '../../adapters/postgres/executor.ts';
import { postgresBackend } from '../../adapters/postgres/index.ts';
import { type PgliteThread, startPgliteThread } from '../../adapters/postgres/pglite-thread.ts';
import { isoTimestamp } from '../../adapters/postgres/record-codec.ts';
import { StorageError } from '../../adapters/types.ts';

/**
 * The embedded database's own thread (the adapter contract runs over it in postgres.test.ts):
 * the server's thread keeps running while a statement does, transactions and driver errors
 * cross the thread boundary intact, and a closed or unstartable thread is `unavailable`.
 */
const root = await mkdtemp(path.join(tmpdir(), 'council-pglite-thread-'));
after(() => rm(root, { recursive: true, force: true }));

describe('PGlite on its own thread', () => {
  let thread: PgliteThread;
  let db: Executor;
  before(async () => {
    thread = await startPgliteThread(path.join(root, 'db'));
    db = thread.executor('postgres connection "thread"');
    await db.query('create table t (id int primary key, v text)', []);
  });
  after(() => thread.close());

  it('leaves the server thread free while a long statement runs', async (t) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    const [row] = await db.query('select count(*)::int as n from generate_series(1, 1000000)', []);
    const ms = performance.now() - started;
    clearInterval(timer);
    t.diagnostic(`a ${ms.toFixed(0)} ms statement; the server thread ran ${ticks} timer ticks meanwhile`);
    assert.equal(row?.n, 1_000_000);
    assert.ok(ticks >= 3, `${ticks} ticks in ${ms.toFixed(0)} ms`);
  });

  it('commits a transaction, and rolls one back when its body throws, passing its error on', async () => {
    await db.transaction(async (tx) => {
      await tx.query('insert into t values (1, $1)', ['kept']);
      await tx.query('insert into t values (2, $1)', ['kept']);
    });
    const own = new Error('the body refused');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('insert into t values (3, $1)', ['gone']);
        throw own;
      }),
      (error) => error === own,
    );
    const rows = await db.query('select id from t order by id', []);
    assert.deepEqual(
      rows.map((r) => r.id),
      [1, 2],
    );
  });

  it('keeps SQLSTATE and constraint on driver errors', async () => {
    const error = await db.query('insert into t values (1, $1)', ['again']).catch((e: unknown) => e);
    assert.ok(error instanceof StorageError);
    assert.equal(error.kind, 'failed');
    const cause = error.cause as { code?: string; constraint?: string };
    assert.equal(cause.code, '23505');
    assert.equal(cause.constraint, 't_pkey');
    const syntax = await db.query('selec 1', []).catch((e: unknown) => e);
    assert.ok(syntax instanceof StorageError);
    assert.match(syntax.message, /\(42601\)$/);
  });

  it('carries the types the adapter decodes: bigint, timestamptz, jsonb, null', async () => {
    const [row] = await db.query(
      `select 9007199254740993::bigint as b, '2024-05-01T10:00:00Z'::timestamptz as at, $1::jsonb as j, null as n`,
      [JSON.stringify({ a: [1, 'x'] })],
    );
    assert.equal(typeof row?.b === 'bigint' || typeof row?.b === 'number' || typeof row?.b === 'string', true);
    // As PostgreSQL's text in UTC, which record-codec.ts turns into the engine's ISO form.
    assert.equal(row?.at, '2024-05-01 10:00:00+00');
    assert.equal(isoTimestamp(row?.at), '2024-05-01T10:00:00.000Z');
    assert.deepEqual(row?.j, { a: [1, 'x'] });
    assert.equal(row?.n, null);
  });

  it('a statement run again is prepared once; its arguments arrive exactly as sent, whatever they hold', async () => {
    await db.query('create table p (id int primary key, v text, n float8, b boolean)', []);
    const insert = 'insert into p (id, v, n, b) values ($1::int, $2::text, $3::float8, $4::boolean) returning id, v, n, b';
    const values: [number, string | null, number | null, boolean | null][] = [
      [1, "it's", -1.5, true],
      [2, "'); drop table p; --", 1e21, false],
      [3, "back\\slash \\' and $1 and \u00e9\u4e2d", 0, null],
      [4, null, null, true],
      [5, "''", -42, false],
    ];
    for (const row of values) {
      const [back] = await db.query(insert, row);
      assert.deepEqual([back?.id, back?.v, back?.n, back?.b], row[1] === null ? [row[0], null, row[2], row[3]] : row, String(row[0]));
    }
    const [prepared] = await db.query(
      `select count(*)::int as n from pg_prepared_statements where statement like 'prepare % as insert into p %'`,
      [],
    );
    assert.equal(prepared?.n, 1, 'planned once, run five times');
    const read = 'select v from p where id = $1::int';
    for (const [id, v] of values) assert.equal((await db.query(read, [id]))[0]?.v, v);
    // First seen inside a transaction: runs there as it is, and the transaction goes on.
    await db.transaction(async (tx) => {
      const [row] = await tx.query('select count(*)::int as n from p where b = $1::boolean', [true]);
      assert.equal(row?.n, 2);
      await tx.query('update p set v = $1::text where id = $2::int', ['in tx', 1]);
    });
    assert.equal((await db.query(read, [1]))[0]?.v, 'in tx');
  });
});

describe('PGlite thread failures', () => {
  it('answers unavailable once closed', async () => {
    const connection = await postgresBackend.connect({ name: 'closing', backend: 'postgres' }, { dataDir: root });
    await connection.ping();
    await connection.close();
    await assert.rejects(connection.ping(), (error) => error instanceof StorageError && error.kind === 'unavailable');
  });

  it('refuses to connect, as unavailable, where the database cannot be created', async () => {
    const blocked = path.join(root, 'blocked');
    await writeFile(blocked, 'a file where the data directory should be');
    await assert.rejects(
      postgresBackend.connect({ name: 'x', backend: 'postgres' }, { dataDir: blocked }),
      (error) => error instanceof StorageError && error.kind === 'unavailable' && /could not start embedded Postgres/.test(error.message),
    );
  });
});

describe('timestamptz text as the engine writes it', () => {
  it('takes UTC text with 0 to 6 fraction digits, and anything else through Date', () => {
    assert.equal(isoTimestamp('2026-12-07 13:27:02+00'), '2026-12-07T13:27:02.000Z');
    assert.equal(isoTimestamp('2026-12-07 13:27:02.1+00'), '2026-12-07T13:27:02.100Z');
    assert.equal(isoTimestamp('2026-12-07 13:27:02.12+00'), '2026-12-07T13:27:02.120Z');
    assert.equal(isoTimestamp('2026-12-07 13:27:02.123+00'), '2026-12-07T13:27:02.123Z');
    assert.equal(isoTimestamp('2026-12-07 13:27:02.1234+00'), '2026-12-07T13:27:02.123Z');
    assert.equal(isoTimestamp('2026-12-07 13:27:02.123456+00'), '2026-12-07T13:27:02.123Z');
    assert.equal(isoTimestamp('12026-12-07 13:27:02+00'), new Date('+012026-12-07T13:27:02Z').toISOString());
    assert.equal(isoTimestamp('2026-12-07 14:27:02.12+01'), '2026-12-07T13:27:02.120Z');
    assert.equal(isoTimestamp(new Date('2026-12-07T13:27:02.120Z')), '2026-12-07T13:27:02.120Z');
  });
});
