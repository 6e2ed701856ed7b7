import type { Context } from 'hono';
import type { RecordStore, SharedDatabase } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { Logger } from '../log.ts';
import type { Monitor } from '../observe/monitor.ts';
import type { RelatedAutomations } from '../registry/registry.ts';
import { withinDeadline } from '../request/deadline.ts';
import { requestHeaders } from '../request/request-header.ts';
import { requestIdOf } from '../request/request-id.ts';
import { type RouteHandler, type RouteTable, scopeOf } from '../request/route-table.ts';
import type { AuditLog } from '../security/audit-log.ts';
import type { Authenticator, Principal } from '../security/authenticator.ts';
import type { RateDecision, RateLimit, RateLimiter } from '../security/rate-limit.ts';
import { addGuardHeader, guardHeaders, wasReplayed, writtenId } from './answer.ts';
import type { Idempotency } from './idempotency.ts';
import { listHandler } from './list-handler.ts';
import { rateLimitHeaders } from './rate-limit-answer.ts';
import { type Handler, recordHandler } from './record-handlers.ts';

/**
 * One automation's handlers, by path shape and method, for the shared router
 * (automations-app.ts). Built once when the automation is bound and never changed
 * afterwards: a new version gets a new table.
 */
export function buildAutomationRoutes(
  plan: AutomationPlan,
  store: RecordStore,
  options: { bodyLimit: number; logger: Logger; shared?: SharedDatabase | undefined } & RouterGuards,
): RouteTable {
  const shapes = {
    collection: new Map<string, RouteHandler>(),
    item: new Map<string, RouteHandler>(),
    search: new Map<string, RouteHandler>(),
    batch: new Map<string, RouteHandler>(),
  };
  for (const endpoint of plan.endpoints) {
    const shape =
      endpoint.operation === 'search' || endpoint.operation === 'batch'
        ? endpoint.operation
        : endpoint.path.endsWith('/{id}')
          ? 'item'
          : 'collection';
    const handler = guarded(plan.name, endpoint, recordHandler(plan, endpoint, store, options.bodyLimit, options.idempotency, options), {
      ...options,
      rateLimit: plan.rateLimit ?? options.defaultRateLimit,
      counted: countedName(plan),
    });
    shapes[shape].set(endpoint.method, handler);
  }
  // Each reference publishes a reverse list on the referred automation's path, with this list's guards.
  const list = plan.endpoints.find((e) => e.operation === 'list');
  const inverse = new Map<string, RouteHandler>();
  if (list) {
    for (const reference of plan.references) {
      const handler = listHandler(plan, list, store, options, reference);
      inverse.set(
        `${reference.automation}/${reference.inverse}`,
        guarded(plan.name, list, handler, {
          ...options,
          rateLimit: plan.rateLimit ?? options.defaultRateLimit,
          counted: countedName(plan),
        }),
      );
    }
  }
  // HEAD is answered wherever GET is (Hono runs the GET handler without the body).
  const allowed = (table: ReadonlyMap<string, RouteHandler>) =>
    [...table.keys()].flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
  // Answered with an X-Request-Id like every other error of an endpoint, so a caller can quote it.
  const unmatched = (c: Context): Response => {
    const headers = { 'x-request-id': requestIdOf(c) };
    const rest = c.req.path.slice(plan.basePath.length);
    if (rest.endsWith('/')) {
      const without = c.req.path.replace(/\/+$/, '');
      return new HttpProblem('not-found', `no route ${c.req.path}; remove the trailing slash: ${without}`, { headers }).toResponse();
    }
    const methods =
      rest === ''
        ? allowed(shapes.collection)
        : rest === '/search' && shapes.search.size
          ? allowed(shapes.search)
          : rest === '/batch' && shapes.batch.size
            ? allowed(shapes.batch)
            : /^\/[^/]+$/.test(rest)
              ? allowed(shapes.item)
              : '';
    if (methods === '') {
      return new HttpProblem('not-found', `no route ${c.req.path}; see /openapi.json for the operations of ${plan.basePath}`, {
        headers,
      }).toResponse();
    }
    return new HttpProblem('method-not-allowed', `${c.req.method} is not available on ${c.req.path}; allowed: ${methods}`, {
      headers: { ...headers, allow: methods },
    }).toResponse();
  };
  return {
    collection: shapes.collection,
    item: shapes.item,
    ...(shapes.search.size ? { search: shapes.search } : {}),
    ...(shapes.batch.size ? { batch: shapes.batch } : {}),
    ...(inverse.size ? { inverse } : {}),
    unmatched,
  };
}

/**
 * The headers the guards set before a handler failed (X-Request-Id, RateLimit-*) on the
 * error's answer too: Hono answers a thrown error with what `onError` returns, without them.
 */
export function withGuardHeaders(c: Context, response: Response): Response {
  const headers = guardHeaders(c);
  if (headers) for (const [name, value] of Object.entries(headers)) if (!response.headers.has(name)) response.headers.set(name, value);
  return response;
}

const WRITES: ReadonlySet<string> = new Set(['create', 'update', 'replace', 'delete', 'batch', 'upsert']);

/** What the engine hands every router: the shared guards and the default rate limit. */
export type RouterGuards = Omit<Guards, 'rateLimit' | 'counted'> & { readonly defaultRateLimit: RateLimit };

export interface Guards {
  readonly auth: Authenticator;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  /** The automation's limit per client (the manifest's, else the config's). */
  readonly rateLimit: RateLimit;
  /** Proxies whose X-Forwarded-For names the client. */
  readonly trustedProxies: readonly string[];
  /** Idempotency-Key on create and update. */
  readonly idempotency: Idempotency;
  /** Longest a handler may take before the caller gets a 504 (`server.requestTimeoutSeconds`); 0: no deadline. */
  readonly timeoutMs: number;
  /** The automations serving now: what references lead to (expand, checks, cascades, reverse lists). */
  readonly related: RelatedAutomations;
  /** Where requests are counted (the endpoint and caller of each go on its scope; 429s and replays here). */
  readonly monitor: Monitor;
  /** The name they are counted under, when not the automation's ({@link countedName}). */
  readonly counted?: string;
}

/**
 * Every endpoint behind its guards, in this order: the API key (unless public), the rate
 * limit of the caller (its key, or its address without one), the key's scopes, then the
 * handler. Writes and denied requests are audited with the key's id, never the key or
 * the body. Nothing runs before the guards pass, so a refused request has no effect.
 *
 * A read whose guards can decide at once (a public endpoint or a key seen in the last
 * seconds, an in-process rate limit) and whose store answers at once (memory) is answered
 * without a promise: no microtask, no deadline entry, and the Node adapter writes it in the
 * same turn. State passes as arguments, so a read allocates no closure and no audit entry.
 */
/**
 * The name requests are counted under (metrics, analytics): an earlier version's are
 * `accounts@v1`, so who still calls it shows. Rate limits and audit go by the automation.
 */
export function countedName(plan: AutomationPlan): string {
  return plan.version.latest ? plan.name : `${plan.name}@v${plan.version.number}`;
}

function guarded(automation: string, endpoint: EndpointPlan, handler: Handler, guards: Guards): Handler {
  const write = WRITES.has(endpoint.operation);
  const { auth, audit, limiter, rateLimit, trustedProxies, timeoutMs, monitor } = guards;
  const { public: open, scopes } = endpoint.access;
  const action = endpoint.operation;
  const limitPrefix = `${automation}\0`;
  const label = monitor.usage.label(guards.counted ?? automation, action);

  /** The key's verdict known: the rate limit (failed keys count against the address too, so guessing is limited). */
  function known(c: Context, principal: Principal | undefined, refusal: unknown, requestId: string): Response | Promise<Response> {
    // Idempotency keys belong to their caller (a write without a key: `anonymous`).
    if (write && principal) c.set('actor', principal.keyId);
    if (principal) {
      const scope = scopeOf(c);
      if (scope) {
        scope.caller = principal.name;
        scope.granted = principal.scopes;
      }
    }
    let decision: RateDecision | Promise<RateDecision>;
    try {
      decision = limiter.take(limitPrefix + (principal ? `k:${principal.keyId}` : `a:${clientAddress(c, trustedProxies)}`), rateLimit);
    } catch (error) {
      return failed(c, error, principal, requestId);
    }
    return decision instanceof Promise
      ? decision.then(
          (taken) => decided(c, taken, principal, refusal, requestId),
          (error: unknown) => failed(c, error, principal, requestId),
        )
      : decided(c, decision, principal, refusal, requestId);
  }

  /** Within the limit and holding the scopes: the handler. */
  function decided(
    c: Context,
    decision: RateDecision,
    principal: Principal | undefined,
    refusal: unknown,
    requestId: string,
  ): Response | Promise<Response> {
    try {
      if (!decision.allowed) monitor.rateLimited.add(automation);
      const headers = rateLimitHeaders(decision, 'this automation');
      if (headers) for (const [name, value] of Object.entries(headers)) addGuardHeader(c, name, value);
      if (refusal) throw refusal;
      if (principal) auth.authorize(principal, scopes);
    } catch (error) {
      return failed(c, error, principal, requestId);
    }
    if (write) return written(c, principal, requestId);
    const work = handler(c);
    return timeoutMs > 0 && work instanceof Promise ? withinDeadline(work, timeoutMs, false) : work;
  }

  async function written(c: Context, principal: Principal | undefined, requestId: string): Promise<Response> {
    try {
      const work = Promise.resolve(handler(c));
      // After a 504 (audited below) the write runs on; its own entry says what it did in the end.
      const response = await (timeoutMs > 0
        ? withinDeadline(work, timeoutMs, true, (late) => recordWrite(c, principal, requestId, late.response, 'completed after timeout'))
        : work);
      const replayed = wasReplayed(c);
      if (replayed) monitor.idempotentReplays.add(automation);
      // A batch audited each of its writes (batch-handler.ts); a replay wrote nothing new.
      if (action !== 'batch' || replayed) recordWrite(c, principal, requestId, response, replayed ? 'idempotent replay' : undefined);
      // The kept answer is a Response of its own, which Hono sends without the guards' headers.
      return replayed ? withGuardHeaders(c, response) : response;
    } catch (error) {
      return failed(c, error, principal, requestId);
    }
  }

  /** A write's audit entry, from its answer: the record id from the path, or (a create) the one it made or replayed. */
  function recordWrite(
    c: Context,
    principal: Principal | undefined,
    requestId: string,
    response: Response | undefined,
    detail?: string,
  ): void {
    if (!audit.enabled) return;
    const status = response?.status;
    audit.record({
      actor: principal ? principal.keyId : 'anonymous',
      action,
      automation,
      // A replayed create names its record in the kept Location only.
      recordId:
        action === 'create' || action === 'upsert'
          ? (writtenId(c) ?? (wasReplayed(c) ? response?.headers.get('location')?.split('/').pop() : undefined))
          : c.req.param('id'),
      requestId,
      outcome: status !== undefined && status < 400 ? 'ok' : 'failed',
      status,
      detail,
    });
  }

  /** A refused request (401, 403) or a failed write, audited; then the error again. */
  function failed(c: Context, error: unknown, principal: Principal | undefined, requestId: string): never {
    const status = error instanceof HttpProblem ? error.status : undefined;
    const denied = status === 401 || status === 403;
    // A client over its limit is counted, not audited: a flood must not flood the log.
    if (status !== 429 && (denied || write)) {
      const recordId = c.req.param('id');
      const id = requestId || requestIdOf(c);
      // An audited answer says which entry is its own.
      addGuardHeader(c, 'x-request-id', id);
      audit.record({
        actor: principal ? principal.keyId : 'anonymous',
        action,
        automation,
        requestId: id,
        ...(recordId ? { recordId } : {}),
        outcome: denied ? 'denied' : 'failed',
        ...(status ? { status } : {}),
        ...(error instanceof HttpProblem ? { detail: error.code } : {}),
      });
    }
    throw error;
  }

  return (c) => {
    const scope = scopeOf(c);
    if (scope) scope.endpoint = label;
    // A write is always audited, so it gets its request id (and header) up front.
    const requestId = write ? requestIdOf(c) : '';
    if (write) addGuardHeader(c, 'x-request-id', requestId);
    if (open) return known(c, undefined, undefined, requestId);
    const headers = requestHeaders(c);
    let principal: Principal | undefined;
    try {
      // A key seen in the last seconds is answered without a promise.
      principal = auth.recent(headers);
    } catch (error) {
      return known(c, undefined, error, requestId);
    }
    if (principal) return known(c, principal, undefined, requestId);
    return auth.authenticate(headers).then(
      (found) => known(c, found, undefined, requestId),
      (error: unknown) => known(c, undefined, error, requestId),
    );
  };
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then the
 * X-Forwarded-For chain is read from the right and the first address that is not a
 * trusted proxy is the client. Never the leftmost entry as such: anyone can write it.
 */
export function clientAddress(c: Context, trustedProxies: readonly string[]): string {
  const peer = plain(
    (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown',
  );
  if (trustedProxies.length === 0 || !trustedProxies.includes(peer)) return peer;
  const chain = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((a) => plain(a.trim()))
    .filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) if (!trustedProxies.includes(chain[i] as string)) return chain[i] as string;
  return chain[0] ?? peer;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
