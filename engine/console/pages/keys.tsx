/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { KeyRecord } from '../../security/key-store.ts';
import { Csrf, type Frame, Layout, Notice } from './layout.tsx';

/** What the last action said: a problem, or a new key's secret (shown this once). */
export interface KeysOutcome {
  readonly error?: string;
  readonly done?: string;
  readonly secret?: { readonly name: string; readonly secret: string; readonly warnings: readonly string[] };
}

const ACCESS = ['read', 'write', 'delete'] as const;

/**
 * API keys: the list (never a secret: they are kept only as hashes), a form to make one
 * with a scope picker (automations × read, write, delete), an expiry, and revoking.
 */
export const KeysPage: FC<
  Frame & {
    csrf: string;
    keys: readonly KeyRecord[];
    /** Automations whose scopes this user may grant, by name. */
    grantable: readonly string[];
    /** May grant scopes beyond the grid (`*`, `name:*`, custom ones): admins. */
    anyScope: boolean;
    mayRevoke: (key: KeyRecord) => boolean;
    outcome?: KeysOutcome;
    /** Requests in the last 30 days by key name (absent: analytics off). */
    requests?: ReadonlyMap<string, number>;
  }
> = ({ keys, grantable, anyScope, mayRevoke, outcome, requests, ...frame }) => (
  <Layout title="API keys" section="keys" {...frame}>
    {outcome?.error ? <Notice kind="error">{outcome.error}</Notice> : null}
    {outcome?.done ? <Notice kind="ok">{outcome.done}</Notice> : null}
    {outcome?.secret ? (
      <Notice kind="ok">
        <p>
          The key {outcome.secret.name}: <span class="secret">{outcome.secret.secret}</span>
        </p>
        <p>It is shown only now (the server keeps a hash): copy it into the client that will use it, as `Authorization: Bearer KEY`.</p>
        {outcome.secret.warnings.length ? (
          <ul>
            {outcome.secret.warnings.map((w) => (
              <li>{w}</li>
            ))}
          </ul>
        ) : null}
      </Notice>
    ) : null}
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Key</th>
          <th scope="col">Scopes</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          {requests ? <th scope="col">Requests (30 days)</th> : null}
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr>
            <td>
              <a href={`/console/keys/${k.id}`}>{k.name}</a>
              {k.note ? <div class="hint">{k.note}</div> : null}
            </td>
            <td>
              <code>{k.display}</code>
            </td>
            <td>{k.scopes.join(' ')}</td>
            <td>{k.createdAt.slice(0, 10)}</td>
            <td>{k.expiresAt ? k.expiresAt.slice(0, 10) : 'never'}</td>
            <td>{k.lastUsedAt ?? 'never'}</td>
            {requests ? <td>{requests.get(k.name) ?? 0}</td> : null}
            <td>
              {k.revokedAt ? (
                `revoked ${k.revokedAt.slice(0, 10)}`
              ) : mayRevoke(k) ? (
                <form class="inline" method="post" action={`/console/keys/${k.id}/revoke`}>
                  <Csrf token={frame.csrf} />
                  <button class="quiet" type="submit">
                    Revoke<span class="visually-hidden">{` ${k.name} (${k.display})`}</span>
                  </button>
                </form>
              ) : (
                'active'
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <h2 id="make">Make a key</h2>
    <form class="stack wide" method="post" action="/console/keys" aria-labelledby="make">
      <Csrf token={frame.csrf} />
      <label>
        Name <span class="hint">who or what uses it, e.g. "support GPT"</span>
        <input type="text" name="name" required maxlength={100} />
      </label>
      <label>
        Note <span class="hint">optional: what it is for, who holds it, when it can go</span>
        <textarea name="note" rows={2} maxlength={500} />
      </label>
      <fieldset>
        <legend>Scopes</legend>
        {grantable.length === 0 ? (
          <p>No automation serves that you may grant access to.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Automation</th>
                {ACCESS.map((a) => (
                  <th scope="col">{a}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {grantable.map((name) => (
                <tr>
                  <th scope="row">{name}</th>
                  {ACCESS.map((a) => (
                    <td>
                      <input type="checkbox" name="scope" value={`${name}:${a}`} aria-label={`${name} ${a}`} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {anyScope ? (
          <label>
            Other scopes{' '}
            <span class="hint">separated by spaces: * (everything), NAME:* (all of one automation), or a scope a manifest names</span>
            <input type="text" name="otherScopes" />
          </label>
        ) : null}
      </fieldset>
      <label>
        Expires <span class="hint">the end of that day (UTC); empty: never</span>
        <input type="date" name="expires" />
      </label>
      <button type="submit">Make the key</button>
    </form>
  </Layout>
);
