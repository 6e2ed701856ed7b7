import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Context } from 'hono';
import { HttpProblem } from '../http/problem.ts';
import { requestHeaders } from '../http/request-header.ts';
import type { Logger } from '../log.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import { type Authenticator, type Principal, presentedKey } from '../security/authenticator.ts';
import { grantsAll } from '../security/scopes.ts';
import { requestFor, toolFor } from './tools.ts';

/** Sessions kept at once; past it the oldest is closed (a client that comes back opens a new one). */
const MAX_SESSIONS = 1000;

interface Session {
  readonly server: Server;
  readonly transport: WebStandardStreamableHTTPServerTransport;
}

/**
 * The MCP endpoint (streamable HTTP): one tool per endpoint of every serving automation,
 * listed from the same plans as OpenAPI, and called by sending the endpoint's own HTTP
 * request through the engine, so keys, scopes, validation, limits and audit are the same.
 * A key sees the tools its scopes allow (and the public ones). When what serves changes,
 * every session hears `notifications/tools/list_changed`.
 */
export function mcpEndpoint(options: {
  registry: AutomationRegistry;
  auth: Authenticator;
  logger: Logger;
  version: string;
  /** The engine's own fetch, through which tool calls go. */
  dispatch: () => (request: Request, env?: unknown) => Response | Promise<Response>;
}) {
  const { registry, auth, logger } = options;
  const sessions = new Map<string, Session>();
  registry.onChange(() => {
    for (const { server } of sessions.values()) server.sendToolListChanged().catch(() => {});
  });

  const newSession = (): Session => {
    const server = new Server({ name: 'theCouncil', version: options.version }, { capabilities: { tools: { listChanged: true } } });
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        if (sessions.size >= MAX_SESSIONS) {
          const [oldest] = sessions.keys();
          if (oldest !== undefined) closeSession(oldest);
        }
        sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    const session = { server, transport };
    server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => ({
      tools: registry.serving().flatMap((m) => m.plan.endpoints.filter((e) => visible(e, extra.authInfo)).map((e) => toolFor(m.plan, e))),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const found = registry
        .serving()
        .flatMap((m) => m.plan.endpoints.map((e) => ({ plan: m.plan, endpoint: e })))
        .find(({ endpoint }) => endpoint.operationId === request.params.name);
      if (!found) {
        return {
          content: [{ type: 'text', text: `no tool "${request.params.name}" is serving now; list the tools again` }],
          isError: true,
        };
      }
      const call = requestFor(found.endpoint, request.params.arguments ?? {}, 'http://mcp.internal');
      if (extra.authInfo?.token) call.headers.set('authorization', `Bearer ${extra.authInfo.token}`);
      const env = (extra.authInfo?.extra as { env?: unknown } | undefined)?.env;
      const response = await options.dispatch()(call, env);
      const text = response.status === 204 ? '{"deleted":true}' : await response.text();
      return { content: [{ type: 'text', text }], isError: response.status >= 400 };
    });
    server.onerror = (error) => logger.warn('mcp session error', { error: error.message });
    return session;
  };

  const closeSession = (id: string) => {
    const session = sessions.get(id);
    sessions.delete(id);
    session?.transport.close().catch(() => {});
  };

  return async (c: Context): Promise<Response> => {
    const authInfo = await authInfoOf(auth, c);
    const id = c.req.header('mcp-session-id');
    let session = id === undefined ? undefined : sessions.get(id);
    if (!session) {
      if (id !== undefined) {
        throw new HttpProblem(
          'not-found',
          `no MCP session "${id}" (it ended or the server restarted); initialize a new one without mcp-session-id`,
        );
      }
      session = newSession();
      await session.server.connect(session.transport);
    }
    return session.transport.handleRequest(c.req.raw, authInfo ? { authInfo } : {});
  };
}

/** The key of the request as MCP auth info (a bad key is the usual 401); none without a key. */
async function authInfoOf(auth: Authenticator, c: Context): Promise<AuthInfo | undefined> {
  const headers = requestHeaders(c);
  if (!headers.get('authorization') && !headers.get('x-api-key'))
    return { token: '', clientId: 'anonymous', scopes: [], extra: { env: c.env } };
  const principal: Principal = auth.recent(headers) ?? (await auth.authenticate(headers));
  // The key exactly as authenticated, so a tool call presents the same one.
  const token = presentedKey(headers) ?? '';
  return { token, clientId: principal.keyId, scopes: [...principal.scopes], extra: { env: c.env } };
}

/** A tool is listed when it is public or the key holds every scope it needs. */
function visible(endpoint: { access: { public: boolean; scopes: readonly string[] } }, authInfo: AuthInfo | undefined): boolean {
  if (endpoint.access.public) return true;
  return grantsAll(authInfo?.scopes ?? [], endpoint.access.scopes);
}
