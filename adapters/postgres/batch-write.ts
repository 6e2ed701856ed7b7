import { batchFailure } from '../batch.ts';
import { BatchAborted, type BatchWrite, type StoredRecord } from '../types.ts';
import type { Executor } from './executor.ts';
import { decodeRow } from './record-codec.ts';
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
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const results: StoredRecord[] = [];
        for (const [index, { table, write }] of writes.entries()) {
          try {
            results.push(await batchWrite(tx, table, write, index));
          } catch (error) {
            // Not the write's fault: another batch locked the same rows in another order.
            throw isDeadlock(error) ? error : batchFailure(index, error);
          }
        }
        return results;
      });
    } catch (error) {
      if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
    }
  }
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
