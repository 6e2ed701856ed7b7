import type { Hono } from 'hono';
import { HttpProblem } from '../errors/problem.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import { openOnce } from '../registry/open-once.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { checkNewUser } from '../security/console-user.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import { DuplicateEmailError, describeUser, shownUser, UserStore } from '../security/user-store.ts';
import type { AdminEnv } from './admin.ts';

/**
 * `/admin/users`: console users through a running server, for `council users` (which
 * cannot open an embedded store the server holds). `GET` lists them, `POST` creates one,
 * `POST /users/disable` and `POST /users/reset` take `{ "email" }`. A created or reset
 * user's one-time `password` is in that answer only; no answer carries a hash. Each
 * change is audited (`user.create`, `user.disable`, `user.reset`), never with a password.
 */
export function addUserRoutes(app: Hono<AdminEnv>, connections: ConnectionPool, audit: AuditLog): void {
  // Opened by the first call: a server whose console is never used never creates the table.
  const store = openOnce(async () => UserStore.open(await connections.get(SYSTEM_CONNECTION)));
  app.get('/users', async (c) => c.json({ data: (await (await store()).list()).map(shownUser) }));
  app.post('/users', async (c) => {
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    const checked = checkNewUser(body ?? {});
    if ('problems' in checked) {
      throw new HttpProblem('validation-failed', `${checked.problems.join('; ')}; send { "email", "role", "automations"?: [names] }`);
    }
    try {
      const { password, user } = await (await store()).create(checked.user);
      audit.record({ actor: c.get('actor'), action: 'user.create', outcome: 'ok', detail: describeUser(user) });
      return c.json({ data: shownUser(user), password }, 201);
    } catch (error) {
      if (error instanceof DuplicateEmailError) throw new HttpProblem('conflict', `${error.message}; GET /admin/users lists them`);
      throw error;
    }
  });
  app.post('/users/disable', async (c) => {
    const email = await emailOf(c.req.raw);
    const user = await (await store()).disable(email);
    if (!user) throw notFound(email);
    audit.record({ actor: c.get('actor'), action: 'user.disable', outcome: 'ok', detail: user.email });
    return c.json({ data: shownUser(user) });
  });
  app.post('/users/reset', async (c) => {
    const email = await emailOf(c.req.raw);
    const reset = await (await store()).resetPassword(email);
    if (!reset) throw notFound(email);
    audit.record({ actor: c.get('actor'), action: 'user.reset', outcome: 'ok', detail: reset.user.email });
    return c.json({ data: shownUser(reset.user), password: reset.password });
  });
}

async function emailOf(request: Request): Promise<string> {
  const body = (await request.json().catch(() => null)) as { email?: unknown } | null;
  if (typeof body?.email !== 'string' || body.email.trim() === '')
    throw new HttpProblem('validation-failed', 'send { "email": "<a user\'s email>" }');
  return body.email;
}

function notFound(email: string): HttpProblem {
  return new HttpProblem('not-found', `no user has the email "${email}"; GET /admin/users lists them`);
}
