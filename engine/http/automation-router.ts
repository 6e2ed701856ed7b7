import { Hono } from 'hono';
import type { RecordStore } from '../../adapters/types.ts';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import type { Logger } from '../log.ts';
import type { Authenticator } from '../security/authenticator.ts';
import { renderError } from './errors.ts';
import { HttpProblem } from './problem.ts';
import { type Handler, recordHandler } from './record-handlers.ts';

/**
 * One automation's own small router, mounted by base path. Built once when the
 * automation is bound and never changed afterwards: a new version gets a new router.
 */
export function buildAutomationRouter(
  plan: AutomationPlan,
  store: RecordStore,
  options: { bodyLimit: number; logger: Logger; auth: Authenticator },
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
      guarded(endpoint, recordHandler(plan, endpoint, store, options.bodyLimit), options.auth),
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

/** The handler behind the key check, unless the endpoint is public. The check runs before the body is read. */
function guarded(endpoint: EndpointPlan, handler: Handler, auth: Authenticator): Handler {
  if (endpoint.access.public) return handler;
  return async (c) => {
    auth.authorize(await auth.authenticate(c.req.raw.headers), endpoint.access.scopes);
    return handler(c);
  };
}
