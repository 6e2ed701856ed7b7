import { distinctIds } from '../batch.ts';
import { searchWords } from '../text-match.ts';
import {
  type BatchWrite,
  type ListPage,
  type ListQuery,
  type RecordStore,
  type SearchQuery,
  StorageError,
  type StoredRecord,
} from '../types.ts';
import { runBatch } from './batch-write.ts';
import type { Executor } from './executor.ts';
import { decodeRow, encodeField, encodeListQuery, encodeRecord, jsonRows } from './record-codec.ts';
import { isUniqueViolation, refusal, violatedField } from './refusal.ts';
import type { TableSchema } from './schema.ts';
import type { RecordStatements } from './statements.ts';
import { run, single, type Table, uuidPattern, writeRow } from './table.ts';

/**
 * One table's records. Runs statements built once at `open()`; the request path only
 * encodes arguments, runs one statement and maps the rows back.
 */
export class PostgresRecordStore implements RecordStore {
  readonly #db: Executor;
  readonly #statements: RecordStatements;
  readonly #schema: TableSchema;
  readonly #table: Table;

  constructor(db: Executor, table: Table) {
    this.#db = db;
    this.#table = table;
    this.#schema = table.schema;
    this.#statements = table.statements;
  }

  get(id: string): StoredRecord | undefined | Promise<StoredRecord | undefined> {
    if (!uuidPattern.test(id)) return undefined;
    return run(this.#db, this.#statements.get, [id]).then((rows) => {
      const row = rows[0];
      return row && decodeRow(this.#schema, row);
    });
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
    const wanted = distinctIds(ids).filter((id) => uuidPattern.test(id));
    const found = new Map<string, StoredRecord>();
    if (wanted.length === 0) return found;
    for (const row of await run(this.#db, this.#statements.getMany, [JSON.stringify(wanted)])) {
      const record = decodeRow(this.#schema, row);
      found.set(record.id, record);
    }
    return found;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const statement = this.#statements.list(query);
    const { args, filters } = encodeListQuery(this.#schema, query);
    const [rows, counted] = await Promise.all([
      run(this.#db, statement, args),
      query.count ? run(this.#db, this.#statements.count(query), filters) : undefined,
    ]);
    const hasMore = rows.length > query.limit;
    const records = (hasMore ? rows.slice(0, query.limit) : rows).map((r) => decodeRow(this.#schema, r));
    return { records, hasMore, ...(counted ? { total: Number(counted[0]?.total ?? 0) } : {}) };
  }

  async search(query: SearchQuery): Promise<ListPage> {
    const statement = this.#statements.search;
    if (!statement) throw new StorageError('rejected', `"${this.#schema.table}" has no searchable fields`);
    const words = searchWords(query.text);
    if (words.length === 0) return { records: [], hasMore: false };
    const rows = await run(this.#db, statement, [words.join(' & '), query.offset, query.limit + 1]);
    const hasMore = rows.length > query.limit;
    return { records: (hasMore ? rows.slice(0, query.limit) : rows).map((r) => decodeRow(this.#schema, r)), hasMore };
  }

  async create(record: StoredRecord): Promise<StoredRecord> {
    try {
      return decodeRow(this.#schema, single(await run(this.#db, this.#statements.insert, encodeRecord(this.#schema, record))));
    } catch (error) {
      throw refusal(this.#schema, error, record);
    }
  }

  async createMany(records: readonly StoredRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One JSON array as the only parameter: one statement however many records.
    try {
      await run(this.#db, this.#statements.insertMany, [jsonRows(this.#schema, records)]);
    } catch (error) {
      throw refusal(this.#schema, error, undefined);
    }
  }

  async setMany(field: string, values: ReadonlyMap<string, unknown>): Promise<void> {
    const rows = [...values].filter(([id]) => uuidPattern.test(id)).map(([id, value]) => ({ id, value: value ?? null }));
    if (rows.length === 0) return;
    await run(this.#db, this.#statements.setMany(field), [JSON.stringify(rows)]);
  }

  async modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined> {
    if (!uuidPattern.test(id)) return undefined;
    let written: StoredRecord | undefined;
    return this.#db
      .transaction(async (tx) => {
        const [row] = await run(tx, this.#statements.lock, [id]);
        if (!row) return undefined;
        written = { ...change(decodeRow(this.#schema, row)), id };
        const updated = await run(tx, this.#statements.update, encodeRecord(this.#schema, written));
        return decodeRow(this.#schema, single(updated));
      })
      .catch((error) => {
        throw refusal(this.#schema, error, written);
      });
  }

  /**
   * Locks the record holding the value and replaces it, else inserts, in one transaction.
   * Two upserts of a new value both find nothing to lock; the second insert then waits on
   * the unique index for the first to commit and fails, and runs again: it now finds (and
   * locks) the first one's record.
   */
  async upsert(
    field: string,
    record: StoredRecord,
    change: (current: StoredRecord) => StoredRecord,
  ): Promise<{ readonly record: StoredRecord; readonly created: boolean }> {
    if (![...this.#schema.uniqueIndexes.values()].includes(field)) {
      throw new StorageError('rejected', `upsert needs a unique field, and "${field}" is not one of "${this.#schema.table}"`, { field });
    }
    const value = encodeField(this.#schema, field, record[field]);
    for (let attempt = 1; ; attempt++) {
      let written: StoredRecord = record;
      try {
        return await this.#db.transaction(async (tx) => {
          const [row] = value === null ? [] : await run(tx, this.#statements.lockBy(field), [value]);
          if (!row) return { record: await this.#write(tx, 'insert', record), created: true };
          const current = decodeRow(this.#schema, row);
          written = { ...change(current), id: current.id };
          return { record: await this.#write(tx, 'update', written), created: false };
        });
      } catch (error) {
        const lostRace = written === record && isUniqueViolation(error) && violatedField(this.#schema, error) === field;
        if (!lostRace || attempt >= UPSERT_ATTEMPTS) throw refusal(this.#schema, error, written);
      }
    }
  }

  /** The batch in one transaction (see runBatch). */
  writeAll(writes: readonly BatchWrite[]): Promise<readonly StoredRecord[]> {
    return runBatch(
      this.#db,
      writes.map((write) => ({ table: this.#table, write })),
    );
  }

  #write(db: Executor, statement: 'insert' | 'update', record: StoredRecord): Promise<StoredRecord> {
    return writeRow(db, this.#table, statement, record);
  }

  async delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean> {
    if (!uuidPattern.test(id)) return false;
    if (!check) return (await run(this.#db, this.#statements.delete, [id])).length > 0;
    return this.#db.transaction(async (tx) => {
      const [row] = await run(tx, this.#statements.lock, [id]);
      if (!row) return false;
      check(decodeRow(this.#schema, row));
      return (await run(tx, this.#statements.delete, [id])).length > 0;
    });
  }
}

/** How often an upsert runs when a concurrent upsert inserted the same value first (then it finds that record). */
const UPSERT_ATTEMPTS = 3;
