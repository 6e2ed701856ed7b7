import { mergeSketch, newSketch } from '../observe/latency-sketch.ts';
import type { UsageCounts } from './usage-rows.ts';

/** Counts with the same endpoint, key and status class added together. */
export function mergeCounts(cells: Iterable<UsageCounts>): UsageCounts[] {
  const merged = new Map<string, UsageCounts>();
  for (const cell of cells) {
    const key = `${cell.automation}\0${cell.operation}\0${cell.key}\0${cell.statusClass}`;
    let sum = merged.get(key);
    if (!sum) {
      sum = { ...cell, count: 0, seconds: 0, bytes: 0, latency: newSketch() };
      merged.set(key, sum);
    }
    sum.count += cell.count;
    sum.seconds += cell.seconds;
    sum.bytes += cell.bytes;
    mergeSketch(sum.latency, cell.latency);
  }
  return [...merged.values()];
}
