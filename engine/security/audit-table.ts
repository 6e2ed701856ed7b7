import { type RecordStore, StorageError, type StoredRecord } from '../../adapters/types.ts';
import { packBlocks, readEntries, rest } from './audit-blocks.ts';
import type { AuditStore } from './audit-store.ts';

/** The audit log in a table of the system store (`_council_audit`), in blocks of entries (`audit-blocks.ts`). */
export function auditTable(store: RecordStore): AuditStore {
  return {
    async append(entries) {
      const blocks = packBlocks(entries);
      if (store.createMany) {
        try {
          return await store.createMany(blocks);
        } catch (error) {
          // Only if an earlier attempt was stored after all (its answer lost): one by one below.
          if (!(error instanceof StorageError && error.kind === 'conflict')) throw error;
        }
      }
      for (const block of blocks) await createBlock(store, block);
    },
    read: (query) => readEntries(store, query),
  };
}

/** Creates `block`, or what of it an earlier attempt that was stored after all did not hold. */
async function createBlock(store: RecordStore, block: StoredRecord): Promise<void> {
  try {
    await store.create(block);
  } catch (error) {
    if (!(error instanceof StorageError && error.kind === 'conflict' && error.field === 'id')) throw error;
    const stored = await store.get(block.id);
    const left = stored && rest(block, stored);
    if (left) await createBlock(store, left);
  }
}
