// The throughput table: one row per store, operation and guard setting; the engine now,
// the engine at the baseline commit and the hand-written app side by side.
import type { Store } from './engine-server.ts';
import type { HttpPartResult, Measured, Operation, SideKind } from './http-part.ts';

const OPERATION_LABEL: Record<Operation, string> = { get: 'GET by id (1,000)', list: 'list 20, 1 filter', post: 'POST' };

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);

/** Mean req/s and mean p99 (ms) over the rounds, and the failed requests in them. */
export function summary(m: Measured | undefined): { rps: number; p99: number; failed: number } {
  if (!m) return { rps: Number.NaN, p99: Number.NaN, failed: 0 };
  return {
    rps: mean(m.rounds.map((r) => r.rps)),
    p99: mean(m.rounds.map((r) => r.p99Ms)),
    failed: m.rounds.reduce((s, r) => s + r.failed, 0),
  };
}

const rate = (x: number) => (Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const ms = (x: number) => (Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (a: number, b: number) => (Number.isNaN(a / b) ? '-' : `${(a / b).toFixed(2)}x`);
const percent = (x: number) => (Number.isNaN(x) ? '-' : `${Math.round(x * 100)}%`);

/** The table as rows of cells, header first; `baseline` names the baseline column (its short commit). */
export function httpTable(result: HttpPartResult, baseline: string | undefined): string[][] {
  const find = (store: Store, operation: Operation, kind: SideKind) =>
    result.measured.find((m) => m.store === store && m.operation === operation && m.kind === kind);
  const b = baseline ?? 'baseline';
  const header = [
    'operation',
    'store',
    'guards',
    'engine req/s',
    'p99 ms',
    `${b} req/s`,
    'p99 ms',
    'hand req/s',
    'p99 ms',
    'engine/hand',
    `${b}/hand`,
    'json-server req/s',
    'p99 ms',
  ];
  const rows = [header];
  const stores = [...new Set(result.measured.map((m) => m.store))];
  for (const store of stores) {
    for (const operation of Object.keys(OPERATION_LABEL) as Operation[]) {
      const hand = summary(find(store, operation, 'hand'));
      const json = summary(find(store, operation, 'json-server'));
      for (const guards of ['guarded', 'open'] as const) {
        const now = summary(find(store, operation, `now-${guards}`));
        const then = summary(find(store, operation, `baseline-${guards}`));
        const first = guards === 'guarded';
        rows.push([
          first ? OPERATION_LABEL[operation] : '',
          first ? store : '',
          first ? 'key+audit' : 'off',
          rate(now.rps) + failedMark(now.failed),
          ms(now.p99),
          rate(then.rps) + failedMark(then.failed),
          ms(then.p99),
          first ? rate(hand.rps) + failedMark(hand.failed) : '',
          first ? ms(hand.p99) : '',
          ratio(now.rps, hand.rps),
          ratio(then.rps, hand.rps),
          first && store === 'memory' ? rate(json.rps) + failedMark(json.failed) : '',
          first && store === 'memory' ? ms(json.p99) : '',
        ]);
      }
    }
  }
  return rows;
}

function failedMark(failed: number): string {
  return failed ? ` (${failed} failed)` : '';
}

/** How busy each server's core was: the share the measured server used, and what other processes took. */
export function coreUseLine(result: HttpPartResult): string {
  const all = result.measured;
  const server = mean(all.flatMap((m) => m.serverCpu));
  const others = all.flatMap((m) => m.othersOnCore).filter((x) => !Number.isNaN(x));
  const worst = others.length ? Math.max(...others) : Number.NaN;
  return `server core during measurements: the measured server used ${percent(server)} of it on average; other processes took ${percent(mean(others))} on average, ${percent(worst)} at worst`;
}

/** Rows of cells as aligned text (numbers right-aligned) or as a markdown table. */
export function formatTable(rows: string[][], markdown = false): string {
  if (markdown) {
    const [head = [], ...body] = rows;
    return [head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}
