import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import postgres from 'postgres';
import { postgresCapabilities } from '../../adapters/postgres/capabilities.ts';
import { postgresBackend } from '../../adapters/postgres/index.ts';
import { type ConnectionSettings, type StorageConnection, StorageError } from '../../adapters/types.ts';
import { postgresServerGate } from '../support/postgres-server.ts';
import { contractSpec, runRecordStoreContract } from './contract.ts';

const server = await postgresServerGate();
const serverUrl = server.url;

const embeddedDir = await mkdtemp(path.join(tmpdir(), 'council-pglite-'));
const embedded: ConnectionSettings = { name: 'contract', backend: 'postgres' };
const connectEmbedded = () => postgresBackend.connect(embedded, { dataDir: embeddedDir });

after(() => rm(embeddedDir, { recursive: true, force: true }));

runRecordStoreContract('postgres (embedded PGlite)', connectEmbedded, { capabilities: postgresCapabilities });

describe('postgres (embedded PGlite): restart', () => {
  it('keeps data across close and a new connection on the same data directory', async () => {
    const settings: ConnectionSettings = { name: 'restart', backend: 'postgres' };
    const spec = contractSpec();
    const record = {
      id: randomUUID(),
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:00.000Z',
      name: 'durable',
      tags: [1, { a: 'b' }],
    };
    const first = await postgresBackend.connect(settings, { dataDir: embeddedDir });
    await (await first.open(spec)).create(record);
    await first.close();
    const second = await postgresBackend.connect(settings, { dataDir: embeddedDir });
    try {
      assert.deepEqual(await (await second.open(spec)).get(record.id), record);
    } finally {
      await second.close();
    }
  });
});

const serverSettings: ConnectionSettings = { name: 'contract', backend: 'postgres', url: serverUrl, pool: { max: 5 } };
const created = new Set<string>();

runRecordStoreContract(
  'postgres (server)',
  async () => recording(await postgresBackend.connect(serverSettings, { dataDir: embeddedDir })),
  {
    skip: server.skip,
    capabilities: postgresCapabilities,
  },
);

describe('postgres (server): connection', { skip: server.skip }, () => {
  after(() => dropTables(serverUrl, created));

  it('ping answers', async () => {
    const connection = await postgresBackend.connect(serverSettings, { dataDir: embeddedDir });
    try {
      await connection.ping();
    } finally {
      await connection.close();
    }
  });

  it('keeps strings in byte order (COLLATE "C") whatever the database default', async () => {
    const connection = recording(await postgresBackend.connect(serverSettings, { dataDir: embeddedDir }));
    const spec = contractSpec();
    const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await connection.open(spec);
      const rows = await sql`select a.attname as name, c.collname as collation from pg_attribute a
        join pg_collation c on c.oid = a.attcollation where a.attrelid = to_regclass(${spec.collection})`;
      assert.deepEqual([...rows], [{ name: 'name', collation: 'C' }]);
    } finally {
      await connection.close();
      await sql.end({ timeout: 5 });
    }
  });
});

describe('postgres (server): unreachable', () => {
  it('rejects connect as unavailable without revealing the url', async () => {
    const url = 'postgres://council:s3cret-pw@127.0.0.1:1/test';
    const settings: ConnectionSettings = { name: 'down', backend: 'postgres', url };
    await assert.rejects(postgresBackend.connect(settings, { dataDir: embeddedDir }), (error) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.kind, 'unavailable');
      assert.ok(!error.message.includes(url) && !error.message.includes('s3cret-pw'), error.message);
      return true;
    });
  });
});

/** Notes every collection the contract opens so the tables can be dropped afterwards. */
function recording(connection: StorageConnection): StorageConnection {
  return {
    backend: connection.backend,
    open: (spec) => {
      created.add(spec.collection);
      return connection.open(spec);
    },
    plan: (spec) => connection.plan(spec),
    ping: () => connection.ping(),
    close: () => connection.close(),
  };
}

async function dropTables(url: string, tables: ReadonlySet<string>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const table of tables) await sql`drop table if exists ${sql(table)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
