import { type RecordStore, type SharedDatabase, StorageError } from '../../adapters/types.ts';

/** Calls of one method on one connection's stores: those that succeeded, and failures by StorageError kind. */
export interface CallCounter {
  readonly connection: string;
  readonly method: string;
  ok: number;
  readonly failed: Map<string, number>;
}

/** Store calls by connection and method, for `/metrics`. */
export class StoreCalls {
  readonly #counters = new Map<string, CallCounter>();

  counter(connection: string, method: string): CallCounter {
    const key = `${connection}\0${method}`;
    let counter = this.#counters.get(key);
    if (!counter) {
      counter = { connection, method, ok: 0, failed: new Map() };
      this.#counters.set(key, counter);
    }
    return counter;
  }

  counters(): Iterable<CallCounter> {
    return this.#counters.values();
  }
}

function fail(counter: CallCounter, error: unknown): void {
  // `failed`: anything that is not a StorageError (a bug, a driver's own error).
  const kind = error instanceof StorageError ? error.kind : 'failed';
  counter.failed.set(kind, (counter.failed.get(kind) ?? 0) + 1);
}

/** Counts `result` (a value, or a promise watched beside the caller, not in its way). */
function settle<T>(counter: CallCounter, result: T): T {
  if (result instanceof Promise) {
    result.then(
      () => {
        counter.ok++;
      },
      (error: unknown) => fail(counter, error),
    );
  } else {
    counter.ok++;
  }
  return result;
}

/**
 * `store` with every call counted by method and outcome under `connection`. An answer given
 * at once (a memory read) stays one: nothing is wrapped in a promise and nothing is
 * allocated for it.
 */
export function countedStore(store: RecordStore, connection: string, calls: StoreCalls): RecordStore {
  const c = (method: string) => calls.counter(connection, method);
  const counters = { get: c('get'), list: c('list'), search: c('search'), create: c('create'), modify: c('modify'), delete: c('delete') };
  const run = <T>(counter: CallCounter, call: () => T): T => {
    try {
      return settle(counter, call());
    } catch (error) {
      fail(counter, error);
      throw error;
    }
  };
  const counted: RecordStore = {
    get(id) {
      try {
        return settle(counters.get, store.get(id));
      } catch (error) {
        fail(counters.get, error);
        throw error;
      }
    },
    list: (query) => run(counters.list, () => store.list(query)),
    search: (query) => run(counters.search, () => store.search(query)),
    create: (record) => run(counters.create, () => store.create(record)),
    modify: (id, change) => run(counters.modify, () => store.modify(id, change)),
    delete: (id, check) => run(counters.delete, () => store.delete(id, check)),
  };
  const { createMany, setMany, getMany, upsert, writeAll } = store;
  if (getMany) {
    const counter = c('getMany');
    counted.getMany = (ids) => run(counter, () => getMany.call(store, ids));
  }
  if (upsert) {
    const counter = c('upsert');
    counted.upsert = (field, record, change) => run(counter, () => upsert.call(store, field, record, change));
  }
  if (writeAll) {
    const counter = c('writeAll');
    counted.writeAll = (writes) => run(counter, () => writeAll.call(store, writes));
  }
  if (createMany) {
    const counter = c('createMany');
    counted.createMany = (records) => run(counter, () => createMany.call(store, records));
  }
  if (setMany) {
    const counter = c('setMany');
    counted.setMany = (field, values) => run(counter, () => setMany.call(store, field, values));
  }
  return counted;
}

/**
 * `shared` with its statements counted under `connection` as `listWith` and `writeAcross`:
 * a list with its related records joined is one call, not a `list` and a `getMany`.
 */
export function countedShared(shared: SharedDatabase, connection: string, calls: StoreCalls): SharedDatabase {
  const listWith = calls.counter(connection, 'listWith');
  const writeAcross = calls.counter(connection, 'writeAcross');
  const run = <T>(counter: CallCounter, call: () => Promise<T>): Promise<T> => {
    try {
      return settle(counter, call());
    } catch (error) {
      fail(counter, error);
      throw error;
    }
  };
  return {
    holds: (spec) => shared.holds(spec),
    listWith: (spec, query, joins) => run(listWith, () => shared.listWith(spec, query, joins)),
    writeAcross: (writes) => run(writeAcross, () => shared.writeAcross(writes)),
  };
}
