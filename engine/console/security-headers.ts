import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/**
 * Every console answer: nothing but this server's own files may load (no inline script or
 * style, so an injected tag does nothing), no other site may frame a page (clickjacking),
 * forms post only here, and pages are not cached (they show a signed-in user's data).
 */
const csp = (styleNonce: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    // The YAML editor (CodeMirror) adds its own <style> element: allowed by this response's nonce only.
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

/** A random nonce per answer (`styleNonce` on the context, for a page whose script adds styles), then the headers. */
export const securityHeaders: MiddlewareHandler<{ Variables: { styleNonce: string } }> = async (c, next) => {
  const nonce = randomBytes(16).toString('base64');
  c.set('styleNonce', nonce);
  await next();
  const headers = c.res.headers;
  headers.set('content-security-policy', csp(nonce));
  headers.set('x-frame-options', 'DENY');
  headers.set('x-content-type-options', 'nosniff');
  headers.set('referrer-policy', 'same-origin');
  headers.set('cross-origin-opener-policy', 'same-origin');
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
};
