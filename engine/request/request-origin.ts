import type { Context } from 'hono';

/** A host name, IPv4 address or bracketed IPv6 address, with an optional port: nothing a URL could be bent with. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/**
 * The origin (`https://api.example.com`) a client reached this server at, for the
 * `servers` of the OpenAPI documents when `server.publicUrl` is not set: the request's
 * `Host` over plain HTTP, or, when the peer is one of `trustedProxies`, its
 * `X-Forwarded-Proto` and `X-Forwarded-Host` (the first value of each, as the proxy nearest
 * the client wrote it). Forwarded headers from any other peer are ignored: anyone can send
 * them. Undefined when the host is missing or is not a plain host name and port.
 */
export function requestOrigin(c: Context, trustedProxies: readonly string[]): string | undefined {
  const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } } } | undefined)?.incoming?.socket;
  const peer = socket?.remoteAddress ?? '';
  const trusted = trustedProxies.length > 0 && trustedProxies.includes(peer.startsWith('::ffff:') ? peer.slice(7) : peer);
  const forwardedProto = trusted ? firstValue(c.req.header('x-forwarded-proto'))?.toLowerCase() : undefined;
  const forwardedHost = trusted ? firstValue(c.req.header('x-forwarded-host')) : undefined;
  const proto = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : socket?.encrypted ? 'https' : 'http';
  const host = forwardedHost && HOST.test(forwardedHost) ? forwardedHost : c.req.header('host');
  if (!host || !HOST.test(host)) return undefined;
  return `${proto}://${host.toLowerCase()}`;
}

function firstValue(header: string | undefined): string | undefined {
  const first = header?.split(',')[0]?.trim();
  return first || undefined;
}
