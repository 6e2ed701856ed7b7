import { everyRecord } from '../../adapters/every-record.ts';
import type { ListFilter, RecordStore } from '../../adapters/types.ts';
import { mergeSketch, newSketch, quantileMs, SKETCH_RELATIVE_ERROR } from '../observe/latency-sketch.ts';
import { mergeCounts } from './sum.ts';
import { decodeRow, STEP_MS, type Step, stepStart, type UsageCounts } from './usage-rows.ts';

export interface UsageQuery {
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** Series resolution; by default minutes up to 6 h, hours up to 14 days, else days. */
  readonly step?: Step;
  readonly automation?: string;
  readonly key?: string;
  /** Entries in each top list. */
  readonly top?: number;
}

/** Requests, failures, latency and bytes of a set of counts. */
export interface UsageSummary {
  readonly requests: number;
  /** Answers 4xx and 5xx. */
  readonly errors: number;
  /** Answers 5xx. */
  readonly serverErrors: number;
  readonly bytes: number;
  /** Latency percentiles in ms, within `latencyError` of the true values; null without requests. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface UsageReport {
  readonly from: string;
  readonly to: string;
  readonly step: Step;
  /** Largest relative error of the percentiles (fixed buckets). */
  readonly latencyError: number;
  readonly totals: UsageSummary;
  /** One entry per step that had requests, oldest first. */
  readonly series: (UsageSummary & { readonly at: string })[];
  readonly top: {
    readonly automations: (UsageSummary & { readonly automation: string })[];
    readonly operations: (UsageSummary & { readonly automation: string; readonly operation: string })[];
    readonly keys: (UsageSummary & { readonly key: string })[];
    /** Endpoints by failed answers, with the status class. */
    readonly errors: { readonly automation: string; readonly operation: string; readonly statusClass: string; readonly requests: number }[];
  };
}

const PAGE = 500;

export function defaultStep(from: number, to: number): Step {
  const span = to - from;
  return span <= 6 * STEP_MS.hour ? 'minute' : span <= 14 * STEP_MS.day ? 'hour' : 'day';
}

/**
 * The usage between `from` and `to` from the rows every instance wrote, summed. Rows
 * already rolled up to hours or days count in the step they start in.
 */
export async function usageReport(store: RecordStore, query: UsageQuery): Promise<UsageReport> {
  const step = query.step ?? defaultStep(query.from, query.to);
  const filters: ListFilter[] = [
    { field: 'at', op: 'gte', value: new Date(query.from - (query.from % STEP_MS.minute)).toISOString() },
    { field: 'at', op: 'lt', value: new Date(query.to).toISOString() },
  ];
  const bySteps = new Map<string, UsageCounts[]>();
  const all: UsageCounts[] = [];
  for await (const record of everyRecord(store, filters, 'at', PAGE)) {
    const row = decodeRow(record);
    const cells = row.cells.filter((c) => (!query.automation || c.automation === query.automation) && (!query.key || c.key === query.key));
    if (cells.length === 0) continue;
    const at = stepStart(Date.parse(row.at), step);
    bySteps.set(at, [...(bySteps.get(at) ?? []), ...cells]);
    all.push(...cells);
  }
  const top = query.top ?? 10;
  const cells = mergeCounts(all);
  const grouped = <K extends string>(keyOf: (c: UsageCounts) => Record<K, string>) => {
    const groups = new Map<string, { labels: Record<K, string>; cells: UsageCounts[] }>();
    for (const cell of cells) {
      const labels = keyOf(cell);
      const id = Object.values(labels).join('\0');
      const group = groups.get(id) ?? { labels, cells: [] };
      group.cells.push(cell);
      groups.set(id, group);
    }
    return [...groups.values()]
      .map(({ labels, cells: of }) => ({ ...labels, ...summary(of) }))
      .sort((a, b) => b.requests - a.requests)
      .slice(0, top);
  };
  return {
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    step,
    latencyError: Math.round(SKETCH_RELATIVE_ERROR * 1000) / 1000,
    totals: summary(cells),
    series: [...bySteps].sort(([a], [b]) => (a < b ? -1 : 1)).map(([at, of]) => ({ at, ...summary(of) })),
    top: {
      automations: grouped((c) => ({ automation: c.automation })),
      operations: grouped((c) => ({ automation: c.automation, operation: c.operation })),
      keys: grouped((c) => ({ key: c.key })),
      errors: cells
        .filter((c) => c.statusClass === '4xx' || c.statusClass === '5xx')
        .map((c) => ({ automation: c.automation, operation: c.operation, statusClass: c.statusClass, requests: c.count }))
        .reduce<{ automation: string; operation: string; statusClass: string; requests: number }[]>((list, e) => {
          const same = list.find((x) => x.automation === e.automation && x.operation === e.operation && x.statusClass === e.statusClass);
          if (same) same.requests += e.requests;
          else list.push({ ...e });
          return list;
        }, [])
        .sort((a, b) => b.requests - a.requests)
        .slice(0, top),
    },
  };
}

function summary(cells: readonly UsageCounts[]): UsageSummary {
  const latency = newSketch();
  let requests = 0;
  let errors = 0;
  let serverErrors = 0;
  let bytes = 0;
  for (const c of cells) {
    requests += c.count;
    bytes += c.bytes;
    if (c.statusClass === '4xx' || c.statusClass === '5xx') errors += c.count;
    if (c.statusClass === '5xx') serverErrors += c.count;
    mergeSketch(latency, c.latency);
  }
  const p = (q: number) => {
    const ms = quantileMs(latency, q);
    return ms === undefined ? null : Math.round(ms * 1000) / 1000;
  };
  return { requests, errors, serverErrors, bytes, p50Ms: p(0.5), p95Ms: p(0.95), p99Ms: p(0.99) };
}
