#!/usr/bin/env node
// `npm test` and `npm run test:long`: which test files run, and how many at once.
//
// npm test runs every file but the long ones, several at a time: each file has its own
// PostgreSQL database and Redis database (tests/support/postgres-server.ts, redis-server.ts),
// its own temporary folders and free ports, so files cannot see each other's data.
// npm run test:long runs the files below one at a time, after it: soaks that load the
// machine for tens of seconds, and fault suites whose figures (time to 503, a limit kept
// within 1%) a neighbour's load would skew. CI (.ci/run) runs both; nothing is left out.
//
// Arguments after the script name pass through to node --test (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const LONG = [
  // Soaks: 20 s of traffic across two processes; 100 and 40 reloads under 10 connections.
  'tests/security/rate-limit-processes.test.ts',
  'tests/reload-under-load.test.ts',
  // Fault suites with timed figures: a stopped PostgreSQL and Redis, a frozen Redis and key
  // store, statements cancelled at the request timeout, processes racing for the data directory.
  'tests/postgres-outage.test.ts',
  'tests/redis-outage.test.ts',
  'tests/security/redis-limiter-freeze.test.ts',
  'tests/security/dependency-deadlines.test.ts',
  'tests/security/timeouts.test.ts',
  'tests/data-dir-lock.test.ts',
  'tests/embedded-durability.test.ts',
  // Three processes behind nginx: a rolling restart under load, then a SIGKILL.
  'tests/fleet-nginx.test.ts',
];

const long = process.argv[2] === 'long';
const passed = process.argv.slice(long ? 3 : 2);
const all = ['tests', 'tests/adapters', 'tests/security', 'tests/console'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `${dir}/${name}`),
);
const files = long ? LONG.filter((file) => all.includes(file)) : all.filter((file) => !LONG.includes(file));
// Files wait on servers, stores and child processes more than they compute: one more than the cores.
const concurrency = long ? 1 : Number(process.env.COUNCIL_TEST_CONCURRENCY ?? availableParallelism() + 1);
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...passed, ...files], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
