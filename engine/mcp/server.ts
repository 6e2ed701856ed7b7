import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import { servedVersions } from '../compile/versions.ts';
import type { CouncilConfig } from '../config/config.ts';
import { HttpProblem } from '../errors/problem.ts';
import { clientAddress } from '../http/automation-routes.ts';
import { rateLimitHeaders } from '../http/rate-limit-answer.ts';
import type { Logger } from '../log.ts';
import type { Monitor } from '../observe/monitor.ts';
import type { RelatedPlans } from '../openapi/related.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import { requestHeaders } from '../request/request-header.ts';
import { grantsAll } from '../schema/scopes.ts';
import { type Authenticator, type Principal, presentedKey } from '../security/authenticator.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import { instructionsFor } from './instructions.ts';
import { readMcpMessage } from './message.ts';
import { baseUrl, METADATA_PATH, mcpChallenge, protectedResourceMetadata } from './protected-resource.ts';
import { DEFAULT_SESSION_LIMITS, type SessionLimits, type SessionOwner, SessionTable } from './sessions.ts';
import { requestFor } from './tool-request.ts';
import { argumentsProblem, toolError, toolResult } from './tool-result.ts';
import { type Tool, toolsOf } from './tools.ts';

/**
 * The MCP SDK, loaded by the first session: with its schemas (zod) it was about 4% of the
 * main thread's CPU in a start of the examples, paid by every server whether a model ever connects or not.
 */
let sdkLoading: Promise<typeof import('./sdk.ts')> | undefined;
const sdk = () => {
  sdkLoading ??= import('./sdk.ts');
  return sdkLoading;
};

interface Session {
  readonly server: Server;
  readonly transport: WebStandardStreamableHTTPServerTransport;
}

/** What the engine's routes need of MCP. */
export interface McpEndpoint {
  /** `/mcp`: streamable HTTP (POST, GET for the event stream, DELETE to end a session). */
  handle(c: Context): Promise<Response>;
  /** `/.well-known/oauth-protected-resource[/mcp]`: RFC 9728 metadata. */
  metadata(c: Context): Response;
  /** Closes every session (the engine is stopping). */
  close(): void;
  /** Sessions open now. */
  sessionCount(): number;
}

/** Tuning for tests: session limits and the clock idle expiry reads. */
export interface McpOptions {
  readonly sessions?: Partial<SessionLimits>;
  readonly now?: () => number;
}

/**
 * The MCP endpoint (streamable HTTP): one tool per endpoint of every serving automation,
 * listed from the same plans as OpenAPI, and called by sending the endpoint's own HTTP
 * request through the engine, so keys, scopes, validation, limits and audit are the same.
 *
 * /mcp itself is guarded like an endpoint: the key is checked (a missing one is a 401
 * pointing at the RFC 9728 metadata, unless public tools are serving), then the rate
 * limit of the caller (its key, or its address). Sessions belong to their key (or, without
 * one, their address): a key sees the tools its scopes allow (and the public ones), can use
 * only its own sessions, and can only ever push out its own (see {@link SessionTable}).
 * When what serves changes, every session hears `notifications/tools/list_changed`.
 */
export function mcpEndpoint(options: {
  registry: AutomationRegistry;
  auth: Authenticator;
  limiter: RateLimiter;
  config: () => CouncilConfig;
  logger: Logger;
  version: string;
  /** The engine's own fetch, through which tool calls go. */
  dispatch: () => (request: Request, env?: unknown) => Response | Promise<Response>;
  /** Counts tool calls and the endpoint's 429s. */
  monitor: Monitor;
  mcp?: McpOptions;
}): McpEndpoint {
  const { registry, auth, logger, limiter, config } = options;
  const limits = { ...DEFAULT_SESSION_LIMITS, ...options.mcp?.sessions };
  const sessions = new SessionTable<Session>(
    limits,
    (session) => {
      session.server.close().catch(() => {});
    },
    options.mcp?.now,
  );
  registry.onChange(() => {
    for (const { server } of sessions.sessions()) server.sendToolListChanged().catch(() => {});
  });

  const related = servingRelated(registry);
  const findTool = (name: string): Tool | undefined => {
    for (const plan of servedPlans(registry)) {
      const tool = toolsOf(plan, related).find((t) => t.definition.name === name);
      if (tool) return tool;
    }
    return undefined;
  };

  const newSession = async (owner: SessionOwner, authInfo: AuthInfo): Promise<Session> => {
    const { Server, WebStandardStreamableHTTPServerTransport, CallToolRequestSchema, ListToolsRequestSchema } = await sdk();
    const plans = servedPlans(registry);
    const server = new Server(
      { name: 'theCouncil', version: options.version },
      {
        capabilities: { tools: { listChanged: true } },
        instructions: instructionsFor(plans, (e) => visible(e, authInfo), { anonymous: owner.startsWith('a:') }),
      },
    );
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        if (!sessions.add(id, owner, session)) logger.warn('mcp session refused: the session table is full', { owner: ownerKind(owner) });
      },
      onsessionclosed: (id) => sessions.delete(id),
    });
    const session = { server, transport };
    server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => ({
      tools: servedPlans(registry)
        .flatMap((plan) => toolsOf(plan, related).filter((t) => visible(t.endpoint, extra.authInfo)))
        .map((t) => t.definition),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tool = findTool(request.params.name);
      if (!tool) {
        return toolError({
          type: '/problems/not-found',
          title: 'Not found',
          status: 404,
          detail: `no tool "${request.params.name}" is serving now; list the tools again`,
          code: 'not-found',
        });
      }
      const args = request.params.arguments ?? {};
      const problems = tool.check(args);
      if (problems.length) return argumentsProblem(tool, problems);
      const call = requestFor(tool.endpoint, tool.input, args, 'http://mcp.internal');
      if (call.errors) return argumentsProblem(tool, call.errors);
      if (extra.authInfo?.token) call.request.headers.set('authorization', `Bearer ${extra.authInfo.token}`);
      const env = (extra.authInfo?.extra as { env?: unknown } | undefined)?.env;
      const result = await toolResult(tool, await options.dispatch()(call.request, env), args);
      options.monitor.toolCalls.add(`${tool.definition.name}\0${result.isError ? 'error' : 'ok'}`);
      return result;
    });
    server.onerror = (error) => logger.warn('mcp session error', { error: error.message });
    return session;
  };

  return {
    async handle(c) {
      const base = baseUrl(config().server.publicUrl, c.req.url);
      const challenge = { 'www-authenticate': mcpChallenge(base) };
      const headers = requestHeaders(c);
      let principal: Principal | undefined;
      let refusal: HttpProblem | undefined;
      if (headers.get('authorization') || headers.get('x-api-key')) {
        try {
          principal = auth.recent(headers) ?? (await auth.authenticate(headers));
        } catch (error) {
          if (!(error instanceof HttpProblem)) throw error;
          refusal = new HttpProblem(error.code, error.detail, { headers: { ...error.options.headers, ...challenge } });
        }
      }
      const owner: SessionOwner = principal ? `k:${principal.keyId}` : `a:${clientAddress(c, config().server.trustedProxies)}`;
      // Failed keys count against the address too, so guessing keys is limited like anything else.
      const decision = limiter.take(`mcp\0${owner}`, config().rateLimit);
      const decided = decision instanceof Promise ? await decision : decision;
      if (!decided.allowed) options.monitor.rateLimited.add('mcp');
      const rateHeaders = rateLimitHeaders(decided, '/mcp') ?? {};
      if (refusal) throw refusal;
      if (!principal && !servesPublicTools(registry)) {
        throw new HttpProblem(
          'unauthorized',
          `the MCP tools of this server need an API key: send it as \`Authorization: Bearer <key>\` (an administrator creates one with \`council keys create\`); ${METADATA_PATH}/mcp describes this resource`,
          { headers: challenge },
        );
      }
      // A tool call's own request keeps only the peer of /mcp's (its rate limit by address, its
      // origin), never Node's message: the call's headers (If-Match, Idempotency-Key) are its own.
      const socket = (c.env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket;
      const env = { incoming: { socket } };
      const authInfo: AuthInfo = principal
        ? { token: presentedKey(headers) ?? '', clientId: principal.keyId, scopes: [...principal.scopes], extra: { env } }
        : { token: '', clientId: 'anonymous', scopes: [], extra: { env } };
      // Read here, not by the SDK, so numbers are checked before anything is parsed into doubles.
      const parsedBody = c.req.method === 'POST' ? await readMcpMessage(c.req.raw) : undefined;
      const id = c.req.header('mcp-session-id');
      let session = id === undefined ? undefined : sessions.use(id, owner);
      if (!session) {
        if (id !== undefined) {
          throw new HttpProblem(
            'not-found',
            `no MCP session "${id}" for this caller (it ended, was idle too long, or the server restarted); initialize a new one without mcp-session-id`,
          );
        }
        if (c.req.method === 'POST' && !sessions.admits(owner)) {
          throw new HttpProblem(
            'sessions-full',
            'this server holds as many MCP sessions as it keeps; end unused sessions (DELETE /mcp with their mcp-session-id) or retry after the delay in Retry-After',
            { headers: { 'retry-after': '60' } },
          );
        }
        session = await newSession(owner, authInfo);
        await session.server.connect(session.transport);
      }
      return withHeaders(
        await session.transport.handleRequest(c.req.raw, { authInfo, ...(parsedBody === undefined ? {} : { parsedBody }) }),
        rateHeaders,
      );
    },
    metadata(c) {
      const base = baseUrl(config().server.publicUrl, c.req.url);
      const path = c.req.path.slice(METADATA_PATH.length);
      if (path !== '' && path !== '/mcp') {
        throw new HttpProblem('not-found', `no protected resource metadata for "${path}"; see ${METADATA_PATH} or ${METADATA_PATH}/mcp`);
      }
      const plans = registry.serving().map((m) => m.plan);
      return c.json(protectedResourceMetadata(`${base}${path}`, base, plans));
    },
    close() {
      sessions.closeAll();
    },
    sessionCount: () => sessions.size,
  };
}

/** The serving automations, as tools name what their references reach (scopes, relations, cascades). */
function servingRelated(registry: AutomationRegistry): RelatedPlans {
  return {
    plan: (name) => registry.match(name)?.plan,
    referrers: (name) => registry.referrers(name).map((r) => ({ plan: r.mounted.plan, reference: r.reference })),
  };
}

/** Some serving endpoint answers without a key: then /mcp lists those tools to callers without one. */
function servesPublicTools(registry: AutomationRegistry): boolean {
  return registry.serving().some((m) => m.plan.endpoints.some((e) => e.access.public));
}

/** A tool is listed when it is public or the key holds every scope it needs. */
function visible(endpoint: EndpointPlan, authInfo: AuthInfo | undefined): boolean {
  if (endpoint.access.public) return true;
  return grantsAll(authInfo?.scopes ?? [], endpoint.access.scopes);
}

function ownerKind(owner: SessionOwner): string {
  return owner.startsWith('k:') ? 'key' : 'no key';
}

/** The transport's response with headers added (its own headers may be immutable; its body may be a stream). */
function withHeaders(response: Response, extra: Record<string, string>): Response {
  const names = Object.keys(extra);
  if (names.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const name of names) headers.set(name, extra[name] as string);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Every version served now, each automation's latest first: each has tools of its own (`listAccountsV1`). */
function servedPlans(registry: AutomationRegistry): AutomationPlan[] {
  return registry.serving().flatMap((m) => servedVersions(m.plan));
}
