import { BatchAborted, type BatchWrite, type ListQuery, type RecordStore, StorageError, type StoredRecord } from '../../adapters/types.ts';
import type { RecordView } from '../compile/plan.ts';

/**
 * `store` as one version of its automation shows it (see {@link RecordView}): records
 * come out under the version's property names, without the fields it does not have, and
 * go in under their stored names. A write keeps the fields the version does not show: an
 * update through version 1 never drops what version 2 stored beside it.
 */
export function viewedStore(store: RecordStore, view: RecordView): RecordStore {
  const toStored = new Map(Object.entries(view.storedAs));
  const toShown = new Map([...toStored].map(([shown, stored]) => [stored, shown]));
  const hidden = new Set(view.hidden);
  const storedName = (field: string) => toStored.get(field) ?? field;

  const shown = (record: StoredRecord): StoredRecord => {
    const shown: Record<string, unknown> = {};
    for (const key of Object.keys(record)) if (!hidden.has(key)) shown[toShown.get(key) ?? key] = record[key];
    return shown as StoredRecord;
  };
  const asStored = (record: StoredRecord): StoredRecord => {
    const stored: Record<string, unknown> = {};
    for (const key of Object.keys(record)) stored[storedName(key)] = record[key];
    return stored as StoredRecord;
  };
  /** What `change` makes of the shown record, with the stored fields this version does not show kept. */
  const changing =
    (change: (current: StoredRecord) => StoredRecord) =>
    (current: StoredRecord): StoredRecord => {
      const next = asStored(change(shown(current)));
      for (const field of hidden) if (field in current && !(field in next)) next[field] = current[field];
      return next;
    };
  /** A store error about a field names it as this version does. */
  const named = (error: unknown): never => {
    if (error instanceof StorageError && error.field !== undefined && toShown.has(error.field))
      throw new StorageError(error.kind, error.message, { cause: error.cause, field: toShown.get(error.field) as string });
    if (error instanceof BatchAborted && error.cause instanceof StorageError) {
      try {
        named(error.cause);
      } catch (cause) {
        throw new BatchAborted(error.index, error.reason, { cause });
      }
    }
    throw error;
  };
  const query = (q: ListQuery): ListQuery => ({
    ...q,
    filters: q.filters.map((f) => ({ ...f, field: storedName(f.field) })),
    sort: { ...q.sort, field: storedName(q.sort.field) },
  });
  const write = (w: BatchWrite): BatchWrite => {
    if (w.op === 'create') return { op: 'create', record: asStored(w.record) };
    if (w.op === 'modify') return { op: 'modify', id: w.id, change: changing(w.change) };
    const { check } = w;
    return check ? { op: 'delete', id: w.id, check: (current) => check(shown(current)) } : w;
  };
  const { getMany, createMany, setMany, upsert, writeAll } = store;

  return {
    get(id) {
      const found = store.get(id);
      if (found instanceof Promise) return found.then((r) => (r ? shown(r) : undefined));
      return found ? shown(found) : undefined;
    },
    list: (q) => store.list(query(q)).then((page) => ({ ...page, records: page.records.map(shown) }), named),
    search: (q) => store.search(q).then((page) => ({ ...page, records: page.records.map(shown) })),
    ...(getMany
      ? {
          getMany: (ids: readonly string[]) =>
            getMany.call(store, ids).then((found) => new Map([...found].map(([id, record]) => [id, shown(record)]))),
        }
      : {}),
    create: (record) => store.create(asStored(record)).then(shown, named),
    ...(createMany ? { createMany: (records: readonly StoredRecord[]) => createMany.call(store, records.map(asStored)).catch(named) } : {}),
    ...(setMany
      ? { setMany: (field: string, values: ReadonlyMap<string, unknown>) => setMany.call(store, storedName(field), values) }
      : {}),
    modify: (id, change) => store.modify(id, changing(change)).then((r) => (r ? shown(r) : undefined), named),
    ...(upsert
      ? {
          upsert: (field: string, record: StoredRecord, change: (current: StoredRecord) => StoredRecord) =>
            upsert
              .call(store, storedName(field), asStored(record), changing(change))
              .then((r) => ({ ...r, record: shown(r.record) }), named),
        }
      : {}),
    ...(writeAll
      ? {
          writeAll: (writes: readonly BatchWrite[]) => writeAll.call(store, writes.map(write)).then((records) => records.map(shown), named),
        }
      : {}),
    delete: (id, check) => store.delete(id, check ? (current) => check(shown(current)) : undefined),
  };
}
