import type { Context } from 'hono';
import type { UsageSummary } from '../analytics/report.ts';
import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import { STEP_MS } from '../analytics/usage-rows.ts';
import { countedName } from '../http/automation-routes.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { AuditLog, AuditRecord } from '../security/audit-log.ts';
import type { ConsoleEnv } from './console-env.ts';
import { endpointLine } from './endpoint-line.ts';
import { readManifest } from './manifest-file.ts';
import type { On } from './on.ts';
import { AuditPage } from './pages/audit.tsx';
import type { ChartMarker } from './pages/chart.tsx';
import { RANGES, type Range, UsagePage } from './pages/usage.tsx';
import { manifestFileOf } from './project.ts';
import { render } from './render.ts';

/** Entries the audit page reads at most (the log's own limit per read). */
export const AUDIT_PAGE_LIMIT = 1000;
/** Revisions drawn at most: the newest (a server starting with 1,000 automations loads 1,000 at once). */
export const MARKERS_SHOWN = 50;
/** Manifest events drawn as revisions on the usage charts. */
const REVISIONS = new Set(['manifest.loaded', 'manifest.updated', 'manifest.removed']);

/** The usage page (every signed-in role) and the audit log (editors and admins). */
export function addUsagePages(on: On, parts: { registry: AutomationRegistry; analytics: UsageAnalytics | undefined; audit: AuditLog }) {
  const { registry, analytics, audit } = parts;
  const frame = (c: Context<ConsoleEnv>) => ({ user: c.get('user'), csrf: c.get('session').csrf });

  on('GET /usage', async (c) => {
    const range = (Object.hasOwn(RANGES, c.req.query('range') ?? '') ? c.req.query('range') : '24h') as Range;
    const filter = { automation: c.req.query('automation') ?? '', key: c.req.query('key') ?? '', range };
    // An earlier version is counted apart (`accounts@v1`), so who still calls it can be picked out.
    const automations = registry
      .serving()
      .flatMap((m) => [m.plan, ...m.plan.earlier].map(countedName))
      .sort();
    const to = Date.now();
    const from = to - RANGES[range];
    const base = { ...frame(c), filter, automations, from, to, markers: [], points: [] };
    if (!analytics) {
      return render(c, UsagePage({ ...base, off: 'Usage analytics are off on this server (analytics.enabled: false in its config).' }));
    }
    const report = await analytics.report({
      from,
      to,
      ...(filter.automation ? { automation: filter.automation } : {}),
      ...(filter.key ? { key: filter.key } : {}),
    });
    const step = STEP_MS[report.step];
    const bySlot = new Map(report.series.map((s) => [Date.parse(s.at), s as UsageSummary]));
    const points: { at: number; summary?: UsageSummary }[] = [];
    for (let at = from - (from % step); at < to; at += step) {
      const summary = bySlot.get(at);
      points.push(summary ? { at, summary } : { at });
    }
    const revisions = await audit.list({
      since: new Date(from).toISOString(),
      ...(filter.automation ? { automation: filter.automation } : {}),
      limit: AUDIT_PAGE_LIMIT,
    });
    const changes = revisions.filter((e) => REVISIONS.has(e.action));
    const hidden = Math.max(0, changes.length - MARKERS_SHOWN);
    const markers: ChartMarker[] = changes
      .slice(0, MARKERS_SHOWN)
      .map((e) => ({
        at: Date.parse(e.createdAt),
        label: `${e.createdAt.slice(0, 19).replace('T', ' ')} UTC: ${e.automation ?? ''} ${e.action.slice('manifest.'.length)}`,
      }))
      .reverse();
    // The chart spans whole steps: from the start of the first (partly before `from`) to the end of the current one.
    const span = { from: points[0]?.at ?? from, to: (points.at(-1)?.at ?? to) + step };
    // Each failing endpoint links to the line of its manifest that declares it, where there is one.
    const lines = new Map<string, number>();
    for (const e of report.top.errors) {
      const file = manifestFileOf(registry, e.automation);
      const text = file ? readManifest(file)?.text : undefined;
      const line = file && text ? endpointLine(file, text, e.operation) : undefined;
      if (line) lines.set(`${e.automation}\0${e.operation}`, line);
    }
    return render(c, UsagePage({ ...base, ...span, report, points, markers, hiddenMarkers: hidden, endpointLines: lines }));
  });

  on('GET /audit', async (c) => {
    const filter = {
      actor: c.req.query('actor') ?? '',
      automation: c.req.query('automation') ?? '',
      action: c.req.query('action') ?? '',
      since: c.req.query('since') ?? '',
    };
    const since = filter.since ? Date.parse(filter.since) : Number.NaN;
    if (filter.since && Number.isNaN(since)) {
      return render(
        c,
        AuditPage({
          ...frame(c),
          filter,
          entries: [],
          limit: AUDIT_PAGE_LIMIT,
          error: `"${filter.since}" is not a date or time (2026-12-01, or 2026-12-01T09:30)`,
        }),
        400,
      );
    }
    const read = await audit.list({
      limit: AUDIT_PAGE_LIMIT,
      ...(filter.since ? { since: new Date(since).toISOString() } : {}),
      ...(filter.automation ? { automation: filter.automation } : {}),
    });
    const entries = read.filter(
      (e: AuditRecord) => (!filter.actor || e.actor === filter.actor) && (!filter.action || e.action.startsWith(filter.action)),
    );
    return render(c, AuditPage({ ...frame(c), filter, entries, limit: AUDIT_PAGE_LIMIT }));
  });
}
