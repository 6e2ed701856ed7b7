import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { seedFromTemplate } from '../../adapters/postgres/pglite-template.ts';

/**
 * A new embedded database is a copy of the template the build made (dist/pglite-template/,
 * made by `npm install`): it opens as PGlite's own database, takes writes and keeps them,
 * and a folder that already holds something is never overwritten.
 */
const root = await mkdtemp(path.join(tmpdir(), 'council-pglite-template-'));
after(() => rm(root, { recursive: true, force: true }));
const built = existsSync(path.join(import.meta.dirname, '../../dist/pglite-template.json'));

describe('the PGlite template', { skip: built ? false : 'no dist/pglite-template: run npm run build' }, () => {
  it('seeds a new folder that PGlite opens, writes and reopens with its rows', async () => {
    const dir = path.join(root, 'new', 'db');
    assert.equal(await seedFromTemplate(dir), true);
    // Copied whole and renamed into place: no staging folder is left beside it.
    assert.deepEqual(await readdir(path.dirname(dir)), ['db']);
    const pg = await PGlite.create(dir);
    assert.deepEqual((await pg.query('select current_database() as db')).rows, [{ db: 'postgres' }]);
    // Only the database PGlite opens is kept (template0 and template1 are only read by CREATE DATABASE).
    assert.deepEqual((await pg.query('select datname from pg_database order by 1')).rows, [{ datname: 'postgres' }]);
    await pg.exec(`create table notes (id text primary key, body jsonb); insert into notes values ('a', '{"x": 1}')`);
    await pg.close();
    const again = await PGlite.create(dir);
    assert.deepEqual((await again.query('select id, body from notes')).rows, [{ id: 'a', body: { x: 1 } }]);
    await again.close();
  });

  it('leaves a folder that already holds files alone', async () => {
    const dir = path.join(root, 'used');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'mine.txt'), 'keep');
    assert.equal(await seedFromTemplate(dir), false);
    assert.deepEqual(await readdir(dir), ['mine.txt']);
  });
});
