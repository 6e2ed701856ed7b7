import { Hono } from 'hono';
import type { RecordStore } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import type { Logger } from '../log.ts';
import type { AuditLog } from '../security/audit-log.ts';
import type { Authenticator } from '../security/authenticator.ts';
import { renderError } from './errors.ts';
import { HttpProblem } from './problem.ts';
import { type Handler, recordHandler } from './record-handlers.ts';
import { newRecordId } from './record-id.ts';

/**
 * One automation's own small router, mounted by base path. Built once when the
 * automation is bound and never changed afterwards: a new version gets a new router.
 */
export function buildAutomationRouter(
  plan: AutomationPlan,
  store: RecordStore,
  options: { bodyLimit: number; logger: Logger; auth: Authenticator; audit: AuditLog },
): Hono {
  const app = new Hono();
  const allowed = { collection: [] as string[], item: [] as string[], search: [] as string[] };
  // `/search` before `/:id`, so the search route answers its own path.
  const endpoints = [...plan.endpoints].sort((a, b) => Number(b.operation === 'search') - Number(a.operation === 'search'));
  for (const endpoint of endpoints) {
    const group = endpoint.operation === 'search' ? 'search' : endpoint.path.endsWith('/{id}') ? 'item' : 'collection';
    app.on(
      endpoint.method,
      endpoint.path.replace('{id}', ':id'),
      guarded(plan.name, endpoint, recordHandler(plan, endpoint, store, options.bodyLimit), options),
    );
    // HEAD is answered wherever GET is (Hono runs the GET handler without the body).
    allowed[group].push(...(endpoint.method === 'GET' ? ['GET', 'HEAD'] : [endpoint.method]));
  }
  app.notFound((c) => {
    const rest = c.req.path.slice(plan.basePath.length);
    if (rest.endsWith('/')) {
      const without = c.req.path.replace(/\/+$/, '');
      return new HttpProblem('not-found', `no route ${c.req.path}; remove the trailing slash: ${without}`).toResponse();
    }
    const methods =
      rest === ''
        ? allowed.collection
        : rest === '/search' && allowed.search.length
          ? allowed.search
          : /^\/[^/]+$/.test(rest)
            ? allowed.item
            : [];
    if (methods.length === 0) {
      return new HttpProblem('not-found', `no route ${c.req.path}; see /openapi.json for the operations of ${plan.basePath}`).toResponse();
    }
    return new HttpProblem('method-not-allowed', `${c.req.method} is not available on ${c.req.path}; allowed: ${methods.join(', ')}`, {
      headers: { allow: methods.join(', ') },
    }).toResponse();
  });
  app.onError((error) => renderError(error, options.logger));
  return app;
}

const WRITES: ReadonlySet<string> = new Set(['create', 'update', 'replace', 'delete']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The handler behind the key check (unless the endpoint is public), audited: every write
 * and every denied request is recorded with the key's id, never the key or the body. The
 * check runs before the body is read, so a denied request has no effect.
 */
function guarded(automation: string, endpoint: EndpointPlan, handler: Handler, options: { auth: Authenticator; audit: AuditLog }): Handler {
  const write = WRITES.has(endpoint.operation);
  if (endpoint.access.public && !write) return handler;
  const { auth, audit } = options;
  return async (c) => {
    const given = c.req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : newRecordId();
    c.header('x-request-id', requestId);
    const entry = { actor: 'anonymous', action: endpoint.operation, automation, requestId };
    try {
      if (!endpoint.access.public) {
        const principal = await auth.authenticate(c.req.raw.headers);
        entry.actor = principal.keyId;
        auth.authorize(principal, endpoint.access.scopes);
      }
      const response = await handler(c);
      if (write) {
        const recordId = c.req.param('id') ?? response.headers.get('location')?.split('/').pop();
        audit.record({
          ...entry,
          ...(recordId ? { recordId } : {}),
          outcome: response.status < 400 ? 'ok' : 'failed',
          status: response.status,
        });
      }
      return response;
    } catch (error) {
      const status = error instanceof HttpProblem ? error.status : undefined;
      const denied = status === 401 || status === 403;
      if (denied || write) {
        const recordId = c.req.param('id');
        audit.record({
          ...entry,
          ...(recordId ? { recordId } : {}),
          outcome: denied ? 'denied' : 'failed',
          ...(status ? { status } : {}),
          ...(error instanceof HttpProblem ? { detail: error.code } : {}),
        });
      }
      throw error;
    }
  };
}
