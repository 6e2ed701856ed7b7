/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Child, FC } from 'hono/jsx';
import { ROLES } from '../../security/console-user.ts';
import type { UserRecord } from '../../security/user-store.ts';
import { allows, CONSOLE_ROUTES, type Need } from '../routes.ts';
import { Csrf, type Frame, Layout, Notice } from './layout.tsx';

/** What the last action on the page said: a problem, or a one-time password to hand over (shown this once). */
export interface UsersOutcome {
  readonly error?: string;
  readonly done?: string;
  readonly password?: { readonly email: string; readonly password: string };
}

/** Console users (admins only): who they are, their role and state, and a form to add one. */
export const UsersPage: FC<
  Frame & { csrf: string; users: readonly UserRecord[]; outcome?: UsersOutcome; draft?: Record<string, string> }
> = ({ users, outcome, draft, ...frame }) => (
  <Layout title="Users" section="users" {...frame}>
    {outcome?.error ? <Notice kind="error">{outcome.error}</Notice> : null}
    {outcome?.done ? <Notice kind="ok">{outcome.done}</Notice> : null}
    {outcome?.password ? (
      <Notice kind="ok">
        One-time password for {outcome.password.email}: <span class="secret">{outcome.password.password}</span>. It is shown only now; hand
        it over privately. They choose their own at first sign-in.
      </Notice>
    ) : null}
    <table>
      <thead>
        <tr>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">State</th>
          <th scope="col">Last sign-in</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {users.map((u) => (
          <tr>
            <td>{u.email}</td>
            <td>
              {u.role}
              {u.role === 'editor' && u.automations ? <div class="hint">{`may edit: ${u.automations.join(', ')}`}</div> : null}
            </td>
            <td>{u.disabledAt ? `disabled ${u.disabledAt}` : u.mustChangePassword ? 'active, one-time password' : 'active'}</td>
            <td>{u.lastLoginAt ?? 'never'}</td>
            <td>
              {u.id === frame.user?.id ? (
                <span class="muted">you</span>
              ) : (
                <>
                  <UserAction id={u.id} email={u.email} action={u.disabledAt ? 'enable' : 'disable'} csrf={frame.csrf}>
                    {u.disabledAt ? 'Enable' : 'Disable'}
                  </UserAction>{' '}
                  <UserAction id={u.id} email={u.email} action="reset" csrf={frame.csrf}>
                    New one-time password
                  </UserAction>{' '}
                  <UserAction id={u.id} email={u.email} action="sessions/revoke" csrf={frame.csrf}>
                    Sign out everywhere
                  </UserAction>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <h2 id="roles">What each role may do</h2>
    <p class="hint">Every console route and the roles that may call it, from the table the console registers its routes with.</p>
    <table aria-labelledby="roles">
      <thead>
        <tr>
          <th scope="col">Route</th>
          {ROLES.map((r) => (
            <th scope="col">{r}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {(Object.entries(CONSOLE_ROUTES) as [string, Need][])
          .filter(([, need]) => need !== 'anyone')
          .map(([route, need]) => (
            <tr>
              <td>
                <code>{`${route.replace(' /', ' /console/').replace(/\/$/, '')}`}</code>
              </td>
              {ROLES.map((r) => (
                <td>{allows(r, need) ? 'yes' : 'no'}</td>
              ))}
            </tr>
          ))}
      </tbody>
    </table>
    <p class="hint">An editor given some automations edits, and grants keys on, those only; one given none, all of them.</p>
    <h2 id="add">Add a user</h2>
    <form class="stack" method="post" action="/console/users" aria-labelledby="add">
      <Csrf token={frame.csrf} />
      <label>
        Email
        <input type="email" name="email" required value={draft?.email ?? ''} autocomplete="off" />
      </label>
      <label>
        Role <span class="hint">admin: everything; editor: automations and keys; viewer: reads only</span>
        <select name="role">
          {ROLES.map((r) => (
            <option value={r} selected={(draft?.role ?? 'viewer') === r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        Automations an editor may edit <span class="hint">names separated by commas; empty: all of them</span>
        <input type="text" name="automations" value={draft?.automations ?? ''} />
      </label>
      <button type="submit">Add user</button>
    </form>
  </Layout>
);

/** One action on one user; the button's name says whose, for a screen reader going down the column. */
const UserAction: FC<{ id: string; email: string; action: string; csrf: string; children: Child }> = ({
  id,
  email,
  action,
  csrf,
  children,
}) => (
  <form class="inline" method="post" action={`/console/users/${id}/${action}`}>
    <Csrf token={csrf} />
    <button class="quiet" type="submit">
      {children}
      <span class="visually-hidden">{` (${email})`}</span>
    </button>
  </form>
);
