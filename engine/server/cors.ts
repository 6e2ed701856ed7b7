/**
 * CORS for the configured origins only. Off when none are configured; an origin not
 * listed gets no CORS header at all (the browser then blocks the page), and the allowed
 * origin is echoed exactly, never `*` and never an arbitrary request's origin. No
 * credentials: keys travel in headers a page sets itself, not in cookies.
 */
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
// The Mcp-* headers and Last-Event-ID let a page in an allowed origin speak MCP at /mcp.
const ALLOW_HEADERS =
  'Authorization, Content-Type, If-Match, X-API-Key, Idempotency-Key, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
const EXPOSE_HEADERS = 'ETag, Location, Retry-After, WWW-Authenticate, Allow, Mcp-Session-Id';
const MAX_AGE_SECONDS = '600';

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

export function withCors(fetch: Fetch, origins: () => readonly string[]): Fetch {
  return (request, env) => {
    // Asked only when some origin is allowed: reading one header builds every header of the request.
    const allowed = origins();
    if (allowed.length === 0) return fetch(request, env);
    const origin = request.headers.get('origin');
    if (!origin || !allowed.includes(origin)) return fetch(request, env);
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': ALLOW_METHODS,
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': MAX_AGE_SECONDS,
          vary: 'Origin',
        },
      });
    }
    const answer = fetch(request, env);
    return answer instanceof Promise ? answer.then((r) => allow(r, origin)) : allow(answer, origin);
  };
}

function allow(response: Response, origin: string): Response {
  // Responses built by the server may have immutable headers: copy into a new one.
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', origin);
  headers.set('access-control-expose-headers', EXPOSE_HEADERS);
  headers.append('vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
