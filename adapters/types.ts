/**
 * The storage adapter contract. Every backend lives in `adapters/<backend>/` and
 * exports a {@link StorageBackend}; the engine never imports a driver directly.
 *
 * Records cross this boundary flat: `{ id, createdAt, updatedAt, ...properties }`,
 * with timestamps as ISO-8601 strings and properties that are absent left out.
 */

/** One record as the API shows it. */
export interface StoredRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  [property: string]: unknown;
}

/** How a top-level property is stored: typed scalars get their own column. */
export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'json';

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  /**
   * Large values written once and seldom read (the audit log's blocks): kept as they are
   * where a store would compress them, whose CPU cost outweighs the space (PostgreSQL's
   * TOAST compression took half of PGlite's time per audit block).
   */
  readonly bulk?: boolean;
}

/** What the compiler tells a backend about one automation's records. Pure data. */
export interface StorageSpec {
  /** Automation name, e.g. `support-tickets`. */
  readonly automation: string;
  /** Table / collection name derived from the automation name, e.g. `support_tickets`. */
  readonly collection: string;
  /** Top-level properties of the resource schema. */
  readonly fields: readonly FieldSpec[];
  /** Fields some list endpoint filters on (worth an index). */
  readonly filterable: readonly string[];
  /**
   * String fields the search endpoint matches words in (worth a full-text index); empty
   * when the automation has no search endpoint.
   */
  readonly searchable?: readonly string[];
  /** Fields some list endpoint sorts on (worth an index); may include `createdAt`, `updatedAt`, `id`. */
  readonly sortable: readonly string[];
  /**
   * Destructive changes the manifest allows on an existing store: columns of removed
   * properties to drop although they hold values, and properties whose values may be
   * converted to a new type. Without them such changes are refused.
   */
  readonly migrations?: { readonly drop: readonly string[]; readonly retype: readonly string[] };
  /** Fields no two records may share a value of (`unique` capability). */
  readonly unique?: readonly string[];
  /** Seconds a record lives after its last write; backends with the `ttl` capability only. */
  readonly ttlSeconds?: number;
}

/**
 * What a backend can do. Manifests are checked against it (`capability-missing`), and a
 * capability is declared only where the adapter implements it and the contract suite
 * tests it.
 */
export interface Capabilities {
  /** List filter operators (`?field=value` is `eq`). */
  readonly filterOperators: readonly string[];
  readonly sort: boolean;
  readonly cursor: boolean;
  /** Relevance-ordered full-text search. */
  readonly search: boolean;
  /** Unique constraints on fields. */
  readonly unique: boolean;
  /** Records that expire a set time after their last write (`storage.ttl`). */
  readonly ttl: boolean;
  /**
   * Many writes all or none: {@link RecordStore.writeAll}. Without it a batch runs write by
   * write, each with its own result.
   */
  readonly transactions: boolean;
  /** Create-or-replace by a unique field in one atomic step: {@link RecordStore.upsert}. */
  readonly upsert?: boolean;
  /**
   * The most list indexes one automation may need, where each costs the store a real
   * index: one per sort field, plus one per (filter field, sort field) pair. Absent: no
   * limit.
   */
  readonly listIndexes?: number;
  /**
   * The longest string, in bytes of UTF-8, that a sorted, filtered or unique field always
   * keeps in its index; a longer value may be refused (a `too-large` StorageError naming the
   * field). Absent: the backend refuses no value for its length.
   */
  readonly indexedStringBytes?: number;
  /** Records are rows of typed columns, which `storage.migrations` drops and retypes. */
  readonly columns?: boolean;
  /** Counters every engine instance shares, atomically: a `rateLimit.store`. */
  readonly sharedCounters?: boolean;
}

/** What opening a spec would change in the store (`council migrate --dry-run`). */
export interface StoragePlan {
  /** The table, collection or index the spec maps to. */
  readonly target: string;
  /** Statements that would run, in order, each with why. */
  readonly steps: readonly StorageStep[];
  /** Changes that would lose data and that the manifest has not allowed: opening refuses them all. */
  readonly refused: readonly { readonly field: string; readonly message: string }[];
}

/** One change {@link StorageConnection.open} makes to bring the store to a spec. */
export interface StorageStep {
  readonly statement: string;
  readonly why: string;
  /**
   * On a reload, when the step may run (see {@link StorageConnection.stage}). Absent: at
   * once, beside the older version (adding a column or an index never breaks its
   * statements). `drained`: only once the older version has finished its requests,
   * because its statements would fail after it (dropping a column). `gated`: the same, and
   * the new version's own statements need it first (converting a column to another type),
   * so its store holds their requests until it has run.
   */
  readonly defer?: 'drained' | 'gated';
}

/**
 * A store opened for a new version of an automation while an older version may still be
 * serving on the same store (a reload): what would break the older version's requests is
 * left to {@link finish}, which the caller runs once that version has drained.
 */
export interface StagedStore {
  /** The new version's store. While a `gated` step waits, its operations wait with it. */
  readonly store: RecordStore;
  /** Why each deferred step runs, in order (for the log); empty when nothing was deferred. */
  readonly deferred: readonly string[];
  /**
   * Runs the deferred steps, planned again from the store as it is then (the older
   * version may have written meanwhile). Rejects with a {@link StorageError} when they can
   * no longer run (for example a column to drop now holds values the manifest did not
   * allow to lose, a `rejected` error naming the `field`); nothing is changed then, and
   * operations waiting on a gate fail as `unavailable`, so the caller can put the older
   * version back into service.
   */
  finish(): Promise<void>;
}

export type ScalarValue = string | number | boolean;

export interface SortOrder {
  /** A property name or `id` / `createdAt` / `updatedAt`. */
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

/**
 * Keyset position: the sort value and id of the last record of the previous page.
 * Ordering is `(field, id)`; missing values sort after present ones ascending and
 * before them descending (the exact reverse), ties broken by `id`.
 */
export interface ListAfter {
  readonly value: ScalarValue | null;
  readonly id: string;
}

/** The list filter operators, in the order the docs list them. */
export const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/**
 * One list condition; a query's conditions are AND-ed. Values are already typed by the
 * resource schema. A record without the field matches only `ne` and `exists: false`.
 * `gt`/`gte`/`lt`/`lte` compare numbers as numbers and strings by code point; `contains`
 * is a case-sensitive substring test on strings.
 */
export type ListFilter =
  | { readonly field: string; readonly op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains'; readonly value: ScalarValue }
  | { readonly field: string; readonly op: 'in'; readonly value: readonly ScalarValue[] }
  | { readonly field: string; readonly op: 'exists'; readonly value: boolean };

export interface ListQuery {
  readonly filters: readonly ListFilter[];
  readonly sort: SortOrder;
  readonly after?: ListAfter;
  readonly limit: number;
  /** Also count every record the filters match (ignoring `after` and `limit`) into `total`. */
  readonly count?: boolean;
}

export interface ListPage {
  readonly records: StoredRecord[];
  /** True when at least one more record follows the last one returned. */
  readonly hasMore: boolean;
  /** How many records match the filters in all, when the query asked to `count`. */
  readonly total?: number;
}

/**
 * A full-text search over the spec's `searchable` fields. A record matches when every
 * word of `text` occurs (case-insensitively, as a whole word, unstemmed) in one of them;
 * matches come most relevant first, ties by id ascending.
 */
export interface SearchQuery {
  readonly text: string;
  /** Matches to skip: relevance order is not a stable keyset, so search pages by offset. */
  readonly offset: number;
  readonly limit: number;
}

/** Operations on one automation's records. Built once per bound automation. */
export interface RecordStore {
  /**
   * The record, or undefined. A store that holds its records in this process (memory) may
   * answer without a promise: a read by id then costs no microtask on the request path.
   */
  get(id: string): StoredRecord | undefined | Promise<StoredRecord | undefined>;
  list(query: ListQuery): Promise<ListPage>;
  /** Backends without the `search` capability reject with a `rejected` {@link StorageError}. */
  search(query: SearchQuery): Promise<ListPage>;
  /**
   * Optional: the records of these ids in one round trip to the store (the engine embeds
   * related records this way: `?expand=`). Ids not stored are absent from the map. At most
   * {@link GET_MANY_MAX} ids per call. Without it the engine lists with an `id in` filter.
   */
  getMany?(ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>>;
  /**
   * Inserts a new record; `record.id` is chosen by the engine. Never overwrites: an id
   * already stored rejects with a `conflict` {@link StorageError} naming `id` (the
   * engine claims Idempotency-Keys this way).
   */
  create(record: StoredRecord): Promise<StoredRecord>;
  /**
   * Optional: inserts many new records in one statement, all or none, with `create`'s
   * rules (an id already stored is a `conflict` and nothing is written). The system
   * store's batched writes (the audit log) use it; without it they create one by one.
   */
  createMany?(records: readonly StoredRecord[]): Promise<void>;
  /**
   * Optional: sets one property on many records in one statement, leaving everything else
   * in each (`updatedAt` included) as it is; ids not stored are skipped. The system
   * store's batched bookkeeping (a key's `lastUsedAt`) uses it; without it, `modify`.
   */
  setMany?(field: string, values: ReadonlyMap<string, unknown>): Promise<void>;
  /**
   * Read-modify-write of one record, atomically (no lost updates between concurrent
   * writers). `change` gets the current record and returns the next one; if it throws,
   * nothing is written and the error propagates. Resolves `undefined` if no such id.
   */
  modify(id: string, change: (current: StoredRecord) => StoredRecord): Promise<StoredRecord | undefined>;
  /**
   * Optional, with the `upsert` capability: creates `record`, or, when a record already
   * holds the same value of the unique `field`, passes it to `change` and stores what
   * `change` returns instead (the id and createdAt of the stored one are the caller's to
   * keep). One atomic step: two concurrent upserts of one value make one record. If
   * `change` throws, nothing is written and the error propagates.
   */
  upsert?(
    field: string,
    record: StoredRecord,
    change: (current: StoredRecord) => StoredRecord,
  ): Promise<{ readonly record: StoredRecord; readonly created: boolean }>;
  /**
   * Optional, with the `transactions` capability: runs every write or none. The writes run
   * in order, each with the rules of its single form (`create`, `modify`, `delete`). If one
   * fails (its `change` or `check` throws, its id is not stored, a unique field or an id
   * conflicts), nothing of the batch is written and it rejects with a
   * {@link BatchAborted} naming that write's index and why.
   */
  writeAll?(writes: readonly BatchWrite[]): Promise<readonly StoredRecord[]>;
  /**
   * Resolves true if a record was deleted. `check` sees the record first, in the same
   * atomic step as the delete; if it throws, nothing is deleted and the error propagates.
   */
  delete(id: string, check?: (current: StoredRecord) => void): Promise<boolean>;
}

/** The most ids one {@link RecordStore.getMany} call takes (DynamoDB's BatchGetItem: 100 keys). */
export const GET_MANY_MAX = 100;

/**
 * One write of a {@link RecordStore.writeAll} batch. A `modify` or `delete` of an id not
 * stored fails the batch (unlike their single forms, which report it).
 */
export type BatchWrite =
  | { readonly op: 'create'; readonly record: StoredRecord }
  | { readonly op: 'modify'; readonly id: string; readonly change: (current: StoredRecord) => StoredRecord }
  | { readonly op: 'delete'; readonly id: string; readonly check?: (current: StoredRecord) => void };

/**
 * Why a {@link RecordStore.writeAll} batch wrote nothing: the write at `index` failed.
 * `cause` is what its `change` or `check` threw, or a {@link StorageError} (`conflict`,
 * `too-large`, ...); `missing` when its id is not stored.
 */
export class BatchAborted extends Error {
  override readonly name = 'BatchAborted';
  constructor(
    readonly index: number,
    readonly reason: 'missing' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(reason === 'missing' ? `write ${index}: no record has that id` : `write ${index} failed`, options);
  }
}

/** One relation a {@link SharedDatabase.listWith} reads with the page: `field` of each listed record holds an id of `spec`'s records. */
export interface ListJoin {
  readonly field: string;
  readonly spec: StorageSpec;
}

/** A page read with its related records: for each join, in order, the referred records found, by id. */
export interface JoinedPage extends ListPage {
  readonly joined: readonly ReadonlyMap<string, StoredRecord>[];
}

/** One write of a {@link SharedDatabase.writeAcross} batch: a {@link BatchWrite} to the records of `spec`. */
export interface SpecWrite {
  readonly spec: StorageSpec;
  readonly write: BatchWrite;
}

/**
 * What several automations can do together when their records share one database behind
 * one connection (postgres): statements across their tables. Only automations this
 * connection opened take part ({@link holds}); others reject as `rejected`.
 */
export interface SharedDatabase {
  /** Whether this connection opened (or staged) the store of `spec`, so the statements below reach it. */
  holds(spec: StorageSpec): boolean;
  /**
   * `list(query)` of `spec`'s records and, in the same statement, the records each join
   * refers to: what `getMany` of the page's ids would answer, decoded as `get` decodes them
   * (ids not stored, or not ids at all, are absent), read in one snapshot with the page.
   * Only records on the page returned are looked up.
   */
  listWith(spec: StorageSpec, query: ListQuery, joins: readonly ListJoin[]): Promise<JoinedPage>;
  /**
   * {@link RecordStore.writeAll} across automations: every write or none, in one
   * transaction, in order, each with its single form's rules; a failure rejects with a
   * {@link BatchAborted} naming the write's index in `writes`.
   */
  writeAcross(writes: readonly SpecWrite[]): Promise<readonly StoredRecord[]>;
}

/** A live connection to one store, shared by every automation that names it. */
export interface StorageConnection {
  readonly backend: string;
  /** Optional: statements across the automations it opened (a join, one transaction), where they share one database. */
  readonly shared?: SharedDatabase;
  /** Creates (or checks) what the automation needs in the store and returns its record store. */
  open(spec: StorageSpec): Promise<RecordStore>;
  /**
   * {@link open} in two parts, for a reload while an older version of the automation may
   * still be serving: only the steps the older version's requests survive run now, the
   * rest (see {@link StorageStep.defer}) in {@link StagedStore.finish}, which the caller
   * runs once the older version has drained. A change that would be refused is refused
   * here, before anything runs, as `open` refuses it. Backends whose changes never break
   * a serving version leave it out: the engine then calls `open`.
   */
  stage?(spec: StorageSpec): Promise<StagedStore>;
  /** What {@link open} would change for this spec, without changing anything. */
  plan(spec: StorageSpec): Promise<StoragePlan>;
  /** Resolves if the store answers; rejects with a {@link StorageError} otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: how busy its pool is now: statements (or transactions) running or waiting
   * for a connection, and the most connections it opens. Where there is no pool to fill, left out.
   */
  poolUsage?(): { readonly inFlight: number; readonly max: number };
}

/** Settings of one named connection, after `${ENV}` interpolation. */
export interface ConnectionSettings {
  readonly name: string;
  readonly backend: string;
  /** Server URL; empty or absent means the backend's embedded mode where it has one. */
  readonly url?: string;
  readonly pool?: { readonly max?: number; readonly idleTimeoutSeconds?: number };
}

export interface ConnectContext {
  /** Directory where embedded stores keep their files. */
  readonly dataDir: string;
  /**
   * Longest one statement may run before the store cancels it, where the store can
   * (a PostgreSQL server, OpenSearch); absent: the store's own default. Schema changes
   * are exempt: a migration may legitimately take longer than a request.
   */
  readonly statementTimeoutMs?: number;
}

export interface StorageBackend {
  readonly name: string;
  connect(settings: ConnectionSettings, context: ConnectContext): Promise<StorageConnection>;
}

/**
 * A failure inside a store, wrapped once at the adapter boundary with its cause kept.
 * `unavailable` means the store cannot be reached (HTTP 503); `rejected` means the store
 * refused the operation (for example a schema it cannot hold); `timeout` means the store
 * cancelled a statement that ran too long (nothing was changed); `failed` is anything else.
 * Messages never include connection strings or credentials.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** The property the error is about, when there is one (so a manifest position can be shown). */
  readonly field: string | undefined;
  constructor(
    /**
     * `conflict`: a write would break a unique field (`field` names it); `too-large`: the
     * record is larger than the store can hold in one piece (DynamoDB's 400 KB item).
     */
    readonly kind: 'unavailable' | 'rejected' | 'failed' | 'conflict' | 'timeout' | 'too-large',
    message: string,
    options?: { cause?: unknown; field?: string },
  ) {
    super(message, options);
    this.field = options?.field;
  }
}
