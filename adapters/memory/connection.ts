import type { RecordStore, StorageConnection, StoragePlan, StorageSpec } from '../types.ts';
import { MemoryRecordStore } from './adapter.ts';

/**
 * One connection's collections. Reopening a collection (a reload of the same
 * automation) keeps its records, as a server-backed store would.
 */
export class MemoryConnection implements StorageConnection {
  readonly backend = 'memory';
  readonly #collections = new Map<string, MemoryRecordStore>();

  async open(spec: StorageSpec): Promise<RecordStore> {
    let store = this.#collections.get(spec.collection);
    if (!store) {
      store = new MemoryRecordStore();
      this.#collections.set(spec.collection, store);
    }
    store.ttlMs = (spec.ttlSeconds ?? 0) * 1000;
    store.unique = spec.unique ?? [];
    store.searchable = spec.searchable ?? [];
    store.index(spec.sortable, spec.filterable);
    return store;
  }

  /** Memory keeps whole records: there is nothing to create or migrate. */
  async plan(spec: StorageSpec): Promise<StoragePlan> {
    return { target: `memory collection ${spec.collection}`, steps: [], refused: [] };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#collections.clear();
  }
}
