import {
  type ConnectContext,
  type ConnectionSettings,
  type RecordStore,
  type StagedStore,
  type StorageConnection,
  StorageError,
  type StoragePlan,
  type StorageSpec,
} from '../types.ts';
import { PostgresRecordStore } from './adapter.ts';
import { Breaker } from './breaker.ts';
import { type Executor, postgresJsExecutor } from './executor.ts';
import { Gate } from './gate.ts';
import { embeddedDirectory } from './location.ts';
import { planMigration } from './migration.ts';
import { type TableSchema, tableSchema } from './schema.ts';
import { PostgresShared } from './shared.ts';
import { recordStatements } from './statements.ts';

/**
 * Opens a connection: a postgres.js pool when `settings.url` is set, otherwise an
 * embedded PGlite database under `<dataDir>/postgres/<name>`. Each driver is
 * imported only when a connection uses it.
 */
export async function connectPostgres(settings: ConnectionSettings, context: ConnectContext): Promise<StorageConnection> {
  const label = `postgres connection "${settings.name}"`;
  return settings.url ? connectServer(settings.url, settings, context, label) : connectEmbedded(settings, context, label);
}

/**
 * Embedded PGlite runs on a worker thread of its own (`pglite-thread.ts`), so its
 * statements never hold up the server's thread; it runs each statement to its end and
 * has no statement timeout to give (documents/storage.md says so).
 */
async function connectEmbedded(settings: ConnectionSettings, context: ConnectContext, label: string) {
  const dir = embeddedDirectory(context.dataDir, settings.name);
  try {
    const { startPgliteThread } = await import('./pglite-thread.ts');
    const thread = await startPgliteThread(dir);
    // One thread runs one statement at a time: a pool of one.
    return new PostgresConnection(thread.executor(label), () => thread.close(), 1);
  } catch (error) {
    throw new StorageError('unavailable', `${label} could not start embedded Postgres in ${dir}`, { cause: error });
  }
}

async function connectServer(url: string, settings: ConnectionSettings, context: ConnectContext, label: string) {
  const { default: postgres } = await import('postgres');
  const open = () =>
    postgres(url, {
      max: settings.pool?.max ?? 10,
      idle_timeout: settings.pool?.idleTimeoutSeconds,
      connect_timeout: 5,
      // postgres.js waits longer before each reconnect after failures (up to 20 s), and
      // queued statements wait with it: a short, fixed delay instead; while the server is
      // down, the breaker below keeps requests off the pool anyway.
      backoff: () => 0.1,
      onnotice: () => {},
      // timestamptz as the server's text, in UTC: record-codec.ts makes it ISO 8601 with a
      // few string operations, where a Date parsed and printed again costs far more.
      types: { timestamptz: { to: 1184, from: [1184], serialize: (value: unknown) => value, parse: (text: string) => text } },
      connection: {
        TimeZone: 'UTC',
        // The server cancels a statement past it (57014, a `timeout`), so a slow query or a
        // lock held elsewhere ends in an answer rather than a caller left waiting.
        ...(context.statementTimeoutMs ? { statement_timeout: context.statementTimeoutMs } : {}),
      },
    });
  let sql: ReturnType<typeof postgres>;
  try {
    sql = open();
  } catch {
    // No cause: a URL parse error carries the URL itself.
    throw new StorageError('unavailable', `${label} has a url postgres.js cannot parse`);
  }
  let direct = postgresJsExecutor(sql, label);
  try {
    await direct.query('select 1', []);
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    if (error instanceof StorageError && error.kind === 'unavailable') throw error;
    throw new StorageError('unavailable', `${label} did not answer "select 1"`, { cause: error });
  }
  // Once the server answers again after failing, a new pool replaces the old one, whose
  // connections the server may have ended; statements already running on it finish.
  const renew = () => {
    const old = sql;
    sql = open();
    direct = postgresJsExecutor(sql, label);
    void old.end({ timeout: 5 }).catch(() => {});
  };
  const breaker = new Breaker(() => sql.unsafe('select 1'), label, renew);
  const current: Executor = { query: (text, params) => direct.query(text, params), transaction: (fn) => direct.transaction(fn) };
  return new PostgresConnection(
    breaker.wrap(current),
    () => {
      breaker.close();
      return sql.end({ timeout: 5 });
    },
    settings.pool?.max ?? 10,
  );
}

class PostgresConnection implements StorageConnection {
  readonly backend = 'postgres';
  readonly shared: PostgresShared;
  readonly #db: Executor;
  /** Uncounted: a health check is not pool usage (and /metrics pings while it reads the count). */
  readonly #ping: Executor;
  readonly #end: () => Promise<void>;
  readonly #max: number;
  /** Statements and transactions started and not yet settled: more than `max` means some wait for a connection. */
  #inFlight = 0;
  #closing: Promise<void> | undefined;

  constructor(db: Executor, end: () => Promise<void>, max: number) {
    this.#ping = db;
    this.#db = counted(db, (change) => {
      this.#inFlight += change;
    });
    this.#end = end;
    this.#max = max;
    this.shared = new PostgresShared(this.#db);
  }

  poolUsage(): { inFlight: number; max: number } {
    return { inFlight: this.#inFlight, max: this.#max };
  }

  async open(spec: StorageSpec): Promise<RecordStore> {
    const schema = tableSchema(spec);
    await this.#db.transaction((tx) => prepareTable(tx, schema, spec));
    const table = { schema, statements: recordStatements(schema) };
    this.shared.add(spec, table);
    return new PostgresRecordStore(this.#db, table);
  }

  async stage(spec: StorageSpec): Promise<StagedStore> {
    const schema = tableSchema(spec);
    const deferred = await this.#db.transaction(async (tx) => {
      const plan = await refusingPlan(tx, schema, spec);
      for (const step of plan.steps) if (!step.defer) await tx.query(step.statement, []);
      return plan.steps.filter((step) => step.defer);
    });
    const gate = deferred.some((step) => step.defer === 'gated') ? new Gate() : undefined;
    const table = { schema, statements: recordStatements(schema) };
    this.shared.add(spec, table, gate);
    const store = new PostgresRecordStore(gate ? gate.wrap(this.#db) : this.#db, table);
    return {
      store,
      deferred: deferred.map((step) => step.why),
      finish: async () => {
        if (deferred.length === 0) return;
        try {
          // Planned again: the older version may have written values since.
          await this.#db.transaction((tx) => prepareTable(tx, schema, spec));
        } catch (error) {
          gate?.fail(`table "${schema.table}" could not be changed for the new version; the previous version serves again`, error);
          throw error;
        }
        gate?.open();
      },
    };
  }

  async plan(spec: StorageSpec): Promise<StoragePlan> {
    const schema = tableSchema(spec);
    // Inside a transaction for the lock; nothing is written.
    return this.#db.transaction((tx) => lockedPlan(tx, schema, spec));
  }

  async ping(): Promise<void> {
    await this.#ping.query('select 1', []);
  }

  close(): Promise<void> {
    this.#closing ??= this.#end();
    return this.#closing;
  }
}

/** `db` with each statement and transaction counted while it runs (or waits for a connection). */
function counted(db: Executor, count: (change: 1 | -1) => void): Executor {
  return {
    async query(text, params) {
      count(1);
      try {
        return await db.query(text, params);
      } finally {
        count(-1);
      }
    },
    async transaction(fn) {
      count(1);
      try {
        return await db.transaction(fn);
      } finally {
        count(-1);
      }
    },
  };
}

/**
 * Brings the table to the spec: plans the change (see planMigration) and runs it, or
 * refuses the whole change if any part of it would lose values the manifest did not
 * allow to lose. The caller runs it in one transaction, so it applies entirely or not at all.
 */
async function prepareTable(db: Executor, schema: TableSchema, spec: StorageSpec): Promise<void> {
  const plan = await refusingPlan(db, schema, spec);
  for (const step of plan.steps) await db.query(step.statement, []);
}

/** The plan, or a `rejected` error naming the first field if any part of it is refused. */
async function refusingPlan(db: Executor, schema: TableSchema, spec: StorageSpec): Promise<StoragePlan> {
  const plan = await lockedPlan(db, schema, spec);
  if (plan.refused.length > 0) {
    throw new StorageError('rejected', plan.refused.map((r) => r.message).join('; '), { field: plan.refused[0]?.field });
  }
  return plan;
}

async function lockedPlan(db: Executor, schema: TableSchema, spec: StorageSpec): Promise<StoragePlan> {
  // A schema change (an index on a large table) may take longer than any request may.
  await db.query('set local statement_timeout = 0', []);
  // Serializes concurrent opens of one table, from other processes too, so IF NOT EXISTS cannot race.
  await db.query('select pg_advisory_xact_lock(hashtext($1::text))', [schema.table]);
  return planMigration(db, schema, spec);
}
