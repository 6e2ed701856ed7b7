/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { UsageReport, UsageSummary } from '../../analytics/report.ts';
import { type ChartMarker, type ChartPoint, formatValue, TimeChart } from './chart.tsx';
import { type Frame, Layout, Notice } from './layout.tsx';

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;

export interface UsageFilter {
  readonly automation: string;
  readonly key: string;
  readonly range: Range;
}

const ms = (v: number | null) => (v === null ? '–' : `${formatValue(v)} ms`);

/**
 * Usage from the analytics: requests and errors, p50 and p95 latency, over 1 h, 24 h or
 * 7 days, for everything, one automation or one key; a dashed line at each manifest
 * revision in the range, so a change and its effect sit side by side; the top automations,
 * keys and failing endpoints, each a link that narrows the page to it.
 */
export const UsagePage: FC<
  Frame & {
    filter: UsageFilter;
    automations: readonly string[];
    report?: UsageReport;
    /** Every step of the range, oldest first, with what the report has for it (zero without rows). */
    points: readonly { at: number; summary?: UsageSummary }[];
    from: number;
    to: number;
    markers: readonly ChartMarker[];
    /** Older revisions in the range not drawn. */
    hiddenMarkers?: number;
    /** The manifest line declaring each failing endpoint, by `automation\0operation`. */
    endpointLines?: ReadonlyMap<string, number>;
    off?: string;
  }
> = ({ filter, automations, report, points, from, to, markers, hiddenMarkers = 0, endpointLines, off, ...frame }) => {
  const href = (change: Partial<UsageFilter>) => {
    const next = { ...filter, ...change };
    const query = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== '') as [string, string][]);
    return `/console/usage?${query}`;
  };
  const scope =
    [filter.automation && `automation ${filter.automation}`, filter.key && `key ${filter.key}`].filter(Boolean).join(', ') ||
    'every automation';
  const requests = points.map((p): ChartPoint => ({ at: p.at, values: [p.summary?.requests ?? 0, p.summary?.errors ?? 0] }));
  const latency = points.map((p): ChartPoint => ({ at: p.at, values: [p.summary?.p50Ms ?? null, p.summary?.p95Ms ?? null] }));
  return (
    <Layout title="Usage" section="usage" {...frame}>
      <form class="filters" method="get" action="/console/usage" aria-label="Choose what to show">
        <label>
          Automation
          <select name="automation">
            <option value="">every automation</option>
            {automations.map((a) => (
              <option value={a} selected={filter.automation === a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Key name
          <input type="text" name="key" value={filter.key} />
        </label>
        <fieldset class="inline">
          <legend>Over the last</legend>
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <label class="check">
              <input type="radio" name="range" value={r} checked={filter.range === r} />
              {r}
            </label>
          ))}
        </fieldset>
        <button type="submit">Show</button>
      </form>
      {off ? <Notice kind="info">{off}</Notice> : null}
      {report ? (
        <>
          <dl class="facts">
            <dt>Requests</dt>
            <dd>{report.totals.requests.toLocaleString('en-US')}</dd>
            <dt>Errors (4xx and 5xx)</dt>
            <dd>{`${report.totals.errors.toLocaleString('en-US')} (${report.totals.serverErrors} server errors)`}</dd>
            <dt>Latency p50 / p95 / p99</dt>
            <dd>{`${ms(report.totals.p50Ms)} / ${ms(report.totals.p95Ms)} / ${ms(report.totals.p99Ms)} (within ${Math.round(report.latencyError * 1000) / 10}%)`}</dd>
          </dl>
          <h2>Requests and errors per {report.step}</h2>
          <p class="legend">
            <span class="swatch bar" /> requests <span class="swatch bar-bad" /> errors <span class="swatch marker" /> manifest revision
          </p>
          <TimeChart
            kind="bars"
            points={requests}
            from={from}
            to={to}
            markers={markers}
            names={['requests', 'errors']}
            unit=""
            summary={`Requests per ${report.step} for ${scope}: ${report.totals.requests} in all, ${report.totals.errors} errors.`}
          />
          <h2>Latency per {report.step}</h2>
          <p class="legend">
            <span class="swatch line-0" /> p50 <span class="swatch line-1" /> p95
          </p>
          <TimeChart
            kind="lines"
            points={latency}
            from={from}
            to={to}
            markers={markers}
            names={['p50', 'p95']}
            unit=" ms"
            summary={`Latency per ${report.step} for ${scope}: p50 ${ms(report.totals.p50Ms)}, p95 ${ms(report.totals.p95Ms)} over the range.`}
          />
          {markers.length ? (
            <>
              <h2>Manifest revisions in this range</h2>
              <ul>
                {markers.map((m) => (
                  <li>{m.label}</li>
                ))}
              </ul>
              {hiddenMarkers > 0 ? (
                <p class="hint">{`and ${hiddenMarkers} older ones, not drawn; choose an automation to see its own`}</p>
              ) : null}
            </>
          ) : null}
          <details>
            <summary>The numbers per {report.step}</summary>
            <table>
              <thead>
                <tr>
                  <th scope="col">From (UTC)</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                </tr>
              </thead>
              <tbody>
                {report.series.map((s) => (
                  <tr>
                    <td>{s.at}</td>
                    <td>{s.requests}</td>
                    <td>{s.errors}</td>
                    <td>{ms(s.p50Ms)}</td>
                    <td>{ms(s.p95Ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
          <h2>Top automations</h2>
          <TopTable
            rows={report.top.automations.map((r) => ({ label: r.automation, href: href({ automation: r.automation }), summary: r }))}
            what="Automation"
          />
          <h2>Top keys</h2>
          <TopTable rows={report.top.keys.map((r) => ({ label: r.key, href: href({ key: r.key }), summary: r }))} what="Key name" />
          <h2>Failing endpoints</h2>
          {report.top.errors.length ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">Automation</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Status</th>
                  <th scope="col">Answers</th>
                  <th scope="col">In the manifest</th>
                </tr>
              </thead>
              <tbody>
                {report.top.errors.map((e) => (
                  <tr>
                    <td>
                      <a href={`/console/automations/${e.automation}`}>{e.automation}</a>
                    </td>
                    <td>{e.operation}</td>
                    <td>{e.statusClass}</td>
                    <td>{e.requests}</td>
                    <td>
                      {endpointLines?.get(`${e.automation}\0${e.operation}`) ? (
                        <a href={`/console/automations/${e.automation}/edit?line=${endpointLines.get(`${e.automation}\0${e.operation}`)}`}>
                          {`line ${endpointLines.get(`${e.automation}\0${e.operation}`)}`}
                          <span class="visually-hidden">{` of ${e.automation}, its ${e.operation} endpoint`}</span>
                        </a>
                      ) : (
                        '–'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p>No failed answer in this range.</p>
          )}
        </>
      ) : null}
    </Layout>
  );
};

const TopTable: FC<{ rows: readonly { label: string; href: string; summary: UsageSummary }[]; what: string }> = ({ rows, what }) =>
  rows.length === 0 ? (
    <p>No requests in this range.</p>
  ) : (
    <table>
      <thead>
        <tr>
          <th scope="col">{what}</th>
          <th scope="col">Requests</th>
          <th scope="col">Errors</th>
          <th scope="col">p50</th>
          <th scope="col">p95</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>
              <a href={r.href}>{r.label}</a>
            </td>
            <td>{r.summary.requests}</td>
            <td>{r.summary.errors}</td>
            <td>{ms(r.summary.p50Ms)}</td>
            <td>{ms(r.summary.p95Ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
