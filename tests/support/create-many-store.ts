import { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import type { RecordStore, StoredRecord } from '../../adapters/types.ts';

/**
 * A memory store whose `createMany` is the test's own (to count batches, or to lose an
 * answer), given the memory store underneath; every other operation goes straight to it.
 */
export function createManyStore(createMany: (inner: MemoryRecordStore, records: readonly StoredRecord[]) => Promise<void>): RecordStore {
  const inner = new MemoryRecordStore();
  return {
    get: (id) => inner.get(id),
    list: (query) => inner.list(query),
    search: (query) => inner.search(query),
    create: (record) => inner.create(record),
    modify: (id, change) => inner.modify(id, change),
    delete: (id, check) => inner.delete(id, check),
    createMany: (records) => createMany(inner, records),
  };
}
