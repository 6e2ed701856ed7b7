import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runNode } from './support/process.ts';

/** Store driver packages, by the folder they load from. */
const DRIVERS = {
  redis: /\/node_modules\/(redis|@redis\/[^/]+)\//,
  mongodb: /\/node_modules\/mongodb\//,
  opensearch: /\/node_modules\/@opensearch-project\//,
  elasticsearch: /\/node_modules\/@elastic\//,
  dynamodb: /\/node_modules\/@aws-sdk\//,
  postgres: /\/node_modules\/(postgres|@electric-sql\/pglite|drizzle-orm)\//,
};

const child = join(import.meta.dirname, 'support', 'lazy-drivers-child.ts');

/** Starts a memory-only project in a child process; the driver packages it loaded, and what it printed. */
async function driversLoaded(redisUrl?: string): Promise<{ drivers: string[]; modules: string[]; out: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'council-lazy-'));
  try {
    const log = join(dir, 'modules.log');
    const run = await runNode(['--import', 'tsx', child, log, ...(redisUrl ? [redisUrl] : [])], { timeoutMs: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const drivers = Object.entries(DRIVERS)
      .filter(([, folder]) => modules.some((url) => folder.test(url)))
      .map(([name]) => name);
    return { drivers, modules, out: JSON.parse(run.stdout.trim().split('\n').at(-1) ?? 'null') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('driver packages load only when a connection uses them', () => {
  it('a memory-only project starts, serves, compiles and stops without loading any store driver', async () => {
    const { drivers, modules, out } = await driversLoaded();
    assert.deepEqual(out, { statuses: [201, 200, 200, 200, 200], compiled: true, plans: 1 });
    // The log saw the engine and the memory backend load: an empty list means no driver, not no log.
    assert.ok(modules.some((url) => url.endsWith('/adapters/memory/index.ts')));
    assert.ok(modules.some((url) => /\/node_modules\/hono\//.test(url)));
    assert.deepEqual(drivers, []);
    // Nor what the search backends share (their record store, mapping and queries).
    assert.deepEqual(
      modules.filter((url) => /\/adapters\/search-dsl\//.test(url)),
      [],
    );
    // Nor the MCP SDK: the first MCP session loads it.
    assert.deepEqual(
      modules.filter((url) => /\/node_modules\/@modelcontextprotocol\//.test(url)),
      [],
    );
    // What other backends declare (capabilities, limits) is known without a driver; none of them is loaded.
    assert.deepEqual(
      modules.filter((url) =>
        /\/adapters\/(postgres|redis|mongodb|opensearch|elasticsearch|dynamodb)\/(index|connection|adapter)\.ts$/.test(url),
      ),
      [],
    );
  });

  it('rate limits counted in Redis load the Redis driver, and nothing else (no Redis need answer)', async () => {
    const { drivers, out } = await driversLoaded('redis://127.0.0.1:1');
    assert.deepEqual(out, { statuses: [201, 200, 200, 200, 200], compiled: true, plans: 1 });
    assert.deepEqual(drivers, ['redis']);
  });
});
