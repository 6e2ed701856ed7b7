import type { ListFilter, RecordStore, StoredRecord } from '../../adapters/types.ts';
import type { AuditRecord, RecordedEntry } from './audit-log.ts';

/**
 * The audit log stores entries in blocks: one row per automation per written batch, whose
 * `entries` column holds that batch's entries for the automation as one JSON array (oldest
 * first, each entry an array of its fields), and whose `createdAt` is its newest entry's
 * time. An embedded store (PGlite) spends about 20 µs of CPU per row inserted, whatever the batching, which at a few
 * thousand writes a second took a third of the server's core; one row per batch costs a
 * JSON.stringify. Rows written before blocks existed hold one entry each in the same table
 * (their `entries` is empty) and are read alongside.
 */

/** Blocks read per round trip while collecting a page of entries. */
const BLOCKS_PER_READ = 20;

/**
 * An entry as a block holds it: an array of its fields in this order, without their names
 * (a quarter fewer bytes, and PGlite's cost is per byte), `null` for a field it lacks. The
 * automation is the block row's; `updatedAt` is `createdAt` (entries never change).
 */
const PACKED_FIELDS = ['id', 'createdAt', 'actor', 'action', 'recordId', 'requestId', 'outcome', 'status', 'detail'] as const;
type Packed = (string | number | null)[];

function pack(entry: RecordedEntry): Packed {
  return PACKED_FIELDS.map((field) => (entry[field] as string | number | undefined) ?? null);
}

function unpackEntry(packed: Packed, automation: string | undefined): AuditRecord {
  const entry: Record<string, unknown> = {};
  PACKED_FIELDS.forEach((field, i) => {
    if (packed[i] !== null && packed[i] !== undefined) entry[field] = packed[i];
  });
  entry.updatedAt = entry.createdAt;
  if (automation !== undefined) entry.automation = automation;
  return entry as AuditRecord;
}

/** One block row per automation (entries without one share a row) for a batch of entries, oldest first. */
export function packBlocks(entries: readonly RecordedEntry[]): StoredRecord[] {
  const groups = new Map<string | undefined, Packed[]>();
  for (const entry of entries) {
    const group = groups.get(entry.automation);
    if (group) group.push(pack(entry));
    else groups.set(entry.automation, [pack(entry)]);
  }
  return [...groups].map(([automation, group]) => block(automation, group));
}

/**
 * A block's id is its first entry's: a batch tried again after an attempt whose answer was
 * lost gets the same ids, so the store refuses what it already holds (a `conflict`), and
 * {@link rest} says what of the block is still to write.
 */
function block(automation: string | undefined, group: Packed[]): StoredRecord {
  const newest = (group[group.length - 1] as Packed)[1] as string;
  return {
    id: (group[0] as Packed)[0] as string,
    createdAt: newest,
    updatedAt: newest,
    ...(automation === undefined ? {} : { automation }),
    count: group.length,
    entries: JSON.stringify(group),
  };
}

/**
 * What of `wanted` is not yet in `stored`, the block with the same id an earlier attempt
 * wrote: a retried batch can be longer than the attempt (entries added meanwhile), so an
 * automation's block then starts with the stored one's entries and goes on.
 */
export function rest(wanted: StoredRecord, stored: StoredRecord): StoredRecord | undefined {
  const group = (JSON.parse(wanted.entries as string) as Packed[]).slice(Number(stored.count ?? 1));
  return group.length === 0 ? undefined : block(wanted.automation as string | undefined, group);
}

/** The entries a row holds: a block's, or the row itself when it is an entry written one per row. */
function unpack(row: StoredRecord): AuditRecord[] {
  if (typeof row.entries !== 'string') return [row as AuditRecord];
  const automation = row.automation as string | undefined;
  return (JSON.parse(row.entries) as Packed[]).map((packed) => unpackEntry(packed, automation));
}

/**
 * Entries, newest first: reads rows newest first (by their newest entry) until `limit`
 * entries are found and the next row can hold none newer than the last of them.
 */
export async function readEntries(
  store: RecordStore,
  query: { since?: string; automation?: string; limit: number },
): Promise<AuditRecord[]> {
  const filters: ListFilter[] = [
    ...(query.automation ? [{ field: 'automation', op: 'eq' as const, value: query.automation }] : []),
    ...(query.since ? [{ field: 'createdAt', op: 'gte' as const, value: query.since }] : []),
  ];
  const found: AuditRecord[] = [];
  let after: { value: string; id: string } | undefined;
  for (;;) {
    const page = await store.list({
      filters,
      sort: { field: 'createdAt', direction: 'desc' },
      limit: BLOCKS_PER_READ,
      ...(after ? { after } : {}),
    });
    let complete = !page.hasMore;
    for (const row of page.records) {
      // Rows come by their newest entry: once `limit` entries are found, a row whose
      // newest is older than the limit-th newest found adds nothing.
      if (found.length >= query.limit && (row.createdAt as string) < (found[query.limit - 1] as AuditRecord).createdAt) {
        complete = true;
        break;
      }
      for (const entry of unpack(row)) if (!query.since || entry.createdAt >= query.since) found.push(entry);
      // Only the newest `limit` can be answered: past it, sorted and cut back (not sorted per
      // row, which made reading a whole table, as the one-time move to files does, quadratic).
      if (found.length >= query.limit) {
        found.sort(newestFirst);
        found.length = query.limit;
      }
    }
    if (complete) break;
    const last = page.records[page.records.length - 1] as StoredRecord;
    after = { value: last.createdAt as string, id: last.id };
  }
  return found.sort(newestFirst);
}

function newestFirst(a: AuditRecord, b: AuditRecord): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
