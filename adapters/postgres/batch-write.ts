import { batchFailure } from '../batch.ts';
import { BatchAborted, type BatchWrite, type StoredRecord } from '../types.ts';
import type { Executor } from './executor.ts';
import { decodeRow, jsonRows } from './record-codec.ts';
import { isDeadlock, refusal } from './refusal.ts';
import { run, type Table, uuidPattern, writeRow } from './table.ts';

/** One write of a batch and the table it writes to. */
export interface TableWrite {
  readonly table: Table;
  readonly write: BatchWrite;
}

/** How often a batch runs when the server broke a deadlock by aborting it. */
const DEADLOCK_ATTEMPTS = 3;

/**
 * The batch in one transaction, write by write, each `modify` and `delete` locking its
 * row first as the single forms do; the first write that fails rolls back the rest and
 * rejects with a {@link BatchAborted} naming its index. One table's `writeAll` and the
 * connection's `writeAcross` both run it.
 */
export async function runBatch(db: Executor, writes: readonly TableWrite[]): Promise<StoredRecord[]> {
  if (writes.length === 0) return [];
  // Creates in a row into one table go as one statement; if one of them fails, the batch
  // runs again write by write, so the failure names the create at fault.
  let grouped = true;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const results: StoredRecord[] = [];
        for (let index = 0; index < writes.length; ) {
          const count = grouped ? createsFrom(writes, index) : 1;
          try {
            if (count > 1) results.push(...(await insertAll(tx, writes.slice(index, index + count))));
            else results.push(await batchWrite(tx, (writes[index] as TableWrite).table, (writes[index] as TableWrite).write, index));
          } catch (error) {
            // Not the write's fault: another batch locked the same rows in another order.
            if (isDeadlock(error)) throw error;
            throw count > 1 ? new GroupFailed() : batchFailure(index, error);
          }
          index += count;
        }
        return results;
      });
    } catch (error) {
      if (error instanceof GroupFailed) grouped = false;
      else if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
    }
  }
}

/** A many-row insert failed: which row is at fault is found by running the batch again, one write at a time. */
class GroupFailed extends Error {}

/** How many writes from `start` on are creates into the same table (at least 1). */
function createsFrom(writes: readonly TableWrite[], start: number): number {
  const first = writes[start] as TableWrite;
  if (first.write.op !== 'create') return 1;
  let end = start + 1;
  while (end < writes.length && writes[end]?.write.op === 'create' && writes[end]?.table === first.table) end++;
  return end - start;
}

/** Creates into one table in one statement, answered in the order given. */
async function insertAll(tx: Executor, writes: readonly TableWrite[]): Promise<StoredRecord[]> {
  const table = (writes[0] as TableWrite).table;
  const records = writes.map(({ write }) => (write as Extract<BatchWrite, { op: 'create' }>).record);
  const rows = await run(tx, table.statements.insertManyReturning, [jsonRows(table.schema, records)]);
  const byId = new Map(rows.map((row) => [String(row.id), decodeRow(table.schema, row)]));
  return records.map((record) => byId.get(record.id) as StoredRecord);
}

async function batchWrite(tx: Executor, table: Table, write: BatchWrite, index: number): Promise<StoredRecord> {
  const { schema, statements } = table;
  if (write.op === 'create') {
    try {
      return await writeRow(tx, table, 'insert', write.record);
    } catch (error) {
      throw refusal(schema, error, write.record);
    }
  }
  const [row] = uuidPattern.test(write.id) ? await run(tx, statements.lock, [write.id]) : [];
  if (!row) throw new BatchAborted(index, 'missing');
  const current = decodeRow(schema, row);
  if (write.op === 'delete') {
    write.check?.(current);
    await run(tx, statements.delete, [write.id]);
    return current;
  }
  const next = { ...write.change(current), id: write.id };
  try {
    return await writeRow(tx, table, 'update', next);
  } catch (error) {
    throw refusal(schema, error, next);
  }
}
