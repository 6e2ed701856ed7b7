import { BatchAborted, type BatchWrite, GET_MANY_MAX, StorageError, type StoredRecord } from './types.ts';

/**
 * The ids of a {@link RecordStore.getMany} call, each once, in the order given. More than
 * {@link GET_MANY_MAX} distinct ids is the caller's mistake: refused (`rejected`), never
 * split into several round trips behind its back.
 */
export function distinctIds(ids: readonly string[]): string[] {
  const distinct = [...new Set(ids)];
  if (distinct.length > GET_MANY_MAX) {
    throw new StorageError('rejected', `getMany takes at most ${GET_MANY_MAX} ids, not ${distinct.length}`);
  }
  return distinct;
}

/**
 * What a failure of the write at `index` makes of a batch: the store being down or too
 * slow (`unavailable`, `timeout`) stays what it is, since no write was at fault and a
 * retry may succeed; anything else (a `change` or `check` that threw, a `conflict`, a
 * `too-large` record) aborts the batch, naming that write.
 */
export function batchFailure(index: number, error: unknown): unknown {
  if (error instanceof BatchAborted) return error;
  if (error instanceof StorageError && (error.kind === 'unavailable' || error.kind === 'timeout')) return error;
  return new BatchAborted(index, 'failed', { cause: error });
}

/** An id a batch writes more than once, or to an id already stored: the conflict `create` reports. */
export function idConflict(id: string): StorageError {
  return new StorageError('conflict', `a record with id ${id} already exists`, { field: 'id' });
}

/** One record a planned batch changes: as it was read, and as the batch leaves it (undefined: deleted or never there). */
export interface PlannedRecord {
  readonly before: StoredRecord | undefined;
  readonly after: StoredRecord | undefined;
}

/** A batch worked out in memory against the records it touches, before anything is written. */
export interface BatchPlan {
  /** One per write: the record created, the record as modified, the record deleted. */
  readonly results: readonly StoredRecord[];
  /** Each id the batch touches, with its state before and after the whole batch. */
  readonly records: ReadonlyMap<string, PlannedRecord>;
}

/**
 * Runs a batch's writes in order over `current` (the stored record of each id it touches,
 * as read), each seeing the ones before it, without writing anything. Throws a
 * {@link BatchAborted} for the first write that fails: a `modify` or `delete` of an id
 * not there, a `create` of one that is, a `change` or `check` that throws. A store then
 * writes every `after` at once, conditioned on each `before` being still what it holds.
 */
export function planBatch(writes: readonly BatchWrite[], current: ReadonlyMap<string, StoredRecord>): BatchPlan {
  const records = new Map<string, { before: StoredRecord | undefined; after: StoredRecord | undefined }>();
  const entryOf = (id: string) => {
    let entry = records.get(id);
    if (!entry) {
      const stored = current.get(id);
      entry = { before: stored, after: stored };
      records.set(id, entry);
    }
    return entry;
  };
  const results = writes.map((write, index) => {
    if (write.op === 'create') {
      const entry = entryOf(write.record.id);
      if (entry.after) throw new BatchAborted(index, 'failed', { cause: idConflict(write.record.id) });
      entry.after = write.record;
      return write.record;
    }
    const entry = entryOf(write.id);
    const stored = entry.after;
    if (!stored) throw new BatchAborted(index, 'missing');
    try {
      if (write.op === 'delete') {
        write.check?.(structuredClone(stored));
        entry.after = undefined;
        return stored;
      }
      // The id is the key the record is written under: a change cannot move it.
      const next = write.change(structuredClone(stored));
      entry.after = next.id === write.id ? next : { ...next, id: write.id };
      return entry.after;
    } catch (error) {
      throw new BatchAborted(index, 'failed', { cause: error });
    }
  });
  return { results, records };
}

/** Every id a batch touches, each once. */
export function batchIds(writes: readonly BatchWrite[]): string[] {
  return [...new Set(writes.map((write) => (write.op === 'create' ? write.record.id : write.id)))];
}
