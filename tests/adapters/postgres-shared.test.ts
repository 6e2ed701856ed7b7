import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postgresBackend } from '../../adapters/postgres/index.ts';
import { joinedListStatement, joinedLists } from '../../adapters/postgres/joined-statements.ts';
import { tableSchema } from '../../adapters/postgres/schema.ts';
import { recordStatements } from '../../adapters/postgres/statements.ts';
import {
  BatchAborted,
  type ListQuery,
  type RecordStore,
  type SharedDatabase,
  type StorageConnection,
  StorageError,
  type StorageSpec,
  type StoredRecord,
} from '../../adapters/types.ts';
import { postgresServerGate } from '../support/postgres-server.ts';

/**
 * What one postgres connection runs across the tables it opened (SharedDatabase): the
 * joined list's statement, built without a database, then `listWith` and `writeAcross`
 * on PGlite and on the server, each checked against what the single-table operations
 * (list, getMany, writeAll's rules) answer.
 */
const tag = `${process.pid}_${Date.now().toString(36)}`;
const accountsSpec = (collection = `accounts_${tag}`, extra: StorageSpec['fields'] = []): StorageSpec => ({
  automation: 'accounts',
  collection,
  fields: [{ name: 'name', kind: 'string' }, { name: 'seats', kind: 'integer' }, { name: 'tags', kind: 'json' }, ...extra],
  filterable: [],
  sortable: [],
});
const ticketsSpec = (): StorageSpec => ({
  automation: 'tickets',
  collection: `tickets_${tag}`,
  fields: [
    { name: 'title', kind: 'string' },
    { name: 'accountId', kind: 'string' },
    { name: 'ownerId', kind: 'string' },
    { name: 'status', kind: 'string' },
    { name: 'rank', kind: 'integer' },
  ],
  filterable: ['status'],
  sortable: ['title', 'createdAt'],
});
const byTitle: ListQuery = {
  filters: [{ field: 'status', op: 'eq', value: 'open' }],
  sort: { field: 'title', direction: 'asc' },
  limit: 20,
};

describe('postgres joined list statement (pure)', () => {
  const tickets = tableSchema(ticketsSpec());
  const accounts = tableSchema(accountsSpec());
  const join = [{ field: 'accountId', schema: accounts }];

  it('is the list statement as a subquery, each table left-joined on its id, ordered again', () => {
    const statement = joinedListStatement(tickets, byTitle, join, false);
    const list = recordStatements(tickets).list(byTitle);
    const inner = list.text.replace(/^\/\* columns \w+ \*\/ /, '');
    assert.ok(statement.text.includes(`from (${inner}) as "page"`), statement.text);
    assert.match(
      statement.text,
      /left join "accounts_\w+" as "j0" on "j0"\."id" = "page"\."accountId"::uuid order by "title" asc nulls last, "id" asc$/,
    );
    const guarded = joinedListStatement(tickets, byTitle, join, true);
    assert.match(
      guarded.text,
      /left join "accounts_\w+" as "j0" on "j0"\."id" = case when "page"\."accountId" ~ '\^\[0-9a-fA-F\]\{8\}-.*\$' then "page"\."accountId"::uuid end order by "title" asc nulls last, "id" asc$/,
    );
    assert.deepEqual(guarded.aliases, statement.aliases);
    assert.match(statement.text, /^\/\* columns \w{12} \*\/ select "page"\.\*, "j0"\."id" as "0\.0", "j0"\."createdAt" as "0\.1"/);
    // The same arguments as the list: no slot of its own.
    assert.deepEqual(statement.slots, list.slots);
    assert.deepEqual(statement.aliases, [accounts.columns.map((_, c) => `0.${c}`)]);
  });

  it('names each join apart: two relations to one table are two aliases', () => {
    const statement = joinedListStatement(tickets, byTitle, [...join, { field: 'ownerId', schema: accounts }], false);
    assert.match(statement.text, /as "j0" on "j0"\."id" = "page"\."accountId"::uuid/);
    assert.match(statement.text, /as "j1" on "j1"\."id" = "page"\."ownerId"::uuid/);
    assert.equal(statement.aliases[1]?.[0], '1.0');
  });

  it('is built once per shape, and again when a joined table changes its columns (a new text, for prepared statements)', () => {
    const lists = joinedLists(tickets);
    const first = lists(byTitle, join, false);
    assert.equal(lists({ ...byTitle, limit: 5 }, join, false), first, 'the limit is an argument');
    assert.notEqual(lists(byTitle, join, true), first, 'guarded is a statement of its own');
    const after = lists({ ...byTitle, after: { value: 'b', id: randomUUID() } }, join, false);
    assert.notEqual(after, first);
    const widened = tableSchema(accountsSpec(accounts.table, [{ name: 'region', kind: 'string' }]));
    const again = lists(byTitle, [{ field: 'accountId', schema: widened }], false);
    assert.notEqual(again.text.slice(0, 30), first.text.slice(0, 30), 'the columns mark differs');
    assert.equal(again.aliases[0]?.length, accounts.columns.length + 1);
  });

  it('refuses a field that is no string column', () => {
    assert.throws(
      () => joinedListStatement(tickets, byTitle, [{ field: 'rank', schema: accounts }], false),
      (error) => error instanceof StorageError && error.kind === 'rejected',
    );
  });
});

function runSharedSuite(name: string, connect: () => Promise<StorageConnection>, skip: string | false): void {
  describe(`postgres shared database: ${name}`, { skip }, () => {
    let connection: StorageConnection;
    let shared: SharedDatabase;
    let accounts: RecordStore;
    let tickets: RecordStore;
    const specs = { accounts: accountsSpec(), tickets: ticketsSpec() };
    const at = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
    const record = (n: number, fields: Record<string, unknown>): StoredRecord => ({
      id: randomUUID(),
      createdAt: at(n),
      updatedAt: at(n),
      ...fields,
    });
    const acme = record(1, { name: 'Acme', seats: 12, tags: ['a', { b: 1 }] });
    const umbrella = record(2, { name: 'Umbrella' });
    const ticketsMade: StoredRecord[] = [];

    before(async () => {
      connection = await connect();
      shared = connection.shared as SharedDatabase;
      accounts = await connection.open(specs.accounts);
      tickets = await connection.open(specs.tickets);
      await accounts.create(acme);
      await accounts.create(umbrella);
      const rows: Record<string, unknown>[] = [
        { title: 'a', accountId: acme.id, ownerId: umbrella.id, status: 'open', rank: 1 },
        { title: 'b', accountId: acme.id, status: 'open' },
        { title: 'c', accountId: umbrella.id, status: 'closed' },
        { title: 'd', status: 'open' },
        { title: 'e', accountId: randomUUID(), status: 'open' },
        { title: 'f', accountId: `urn:uuid:${acme.id}`, status: 'open' },
        { title: 'g', accountId: acme.id.toUpperCase(), status: 'open' },
      ];
      for (const [i, fields] of rows.entries()) ticketsMade.push(await tickets.create(record(10 + i, fields)));
    });

    after(async () => {
      await connection?.close();
    });

    /** What the engine did before: the page, then getMany of its ids. */
    const separately = async (query: ListQuery, field: string) => {
      const page = await tickets.list(query);
      const ids = [...new Set(page.records.map((r) => r[field]).filter((v): v is string => typeof v === 'string'))];
      return { page, byId: await (accounts.getMany as NonNullable<RecordStore['getMany']>)(ids) };
    };

    it('holds what it opened, and nothing opened elsewhere', () => {
      assert.equal(shared.holds(specs.accounts), true);
      assert.equal(shared.holds(accountsSpec()), false, 'an equal spec, not the one opened');
    });

    it('listWith answers the page list answers and the records getMany answers, in one statement', async () => {
      // Pages without (a, b), then with (f: urn:uuid:…), text that is no uuid: the first
      // statement casts it and fails, the guarded one answers, and it stays guarded.
      for (const query of [
        { ...byTitle, limit: 2 },
        byTitle,
        { ...byTitle, limit: 2 },
        { ...byTitle, count: true },
        { ...byTitle, sort: { field: 'createdAt', direction: 'desc' } } as const,
      ]) {
        const joined = await shared.listWith(specs.tickets, query, [{ field: 'accountId', spec: specs.accounts }]);
        const { page, byId } = await separately(query, 'accountId');
        assert.deepEqual(joined.records, page.records);
        assert.equal(joined.hasMore, page.hasMore);
        assert.equal(joined.total, page.total);
        assert.deepEqual(joined.joined[0], byId);
      }
      const all = await shared.listWith(specs.tickets, { ...byTitle, filters: [] }, [{ field: 'accountId', spec: specs.accounts }]);
      // Decoded as get decodes: integers, JSON, timestamps; an unset field left out.
      assert.deepEqual(all.joined[0]?.get(acme.id), acme);
      assert.deepEqual(all.joined[0]?.get(umbrella.id), umbrella);
      // Not ids of stored records (missing, urn:, upper case): absent, as from getMany keyed by the stored id.
      assert.equal(all.joined[0]?.size, 2);
    });

    it('listWith joins each relation apart, and continues from a cursor', async () => {
      const joins = [
        { field: 'accountId', spec: specs.accounts },
        { field: 'ownerId', spec: specs.accounts },
      ];
      const first = await shared.listWith(specs.tickets, { ...byTitle, limit: 1 }, joins);
      assert.deepEqual(
        first.records.map((r) => r.title),
        ['a'],
      );
      assert.deepEqual([...(first.joined[0]?.keys() ?? [])], [acme.id]);
      assert.deepEqual([...(first.joined[1]?.keys() ?? [])], [umbrella.id]);
      const last = first.records[0] as StoredRecord;
      const next = await shared.listWith(
        specs.tickets,
        { ...byTitle, limit: 1, after: { value: last.title as string, id: last.id } },
        joins,
      );
      assert.deepEqual(
        next.records.map((r) => r.title),
        ['b'],
      );
      assert.equal(next.joined[1]?.size, 0);
    });

    it('refuses a spec it did not open', async () => {
      await assert.rejects(
        shared.listWith(specs.tickets, byTitle, [{ field: 'accountId', spec: accountsSpec() }]),
        (error) => error instanceof StorageError && error.kind === 'rejected',
      );
    });

    it('writeAcross writes to several tables in order, all or none', async () => {
      const account = await accounts.create(record(3, { name: 'Initech' }));
      const cleared = await tickets.create(record(30, { title: 'x', accountId: account.id, status: 'open' }));
      const doomed = await tickets.create(record(31, { title: 'y', accountId: account.id, status: 'open' }));
      const writes = [
        {
          spec: specs.tickets,
          write: { op: 'modify', id: cleared.id, change: ({ accountId: _, ...rest }: StoredRecord) => rest as StoredRecord },
        },
        { spec: specs.tickets, write: { op: 'delete', id: doomed.id } },
        {
          spec: specs.accounts,
          write: {
            op: 'delete',
            id: account.id,
            check: () => {
              throw new Error('precondition failed');
            },
          },
        },
      ] as const;
      // The last write fails: nothing of the three is written.
      await assert.rejects(shared.writeAcross(writes), (error) => {
        assert.ok(error instanceof BatchAborted);
        assert.equal(error.index, 2);
        assert.equal((error.cause as Error).message, 'precondition failed');
        return true;
      });
      assert.deepEqual(await tickets.get(cleared.id), cleared);
      assert.deepEqual(await tickets.get(doomed.id), doomed);
      assert.deepEqual(await accounts.get(account.id), account);
      // A write to an id not stored fails it too, naming that write.
      await assert.rejects(
        shared.writeAcross([writes[1], { spec: specs.accounts, write: { op: 'delete', id: randomUUID() } }]),
        (error) => error instanceof BatchAborted && error.index === 1 && error.reason === 'missing',
      );
      assert.deepEqual(await tickets.get(doomed.id), doomed);
      const done = await shared.writeAcross([writes[0], writes[1], { spec: specs.accounts, write: { op: 'delete', id: account.id } }]);
      assert.deepEqual(
        done.map((r) => r.id),
        [cleared.id, doomed.id, account.id],
      );
      assert.equal((await tickets.get(cleared.id))?.accountId, undefined);
      assert.equal(await tickets.get(doomed.id), undefined);
      assert.equal(await accounts.get(account.id), undefined);
    });
  });
}

const embeddedDir = await mkdtemp(path.join(tmpdir(), 'council-pglite-shared-'));
after(() => rm(embeddedDir, { recursive: true, force: true }));
runSharedSuite('embedded PGlite', () => postgresBackend.connect({ name: 'shared', backend: 'postgres' }, { dataDir: embeddedDir }), false);

const server = await postgresServerGate();
runSharedSuite(
  'server',
  () => postgresBackend.connect({ name: 'shared', backend: 'postgres', url: server.url, pool: { max: 3 } }, { dataDir: embeddedDir }),
  server.skip,
);
