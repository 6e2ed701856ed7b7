import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { freePort } from './redis-server.ts';
import { requireStore } from './stores.ts';

const execFileAsync = promisify(execFile);

/** The PostgreSQL server the real-server suites use (its database is only where a per-file one is created). */
const POSTGRES_SERVER_URL = process.env.COUNCIL_TEST_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The database this test file owns on that server: `council_t_<file>`. Files run
 * concurrently (`--test-concurrency`), and several serve automations of the same name,
 * so each file gets its own database, and no file can drop another's tables or read
 * its rows. Each test file runs in its own process, whose argv[1] is the file.
 */
export const POSTGRES_TEST_URL = withDatabase(POSTGRES_SERVER_URL, `council_t_${fileTag(process.argv[1] ?? 'adhoc')}`);

function fileTag(file: string): string {
  const name = basename(file)
    .replace(/\.test\.[cm]?[jt]s$/, '')
    .replace(/\.[cm]?[jt]s$/, '');
  const folder = basename(dirname(file));
  return `${folder === 'tests' ? '' : `${folder}_`}${name}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 50);
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates the file's database when it does not exist (a race with another process is fine: one wins, both go on). */
async function ensureDatabase(): Promise<void> {
  const name = new URL(POSTGRES_TEST_URL).pathname.slice(1);
  const sql = postgres(POSTGRES_SERVER_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    const found = await sql`select 1 from pg_database where datname = ${name}`;
    if (found.length === 0) {
      await sql.unsafe(`create database "${name}"`).catch((error: { code?: string }) => {
        // 42P04: created meanwhile; 23505: the same race caught by the catalog's unique index.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Probes the PostgreSQL server once and creates this file's database: `{ url, skip }` for `describe(..., { skip })`. */
export async function postgresServerGate(): Promise<{ url: string; skip: string | false }> {
  const gate = await requireStore('postgres', ensureDatabase, { url: POSTGRES_SERVER_URL, env: 'COUNCIL_TEST_POSTGRES_URL' });
  return { url: POSTGRES_TEST_URL, skip: gate.skip };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** For suites that run their own PostgreSQL server (to stop it): a skip reason without the binaries. */
export const postgresBinarySkip: string | false = existsSync(join(PG_BIN, 'pg_ctl'))
  ? false
  : `PostgreSQL server binaries are not installed at ${PG_BIN}; skipped`;

/** A PostgreSQL server of a test's own, on a free port, with a throwaway data directory. */
export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /** Shuts it down the way an operator's `pg_ctl stop` does (fast: sessions are ended). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it if it runs and deletes its data directory. */
  remove(): Promise<void>;
}

/**
 * initdb into a temporary directory and start a server on a free loopback port. The
 * commands run as the `postgres` user when this process is root (PostgreSQL refuses to
 * run as root), and never block the event loop, so a server in the test process keeps
 * answering while its database starts or stops.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'council-pg-'));
  const data = join(dir, 'data');
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const run = async (command: string, args: readonly string[]) => {
    const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, command), ...args]] : [join(PG_BIN, command), args];
    await execFileAsync(file, [...argv], { timeout: 60_000 });
  };
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  const own: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop() {
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      running = false;
    },
    async remove() {
      if (running) await own.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no postgres user to run the PostgreSQL server as');
  return { uid: Number(uid), gid: Number(gid) };
}
