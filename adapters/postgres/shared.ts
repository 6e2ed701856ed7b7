import type { JoinedPage, ListJoin, ListQuery, SharedDatabase, SpecWrite, StorageSpec, StoredRecord } from '../types.ts';
import { StorageError } from '../types.ts';
import { runBatch } from './batch-write.ts';
import type { Executor } from './executor.ts';
import type { Gate } from './gate.ts';
import { type JoinedLists, joinedLists } from './joined-statements.ts';
import { decodeRow, encodeListQuery } from './record-codec.ts';
import { isInvalidText } from './refusal.ts';
import { run, type Table } from './table.ts';

/** A table this connection opened, as the statements across tables need it. */
interface SharedTable extends Table {
  /** Held while a reload waits to change the table for the version that opened it (see Gate). */
  readonly gate: Gate | undefined;
  readonly joined: JoinedLists;
  /**
   * The fields of this table a join found text in that is no uuid: joins on them are
   * guarded from then on (see joinedListStatement). Until the table is opened again.
   */
  readonly notIds: Set<string>;
}

/**
 * The tables one postgres connection opened, by the spec each was opened with, and the
 * statements that span them: a list with its related records in one statement, and writes
 * to several tables in one transaction. A spec opened elsewhere (another connection, even
 * to the same database) is not held: what it reads may be another database.
 */
export class PostgresShared implements SharedDatabase {
  readonly #db: Executor;
  // Weak: a spec replaced by a reload, and its plan, are let go.
  readonly #tables = new WeakMap<StorageSpec, SharedTable>();

  constructor(db: Executor) {
    this.#db = db;
  }

  /** Records the table `spec` was opened (or staged) as; `gate`: the staged version's. */
  add(spec: StorageSpec, table: Table, gate?: Gate): void {
    this.#tables.set(spec, { ...table, gate, joined: joinedLists(table.schema), notIds: new Set() });
  }

  holds(spec: StorageSpec): boolean {
    return this.#tables.has(spec);
  }

  async listWith(spec: StorageSpec, query: ListQuery, joins: readonly ListJoin[]): Promise<JoinedPage> {
    const table = this.#table(spec);
    const tables = joins.map((join) => this.#table(join.spec));
    const joined = joins.map((join, j) => ({ field: join.field, schema: (tables[j] as SharedTable).schema }));
    const db = this.#through([table, ...tables]);
    const { args, filters } = encodeListQuery(table.schema, query);
    let statement = table.joined(
      query,
      joined,
      joins.some((join) => table.notIds.has(join.field)),
    );
    const rowsOf = async () => {
      try {
        return await run(db, statement, args);
      } catch (error) {
        // Rare (ids are checked when written): text from before the reference was declared.
        // Which field held it is not said, so every field of this join is guarded from now on.
        if (!isInvalidText(error) || joins.every((join) => table.notIds.has(join.field))) throw error;
        for (const join of joins) table.notIds.add(join.field);
        statement = table.joined(query, joined, true);
        return run(db, statement, args);
      }
    };
    const [rows, counted] = await Promise.all([rowsOf(), query.count ? run(db, table.statements.count(query), filters) : undefined]);
    const hasMore = rows.length > query.limit;
    const kept = hasMore ? rows.slice(0, query.limit) : rows;
    const found = tables.map(() => new Map<string, StoredRecord>());
    const records = kept.map((row) => {
      for (const [j, byId] of found.entries()) {
        const aliases = statement.aliases[j] as readonly string[];
        // A row with no referred record has nulls for all its columns, the id (the first) among them.
        const id = row[aliases[0] as string];
        if (typeof id !== 'string' || byId.has(id)) continue;
        byId.set(id, decodeRow((tables[j] as SharedTable).schema, row, aliases));
      }
      return decodeRow(table.schema, row);
    });
    return { records, hasMore, joined: found, ...(counted ? { total: Number(counted[0]?.total ?? 0) } : {}) };
  }

  writeAcross(writes: readonly SpecWrite[]): Promise<readonly StoredRecord[]> {
    const tables = writes.map(({ spec, write }) => ({ table: this.#table(spec), write }));
    return runBatch(this.#through(tables.map((w) => w.table)), tables);
  }

  #table(spec: StorageSpec): SharedTable {
    const table = this.#tables.get(spec);
    if (!table) throw new StorageError('rejected', `"${spec.collection}" was not opened on this connection, so no statement can span it`);
    return table;
  }

  /** The connection, waiting first for the gate of any table a reload has yet to change. */
  #through(tables: readonly SharedTable[]): Executor {
    let db = this.#db;
    for (const gate of new Set(tables.map((t) => t.gate))) if (gate) db = gate.wrap(db);
    return db;
  }
}
