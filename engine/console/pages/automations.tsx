/** @jsxRuntime automatic @jsxImportSource hono/jsx */

import type { FC } from 'hono/jsx';
import type { FleetView } from '../../fleet/heartbeat.ts';
import type { AutomationState } from '../../registry/automation-states.ts';
import { FleetSection } from './fleet.tsx';
import { type Frame, Layout } from './layout.tsx';

export const STATES = ['serving', 'degraded', 'invalid', 'unavailable'] as const;

/** The list's filters, as the query string gives them. */
export interface AutomationFilter {
  readonly q: string;
  readonly state: string;
  readonly page: number;
}

export const PAGE_SIZE = 200;

/** Automations matching the filter (name, file or backend containing `q`; one state), and the page of them asked for. */
export function filterAutomations(all: readonly AutomationState[], filter: AutomationFilter) {
  const q = filter.q.toLowerCase();
  const matching = all.filter(
    (a) =>
      (!filter.state || a.state === filter.state) &&
      (!q || (a.name ?? '').includes(q) || a.file.toLowerCase().includes(q) || ('backend' in a && a.backend.includes(q))),
  );
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, filter.page), pages);
  return { matching: matching.length, page, pages, shown: matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE) };
}

/** An automation's requests and errors in the last hour. */
export interface RecentUsage {
  readonly requests: number;
  readonly errors: number;
}

export const AutomationsPage: FC<
  Frame & {
    all: readonly AutomationState[];
    /** Where each connection's records live, in words, by connection name. */
    placements: ReadonlyMap<string, string>;
    filter: AutomationFilter;
    canCreate: boolean;
    usage?: ReadonlyMap<string, RecentUsage>;
    /** The instances sharing the system store, when it is a server. */
    fleet?: FleetView;
  }
> = ({ all, placements, filter, canCreate, usage, fleet, ...frame }) => {
  const { matching, page, pages, shown } = filterAutomations(all, filter);
  const pageHref = (n: number) => `/console/automations?${new URLSearchParams({ q: filter.q, state: filter.state, page: String(n) })}`;
  return (
    <Layout title="Automations" section="automations" {...frame}>
      {canCreate ? (
        <p>
          <a href="/console/new">New automation</a>
        </p>
      ) : null}
      {fleet ? <FleetSection fleet={fleet} /> : null}
      <form class="filters" method="get" action="/console/automations" aria-label="Filter automations">
        <label>
          Name, file or backend contains
          <input type="search" name="q" value={filter.q} />
        </label>
        <label>
          State
          <select name="state">
            <option value="">any</option>
            {STATES.map((s) => (
              <option value={s} selected={filter.state === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <p class="muted" role="status">
        {`${matching} of ${all.length} automations`}
        {pages > 1 ? `, page ${page} of ${pages}` : ''}
      </p>
      {shown.length === 0 ? (
        <p>
          {all.length === 0
            ? 'No automation is loaded: add a manifest (*.yaml) to the automations folder, e.g. with council new NAME.'
            : 'None matches.'}
        </p>
      ) : (
        <table>
          <caption class="muted">Every manifest file and what serves from it</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Where the records live</th>
              <th scope="col">File</th>
              <th scope="col">Version</th>
              {usage ? <th scope="col">Last hour</th> : null}
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr>
                <td>{a.name ? <a href={`/console/automations/${a.name}`}>{a.name}</a> : <span class="muted">(no name)</span>}</td>
                <td>
                  <span class={`state state-${a.state}`}>{a.state}</span>
                  {a.errors?.length ? <div class="hint">{a.errors[0]}</div> : null}
                </td>
                <td>{'backend' in a ? `${placements.get(a.connection) ?? a.backend} (connection ${a.connection})` : ''}</td>
                <td>
                  <code>{a.file}</code>
                </td>
                <td>{'version' in a ? <code>{a.version.slice(0, 8)}</code> : ''}</td>
                {usage ? <td>{a.name ? recentText(usage.get(a.name)) : ''}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 ? (
        <nav aria-label="Pages">
          {page > 1 ? <a href={pageHref(page - 1)}>Previous page</a> : null}{' '}
          {page < pages ? <a href={pageHref(page + 1)}>Next page</a> : null}
        </nav>
      ) : null}
    </Layout>
  );
};

/** `120 requests, 3 errors (2.5%)`, or `none`. */
export function recentText(recent: RecentUsage | undefined): string {
  if (!recent?.requests) return 'none';
  const share = recent.errors ? ` (${Number(((100 * recent.errors) / recent.requests).toPrecision(2))}%)` : '';
  return `${recent.requests} requests, ${recent.errors} errors${share}`;
}
