import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { requestOrigin } from '../request/request-origin.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { csrfMatches, type SessionRecord } from '../security/console-session.ts';
import type { UserRecord } from '../security/user-store.ts';
import { actorOf, type ConsoleEnv } from './console-env.ts';
import { MessagePage } from './pages/layout.tsx';
import { render } from './render.ts';
import { allows, type Need } from './routes.ts';
import { SESSION_COOKIE } from './session-cookie.ts';
import type { ConsoleStores } from './stores.ts';

/** Routes a user with a one-time password may use: choosing a new one, and leaving. */
const BEFORE_NEW_PASSWORD = new Set(['/console/password', '/console/logout']);

/**
 * The guard of one console route, from its line in CONSOLE_ROUTES. A write (POST) must come
 * from a page of this server: a browser's `Sec-Fetch-Site` and `Origin` say where a form was,
 * and a signed-in form must carry its session's `_csrf`. Then: signed in (else to the sign-in
 * page, or 401 for a write), a chosen password, and at least the role `need` (else 403).
 */
export function guard(
  need: Need,
  stores: ConsoleStores,
  audit: AuditLog,
  trustedProxies: () => readonly string[],
): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const write = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    if (write && !sameOrigin(c, trustedProxies())) {
      return refuse(c, 403, 'Refused', 'This form was sent from another site, so it was not carried out. Use the console’s own pages.');
    }
    if (need === 'anyone') return next();
    const token = getCookie(c, SESSION_COOKIE);
    const found = token ? await signedIn(stores, token) : undefined;
    if (!token || !found) {
      if (!write) return c.redirect(`/console/login?${new URLSearchParams({ next: pathAndQuery(c) })}`, 303);
      return refuse(c, 401, 'Signed out', 'You are not signed in (or your session ended), so nothing was changed. Sign in and try again.');
    }
    const { session, user } = found;
    c.set('user', user);
    c.set('session', session);
    c.set('token', token);
    if (write && !csrfMatches(session, (await c.req.parseBody())._csrf)) {
      return refuse(
        c,
        403,
        'Refused',
        'This form is from an older session or another site, so nothing was changed. Reload the page and try again.',
        found,
      );
    }
    if (user.mustChangePassword && !BEFORE_NEW_PASSWORD.has(c.req.path)) {
      if (!write) return c.redirect('/console/password', 303);
      return refuse(c, 403, 'Choose a password first', 'You signed in with a one-time password: choose your own first.', found);
    }
    if (!allows(user.role, need)) {
      audit.record({
        actor: actorOf(user),
        action: `console ${c.req.method} ${c.req.path}`,
        outcome: 'denied',
        status: 403,
        detail: `needs ${need}`,
      });
      return refuse(
        c,
        403,
        'Not allowed',
        `This needs the ${need} role; you are signed in as ${user.role}. An admin can change your role.`,
        found,
      );
    }
    await next();
  };
}

/** The session of a cookie's token and its user, while both are valid; a session of a disabled or removed user is ended. */
async function signedIn(stores: ConsoleStores, token: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
  const session = await stores.sessions((s) => s.find(token));
  if (!session) return undefined;
  const user = await stores.users((u) => u.get(session.userId));
  if (user && !user.disabledAt) return { session, user };
  await stores.sessions((s) => s.revoke(token));
  return undefined;
}

/**
 * Whether a write came from this server's own pages. `Sec-Fetch-Site` (every current
 * browser sends it) must be same-origin, or none (typed, bookmarked); `Origin`, when sent,
 * must be the one the request reached. A client that sends neither (curl) is not a browser
 * another site can drive.
 */
function sameOrigin(c: Context, trustedProxies: readonly string[]): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  if (!origin) return true;
  return origin !== 'null' && origin.toLowerCase() === requestOrigin(c, trustedProxies);
}

function pathAndQuery(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

function refuse(c: Context, status: 401 | 403, title: string, message: string, frame?: { session: SessionRecord; user: UserRecord }) {
  return render(c, MessagePage({ title, message, ...(frame ? { user: frame.user, csrf: frame.session.csrf } : {}) }), status);
}
