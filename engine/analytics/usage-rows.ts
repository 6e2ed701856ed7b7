import type { StorageSpec, StoredRecord } from '../../adapters/types.ts';
import { denseSketch, sparseSketch } from '../observe/latency-sketch.ts';
import type { StatusClass, UsageCell } from '../observe/usage.ts';

/**
 * Usage in the system store: one row per flush of one instance (or per hour or day once
 * rolled up), holding the counts of every endpoint x key x status class that changed in it.
 * Rows are never updated: instances write their own, readers and roll-ups sum them.
 */
export const USAGE_SPEC: StorageSpec = {
  automation: '_council-usage',
  collection: '_council_usage',
  fields: [
    // Start of the minute (hour, day) the counts belong to, ISO.
    { name: 'at', kind: 'string' },
    { name: 'step', kind: 'string' },
    { name: 'instance', kind: 'string' },
    // The cells, as a JSON array (see UsageCounts).
    { name: 'cells', kind: 'string', bulk: true },
  ],
  filterable: ['at', 'step'],
  sortable: ['at'],
};

export type Step = 'minute' | 'hour' | 'day';
export const STEP_MS: Readonly<Record<Step, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Counts of one endpoint, key and status class over a row's time: a usage cell's fields, for a span instead of since the start. */
export type UsageCounts = UsageCell;

export interface UsageRow {
  readonly id: string;
  readonly at: string;
  readonly step: Step;
  readonly instance: string;
  readonly cells: UsageCounts[];
}

type StoredCell = [string, string, string, StatusClass, number, number, number, Record<string, number>];

export function encodeRow(row: UsageRow): StoredRecord {
  const cells: StoredCell[] = row.cells.map((c) => [
    c.automation,
    c.operation,
    c.key,
    c.statusClass,
    c.count,
    Math.round(c.seconds * 1e6) / 1e6,
    c.bytes,
    sparseSketch(c.latency),
  ]);
  const now = new Date().toISOString();
  return { id: row.id, createdAt: now, updatedAt: now, at: row.at, step: row.step, instance: row.instance, cells: JSON.stringify(cells) };
}

/** A stored row back; cells that do not read as counts are skipped (a row from a newer version). */
export function decodeRow(record: StoredRecord): UsageRow {
  let stored: unknown;
  try {
    stored = JSON.parse(String(record.cells ?? '[]'));
  } catch {
    stored = [];
  }
  const cells: UsageCounts[] = [];
  for (const cell of Array.isArray(stored) ? stored : []) {
    if (!Array.isArray(cell) || cell.length < 8) continue;
    const [automation, operation, key, statusClass, count, seconds, bytes, sketch] = cell as StoredCell;
    cells.push({ automation, operation, key, statusClass, count, seconds, bytes, latency: denseSketch(sketch ?? {}) });
  }
  return { id: record.id, at: String(record.at), step: record.step as Step, instance: String(record.instance ?? ''), cells };
}

/** Start of the step holding `ms`, ISO. */
export function stepStart(ms: number, step: Step): string {
  return new Date(ms - (ms % STEP_MS[step])).toISOString();
}
