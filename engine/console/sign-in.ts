import { getCookie } from 'hono/cookie';
import { clientAddress } from '../http/automation-routes.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { passwordProblem } from '../security/console-user.ts';
import type { RateLimit, RateLimiter } from '../security/rate-limit.ts';
import { actorOf } from './console-env.ts';
import type { On } from './on.ts';
import { LoginPage } from './pages/login.tsx';
import { PasswordPage } from './pages/password.tsx';
import { render } from './render.ts';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from './session-cookie.ts';
import type { ConsoleStores } from './stores.ts';

/**
 * Sign-in attempts, through the API's own limiter: per client address (one machine trying
 * many accounts) and per email (many machines trying one account). Every attempt counts.
 */
export const LOGIN_LIMITS: { readonly address: RateLimit; readonly email: RateLimit } = {
  address: { requests: 10, perSeconds: 60 },
  email: { requests: 10, perSeconds: 600 },
};

/** Where a sign-in goes on to: a console path the form carried, never another site. */
export function safeNext(next: string | undefined): string {
  return next && /^\/console(\/[^/\\]|$|\?)/.test(next) ? next : '/console/automations';
}

/** Signing in and out, and changing one's own password. */
export function addSignIn(
  on: On,
  parts: { stores: ConsoleStores; limiter: RateLimiter; audit: AuditLog; trustedProxies: () => readonly string[] },
) {
  const { stores, limiter, audit, trustedProxies } = parts;
  on('GET /login', (c) => render(c, LoginPage({ next: safeNext(c.req.query('next')) })));
  on('POST /login', async (c) => {
    const body = await c.req.parseBody();
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    const decisions = await Promise.all([
      limiter.take(`console-login:a:${clientAddress(c, trustedProxies())}`, LOGIN_LIMITS.address),
      limiter.take(`console-login:e:${email.toLowerCase()}`, LOGIN_LIMITS.email),
    ]);
    const refused = decisions.find((d) => !d.allowed);
    if (refused) {
      audit.record({
        actor: `user:${email.toLowerCase()}`,
        action: 'console.login',
        outcome: 'denied',
        status: 429,
        detail: 'too many attempts',
      });
      c.header('retry-after', String(refused.retryAfterSeconds));
      const error = `Too many sign-in attempts. Wait ${refused.retryAfterSeconds} s, then try again.`;
      return render(c, LoginPage({ next, email, error }), 429);
    }
    const user = email && password ? await stores.users((u) => u.verifyPassword(email, password)) : undefined;
    if (!user) {
      audit.record({ actor: `user:${email.toLowerCase()}`, action: 'console.login', outcome: 'denied', status: 401 });
      const error = 'That email and password do not match an active user.';
      return render(c, LoginPage({ next, email, error }), 401);
    }
    // A session this browser held before (another user's, or its own) ends: one cookie, one session.
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) await stores.sessions((s) => s.revoke(previous));
    const { token } = await stores.sessions((s) => s.create(user.id));
    await stores.users((u) => u.recordLogin(user.id));
    setSessionCookie(c, token, trustedProxies());
    audit.record({ actor: actorOf(user), action: 'console.login', outcome: 'ok' });
    return c.redirect(user.mustChangePassword ? '/console/password' : next, 303);
  });
  on('POST /logout', async (c) => {
    await stores.sessions((s) => s.revoke(c.get('token')));
    clearSessionCookie(c);
    audit.record({ actor: actorOf(c.get('user')), action: 'console.logout', outcome: 'ok' });
    return c.redirect('/console/login', 303);
  });
  on('GET /password', (c) => render(c, PasswordPage({ user: c.get('user'), csrf: c.get('session').csrf })));
  on('POST /password', async (c) => {
    const user = c.get('user');
    const session = c.get('session');
    const body = await c.req.parseBody();
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const answer = (error: string, status: 400 | 401) => render(c, PasswordPage({ user, csrf: session.csrf, error }), status);
    if (field('password') !== field('confirm')) return answer('The two new passwords differ; type the same one twice.', 400);
    const problem = passwordProblem(field('password'), user.email);
    if (problem) return answer(`Not changed: ${problem}.`, 400);
    if (field('password') === field('current')) return answer('Not changed: the new password is the current one.', 400);
    if (!(await stores.users((u) => u.verifyPassword(user.email, field('current'))))) {
      audit.record({ actor: actorOf(user), action: 'user.password', outcome: 'denied', status: 401, detail: 'wrong current password' });
      return answer('Not changed: the current password is wrong.', 401);
    }
    const changed = await stores.users((u) => u.changePassword(user.id, field('password')));
    // Whoever else held a session (a stolen cookie, a forgotten browser) is signed out.
    await stores.sessions((s) => s.revokeUser(user.id, session.id));
    audit.record({ actor: actorOf(user), action: 'user.password', outcome: 'ok' });
    return render(c, PasswordPage({ user: changed ?? user, csrf: session.csrf, done: true }));
  });
}
