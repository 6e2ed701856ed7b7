import { copyFile, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A new PGlite database costs about 4.5 s of initdb on this kind of machine, and a user's
 * first `npm start` would wait for it. `npm install` (the build) runs that initdb once into
 * `dist/pglite-template/`; a new embedded database is then a copy of it opened like any
 * existing one. The copy is most of a first start, and it costs by the file more than by
 * the byte (0.6-1.4 s for initdb's 998 files here): the template keeps only the database
 * PGlite opens (`postgres`), without `template0` and `template1`, which only
 * `CREATE DATABASE` reads and an embedded store never runs (371 files, 24 MB, ~0.3 s).
 * The copy is only used when it was made by the PGlite version installed now; otherwise,
 * or without a build, PGlite creates the database itself.
 */

const root = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url));
const TEMPLATE = path.join(root, 'dist', 'pglite-template');
const STAMP = `${TEMPLATE}.json`;

async function installedPgliteVersion(): Promise<string> {
  const packageFile = new URL('../package.json', import.meta.resolve('@electric-sql/pglite'));
  return (JSON.parse(await readFile(packageFile, 'utf8')) as { version: string }).version;
}

/** Creates the template with the installed PGlite (the build runs this). */
export async function buildPgliteTemplate(): Promise<string> {
  await rm(TEMPLATE, { recursive: true, force: true });
  await rm(STAMP, { force: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create(TEMPLATE);
  for (const unused of ['template0', 'template1']) {
    await pg.exec(`ALTER DATABASE ${unused} IS_TEMPLATE false`);
    await pg.exec(`DROP DATABASE ${unused}`);
  }
  await pg.exec('CHECKPOINT');
  await pg.close();
  await writeFile(STAMP, `${JSON.stringify({ pglite: await installedPgliteVersion() })}\n`);
  return TEMPLATE;
}

async function templateFits(): Promise<boolean> {
  try {
    const { pglite } = JSON.parse(await readFile(STAMP, 'utf8')) as { pglite?: string };
    return pglite === (await installedPgliteVersion());
  } catch {
    return false;
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Makes `dir` a copy of the template when `dir` holds no database yet and the template
 * fits; says whether it did. The copy is made beside `dir` and renamed into place, so a
 * crash mid-copy leaves no half database (the caller holds the data directory's lock).
 */
export async function seedFromTemplate(dir: string): Promise<boolean> {
  if (!(await isEmptyOrMissing(dir)) || !(await templateFits())) return false;
  const staging = `${dir}.seeding-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    await copyTree(TEMPLATE, staging);
    await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(staging, dir);
    return true;
  } catch {
    // PGlite creates the database itself instead.
    await rm(staging, { recursive: true, force: true });
    return false;
  }
}

/**
 * `from` copied to `to`, several files at a time: fs.cp copies one file after another, and
 * each waits on the disk (0.7 s for the template here, against ~0.2 s this way).
 */
async function copyTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true, recursive: true });
  const inside = (entry: { parentPath: string; name: string }) => path.relative(from, path.join(entry.parentPath, entry.name));
  await mkdir(to, { recursive: true });
  for (const entry of entries) if (entry.isDirectory()) await mkdir(path.join(to, inside(entry)), { recursive: true });
  const files = entries.filter((entry) => entry.isFile()).map(inside);
  let next = 0;
  const copier = async () => {
    while (next < files.length) {
      const file = files[next++] as string;
      await copyFile(path.join(from, file), path.join(to, file));
    }
  };
  await Promise.all(Array.from({ length: COPIES_AT_ONCE }, copier));
}

/** Enough to keep libuv's four file threads busy. */
const COPIES_AT_ONCE = 8;
