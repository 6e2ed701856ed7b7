import { GET_MANY_MAX, type RecordStore, type StoredRecord } from '../../adapters/types.ts';

/**
 * The records of `ids` from `store`, by id: one round trip per {@link GET_MANY_MAX} ids where
 * the store reads many at once (`getMany`), else one read per id, all at once.
 */
export async function readMany(store: RecordStore, ids: readonly string[]): Promise<ReadonlyMap<string, StoredRecord>> {
  if (ids.length === 0) return new Map();
  const { getMany } = store;
  if (getMany) {
    if (ids.length <= GET_MANY_MAX) return getMany.call(store, ids);
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += GET_MANY_MAX) chunks.push(ids.slice(i, i + GET_MANY_MAX));
    const found = await Promise.all(chunks.map((chunk) => getMany.call(store, chunk)));
    return new Map(found.flatMap((map) => [...map]));
  }
  const records = await Promise.all(ids.map((id) => store.get(id)));
  return new Map(records.flatMap((record) => (record ? [[record.id, record] as const] : [])));
}

/** The distinct string values of `field` over `records`, in first-seen order. */
export function idsIn(records: readonly Readonly<Record<string, unknown>>[], field: string): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    const value = record[field];
    if (typeof value === 'string') ids.add(value);
  }
  return [...ids];
}
