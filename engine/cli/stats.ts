import { parseArgs } from 'node:util';
import { type UsageReport, type UsageSummary, usageReport } from '../analytics/report.ts';
import { USAGE_SPEC } from '../analytics/usage-rows.ts';
import { HttpProblem } from '../errors/problem.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import { analyticsQuery } from '../server/admin.ts';
import { callLocalServer } from '../server/local-admin.ts';
import { statsFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';
import { isEmbedded, storeRoute } from './store-route.ts';

/**
 * Prints usage since `--since` (24 h): the totals, then each automation and operation and
 * each key with requests, errors and latency percentiles. Through a running server on the
 * same data directory when there is one.
 */
export async function statsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: statsFlags });
  let query: ReturnType<typeof analyticsQuery>;
  try {
    query = analyticsQuery((name) => (name === 'from' ? (values.since ?? '24h') : (values as Record<string, string | undefined>)[name]));
  } catch (error) {
    throw new UsageError(error instanceof HttpProblem ? error.detail.replace('from must', '--since must') : String(error));
  }
  const config = projectConfig(values);
  const route = await storeRoute(config);
  if (route.kind === 'busy' && isEmbedded(config, SYSTEM_CONNECTION)) {
    console.error(`council stats: ${route.message}`);
    return 1;
  }
  const pool = new ConnectionPool(config.connections, config.dataDir);
  try {
    let report: UsageReport;
    if (route.kind === 'server') {
      const params = new URLSearchParams({ from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), top: '100' });
      if (query.automation) params.set('automation', query.automation);
      if (query.key) params.set('key', query.key);
      report = (await callLocalServer(route.server, 'GET', `/analytics?${params}`))?.data as UsageReport;
    } else {
      report = await usageReport(await (await pool.get(SYSTEM_CONNECTION)).open(USAGE_SPEC), { ...query, top: 100 });
    }
    for (const line of table(report)) console.log(line);
    return 0;
  } catch (error) {
    console.error(`council stats: the system store (connection "${SYSTEM_CONNECTION}") could not be read: ${(error as Error).message}`);
    return 1;
  } finally {
    await pool.closeAll();
  }
}

/** The report as aligned columns: one row per operation, then per key, then the total. */
export function table(report: UsageReport): string[] {
  const head = ['', 'requests', 'errors', '5xx', 'p50 ms', 'p95 ms', 'p99 ms', 'bytes'];
  const cells = (name: string, s: UsageSummary) => [
    name,
    String(s.requests),
    String(s.errors),
    String(s.serverErrors),
    ms(s.p50Ms),
    ms(s.p95Ms),
    ms(s.p99Ms),
    String(s.bytes),
  ];
  const rows = [
    head,
    ...report.top.operations.map((o) => cells(`${o.automation} ${o.operation}`, o)),
    ...report.top.keys.map((k) => cells(`key ${k.key}`, k)),
    cells('total', report.totals),
  ];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const pad = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ');
  return [`usage ${report.from} .. ${report.to} (latency within ${Math.round(report.latencyError * 1000) / 10}%)`, ...rows.map(pad)];
}

function ms(value: number | null): string {
  return value === null ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(0);
}
