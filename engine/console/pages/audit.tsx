/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { AuditRecord } from '../../security/audit-log.ts';
import { type Frame, Layout } from './layout.tsx';

export interface AuditFilter {
  readonly actor: string;
  readonly automation: string;
  readonly action: string;
  /** ISO time or date; entries from then on. */
  readonly since: string;
}

/** The audit log, newest first, narrowed by actor, automation, action (a prefix: `key.` is every key event) and time. */
export const AuditPage: FC<Frame & { filter: AuditFilter; entries: readonly AuditRecord[]; limit: number; error?: string }> = ({
  filter,
  entries,
  limit,
  error,
  ...frame
}) => (
  <Layout title="Audit log" section="audit" {...frame}>
    <form class="filters" method="get" action="/console/audit" aria-label="Filter the audit log">
      <label>
        Actor <span class="hint">user:EMAIL, a key id, cli, engine</span>
        <input type="text" name="actor" value={filter.actor} />
      </label>
      <label>
        Automation
        <input type="text" name="automation" value={filter.automation} />
      </label>
      <label>
        Action <span class="hint">or its start: key., manifest.</span>
        <input type="text" name="action" value={filter.action} />
      </label>
      <label>
        Since <span class="hint">a date or time, UTC</span>
        <input type="text" name="since" value={filter.since} placeholder="2026-12-01" />
      </label>
      <button type="submit">Filter</button>
    </form>
    {error ? (
      <p role="alert" class="notice error">
        {error}
      </p>
    ) : null}
    <p class="muted" role="status">
      {`${entries.length} entries${entries.length === limit ? ` (the newest ${limit}; narrow the filter to see older ones)` : ''}`}
    </p>
    <table>
      <thead>
        <tr>
          <th scope="col">When (UTC)</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Automation</th>
          <th scope="col">Outcome</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr>
            <td>{e.createdAt.replace('T', ' ').slice(0, 19)}</td>
            <td>{e.actor}</td>
            <td>{e.action}</td>
            <td>{e.automation ? <a href={`/console/automations/${e.automation}`}>{e.automation}</a> : ''}</td>
            <td>{`${e.outcome}${e.status ? ` (${e.status})` : ''}`}</td>
            <td>{[e.recordId && `record ${e.recordId}`, e.requestId && `request ${e.requestId}`, e.detail].filter(Boolean).join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);
