import type { Context } from 'hono';
import type { AuditLog } from '../security/audit-log.ts';
import { checkNewUser } from '../security/console-user.ts';
import { DuplicateEmailError, describeUser, type UserRecord } from '../security/user-store.ts';
import { actorOf, type ConsoleEnv } from './console-env.ts';
import type { On } from './on.ts';
import { type UsersOutcome, UsersPage } from './pages/users.tsx';
import { render } from './render.ts';
import type { ConsoleStores } from './stores.ts';

/**
 * Console users, for admins: the list, adding one (its one-time password shown once, on the
 * answer to the form), disabling and enabling, a new one-time password, and signing a user
 * out everywhere. Each is audited with the admin as actor; an admin cannot lock themself out.
 */
export function addUserPages(on: On, parts: { stores: ConsoleStores; audit: AuditLog }) {
  const { stores, audit } = parts;
  const page = async (
    c: Context<ConsoleEnv>,
    outcome?: UsersOutcome,
    status: 200 | 201 | 400 | 404 | 409 = 200,
    draft?: Record<string, string>,
  ) => {
    const users = await stores.users((u) => u.list());
    return render(
      c,
      UsersPage({ user: c.get('user'), csrf: c.get('session').csrf, users, ...(outcome ? { outcome } : {}), ...(draft ? { draft } : {}) }),
      status,
    );
  };
  on('GET /users', (c) => page(c));
  on('POST /users', async (c) => {
    const body = await c.req.parseBody();
    const draft = Object.fromEntries(
      ['email', 'role', 'automations'].map((f) => [f, typeof body[f] === 'string' ? (body[f] as string) : '']),
    );
    const automations = (draft.automations ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const checked = checkNewUser({ email: draft.email, role: draft.role, ...(automations.length ? { automations } : {}) });
    if ('problems' in checked) return page(c, { error: `Not added: ${checked.problems.join('; ')}.` }, 400, draft);
    try {
      const { password, user } = await stores.users((u) => u.create(checked.user));
      audit.record({ actor: actorOf(c.get('user')), action: 'user.create', outcome: 'ok', detail: describeUser(user) });
      return page(c, { password: { email: user.email, password } }, 201);
    } catch (error) {
      if (error instanceof DuplicateEmailError) return page(c, { error: `Not added: ${error.message}.` }, 409, draft);
      throw error;
    }
  });
  /** An action on another user, by id from the path; 404 for none, 400 for oneself. */
  const action = (name: string, run: (target: UserRecord) => Promise<UsersOutcome>) => async (c: Context<ConsoleEnv>) => {
    const target = await stores.users((u) => u.get(c.req.param('id') ?? ''));
    if (!target) return page(c, { error: 'No such user (it may have been removed meanwhile).' }, 404);
    if (target.id === c.get('user').id) return page(c, { error: 'You cannot do that to your own account; another admin can.' }, 400);
    const outcome = await run(target);
    audit.record({ actor: actorOf(c.get('user')), action: `user.${name}`, outcome: 'ok', detail: target.email });
    return page(c, outcome);
  };
  on(
    'POST /users/:id/disable',
    action('disable', async (target) => {
      await stores.users((u) => u.disable(target.email));
      const ended = await stores.sessions((s) => s.revokeUser(target.id));
      return { done: `${target.email} is disabled; ${ended} session(s) ended.` };
    }),
  );
  on(
    'POST /users/:id/enable',
    action('enable', async (target) => {
      await stores.users((u) => u.enable(target.email));
      return { done: `${target.email} can sign in again.` };
    }),
  );
  on(
    'POST /users/:id/reset',
    action('reset', async (target) => {
      const reset = await stores.users((u) => u.resetPassword(target.email));
      await stores.sessions((s) => s.revokeUser(target.id));
      return reset ? { password: { email: target.email, password: reset.password } } : { error: 'No such user.' };
    }),
  );
  on(
    'POST /users/:id/sessions/revoke',
    action('sessions.revoke', async (target) => {
      const ended = await stores.sessions((s) => s.revokeUser(target.id));
      return { done: `${target.email} is signed out everywhere (${ended} session(s) ended).` };
    }),
  );
}
