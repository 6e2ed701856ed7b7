import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { requestOrigin } from '../request/request-origin.ts';
import { SESSION_HOURS } from '../security/console-session.ts';

/** The cookie that holds a console session's token; only `/console` ever receives it. */
export const SESSION_COOKIE = 'council_session';

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page or link sends it),
 * Secure when the console was reached over https (directly or through a trusted proxy).
 */
export function setSessionCookie(c: Context, token: string, trustedProxies: readonly string[]): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: '/console',
    httpOnly: true,
    sameSite: 'Strict',
    secure: requestOrigin(c, trustedProxies)?.startsWith('https:') ?? false,
    maxAge: SESSION_HOURS * 3600,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/console' });
}
