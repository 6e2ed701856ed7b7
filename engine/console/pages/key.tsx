/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { KeyRecord } from '../../security/key-store.ts';
import { type Frame, Layout, Notice } from './layout.tsx';

/** One automation's operations a key may call. */
export interface Reach {
  readonly automation: string;
  readonly operations: readonly { readonly operation: string; readonly request: string }[];
}

/**
 * What a key can do: every operation it may call, by automation, and the scopes it holds
 * that no request with it needed in the last 30 days (candidates to take away).
 */
export const KeyPage: FC<
  Frame & {
    csrf: string;
    keyRecord: KeyRecord;
    reach: readonly Reach[];
    /** Held scopes no request needed in 30 days; undefined when the analytics are off. */
    unused?: readonly string[];
    requests30d?: number;
  }
> = ({ keyRecord: k, reach, unused, requests30d, ...frame }) => (
  <Layout title={`Key ${k.name}`} section="keys" {...frame}>
    <dl class="facts">
      <dt>Key</dt>
      <dd>
        <code>{k.display}</code>
      </dd>
      <dt>Scopes</dt>
      <dd>{k.scopes.join(' ')}</dd>
      {k.note ? (
        <>
          <dt>Note</dt>
          <dd>{k.note}</dd>
        </>
      ) : null}
      <dt>State</dt>
      <dd>
        {k.revokedAt
          ? `revoked ${k.revokedAt}`
          : k.expiresAt && k.expiresAt <= new Date().toISOString()
            ? `expired ${k.expiresAt}`
            : 'active'}
      </dd>
      <dt>Created</dt>
      <dd>{k.createdAt}</dd>
      <dt>Expires</dt>
      <dd>{k.expiresAt ?? 'never'}</dd>
      <dt>Last used</dt>
      <dd>{k.lastUsedAt ?? 'never'}</dd>
      {requests30d !== undefined ? (
        <>
          <dt>Requests in 30 days</dt>
          <dd>
            {requests30d} (<a href={`/console/usage?key=${encodeURIComponent(k.name)}&range=7d`}>its usage over 7 days</a>; counted by key
            name)
          </dd>
        </>
      ) : null}
    </dl>
    <h2>Scopes not used in 30 days</h2>
    {unused === undefined ? (
      <p>Not known: usage analytics are off on this server.</p>
    ) : unused.length ? (
      <Notice>
        {`No request with this key needed ${unused.join(', ')} in the last 30 days. A key with fewer scopes does less harm if it leaks: consider a new one without them.`}
      </Notice>
    ) : (
      <p>Every scope it holds was needed by a request in the last 30 days.</p>
    )}
    <h2>What it may call</h2>
    {reach.length === 0 ? (
      <p>No operation of any serving automation.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th scope="col">Automation</th>
            <th scope="col">Operations</th>
          </tr>
        </thead>
        <tbody>
          {reach.map((r) => (
            <tr>
              <td>
                <a href={`/console/automations/${r.automation}`}>{r.automation}</a>
              </td>
              <td>{r.operations.map((o) => `${o.operation} (${o.request})`).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
