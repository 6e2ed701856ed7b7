import { createHash } from 'node:crypto';
import { everyRecord } from '../../adapters/every-record.ts';
import { type ListFilter, type RecordStore, StorageError, type StoredRecord } from '../../adapters/types.ts';
import { mergeCounts } from './sum.ts';
import { decodeRow, encodeRow, STEP_MS, type Step, stepStart } from './usage-rows.ts';

/** Minutes are kept this long, then summed into hours. */
export const MINUTES_KEPT_MS = 48 * STEP_MS.hour;
/** Hours are kept this long, then summed into days. */
export const HOURS_KEPT_MS = 30 * STEP_MS.day;
/** Rows read per page. */
const PAGE = 500;

/**
 * Sums minute rows older than 48 h into hour rows and hour rows older than 30 days into
 * day rows, then deletes rows older than the retention. Safe to run from every instance
 * at once and to stop anywhere: a roll-up row's id is its step and start, so a second
 * attempt conflicts instead of counting twice, and the rows it sums are deleted only once
 * it is stored.
 */
export async function rollUp(store: RecordStore, now: number, retentionDays: number): Promise<void> {
  await compact(store, 'minute', 'hour', now - MINUTES_KEPT_MS);
  await compact(store, 'hour', 'day', now - HOURS_KEPT_MS);
  const expired = new Date(now - retentionDays * STEP_MS.day).toISOString();
  for (;;) {
    const page = await store.list({
      filters: [{ field: 'at', op: 'lt', value: expired }],
      sort: { field: 'at', direction: 'asc' },
      limit: PAGE,
    });
    for (const record of page.records) await store.delete(record.id);
    if (!page.hasMore) return;
  }
}

/** Every whole `to` step before `before` that still has `from` rows becomes one `to` row. */
async function compact(store: RecordStore, from: Step, to: Step, before: number): Promise<void> {
  const cutoff = stepStart(before, to);
  for (;;) {
    const first = await store.list({
      filters: [
        { field: 'step', op: 'eq', value: from },
        { field: 'at', op: 'lt', value: cutoff },
      ],
      sort: { field: 'at', direction: 'asc' },
      limit: 1,
    });
    const earliest = first.records[0];
    if (!earliest) return;
    const start = stepStart(Date.parse(String(earliest.at)), to);
    const end = new Date(Date.parse(start) + STEP_MS[to]).toISOString();
    const rows = await everyRow(store, [
      { field: 'step', op: 'eq', value: from },
      { field: 'at', op: 'gte', value: start },
      { field: 'at', op: 'lt', value: end },
    ]);
    const cells = mergeCounts(rows.map(decodeRow).flatMap((row) => row.cells));
    try {
      await store.create(encodeRow({ id: rollupId(to, start), at: start, step: to, instance: 'rollup', cells }));
    } catch (error) {
      // Stored by an earlier run or another instance: only its rows are left to delete.
      if (!(error instanceof StorageError && error.kind === 'conflict' && error.field === 'id')) throw error;
    }
    for (const row of rows) await store.delete(row.id);
  }
}

async function everyRow(store: RecordStore, filters: readonly ListFilter[]): Promise<StoredRecord[]> {
  const rows: StoredRecord[] = [];
  for await (const row of everyRecord(store, filters, 'at', PAGE)) rows.push(row);
  return rows;
}

/** The one id of the roll-up row of a step (a UUID, version 8, from its step and start: ids are UUIDs in every store). */
export function rollupId(step: Step, start: string): string {
  const hex = createHash('sha256').update(`council-usage:${step}:${start}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
