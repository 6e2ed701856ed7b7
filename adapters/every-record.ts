import type { ListAfter, ListFilter, RecordStore, StoredRecord } from './types.ts';

/**
 * Every record `filters` match, ascending by `field` then id, read `pageSize` at a time
 * with a keyset cursor: how the engine reads its own collections (keys, console users,
 * usage rows) whole, which no caller pages through.
 */
export async function* everyRecord(
  store: RecordStore,
  filters: readonly ListFilter[],
  field: string,
  pageSize: number,
): AsyncGenerator<StoredRecord> {
  let after: ListAfter | undefined;
  for (;;) {
    const page = await store.list({ filters, sort: { field, direction: 'asc' }, limit: pageSize, ...(after ? { after } : {}) });
    yield* page.records;
    const last = page.records.at(-1);
    if (!page.hasMore || !last) return;
    after = { value: String(last[field]), id: last.id };
  }
}

/** The oldest record (by `createdAt`) that `filters` match, if any. */
export async function oldestRecord(store: RecordStore, filters: readonly ListFilter[]): Promise<StoredRecord | undefined> {
  return (await store.list({ filters, sort: { field: 'createdAt', direction: 'asc' }, limit: 1 })).records[0];
}
