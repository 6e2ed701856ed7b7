import path from 'node:path';
import { type Context, Hono } from 'hono';
import { LRUCache } from 'lru-cache';
import { pastSunset } from '../compile/versions.ts';
import type { CouncilConfig } from '../config/config.ts';
import type { ConsoleEnv } from '../console/console-env.ts';
import { describeProblem, HttpProblem } from '../errors/problem.ts';
import { createAutomationsApp } from '../http/automations-app.ts';
import { deprecationHeaders, sunsetProblem } from '../http/deprecation.ts';
import { renderError } from '../http/errors.ts';
import type { Logger } from '../log.ts';
import { VERSION_SEGMENT } from '../manifest/load.ts';
import { METADATA_PATH } from '../mcp/protected-resource.ts';
import type { McpEndpoint } from '../mcp/server.ts';
import { ANONYMOUS, type EndpointLabel, type Usage } from '../observe/usage.ts';
import type { AutomationRegistry, MountedAutomation } from '../registry/registry.ts';
import { requestIdOf } from '../request/request-id.ts';
import { requestOrigin } from '../request/request-origin.ts';
import { RequestScope } from '../request/route-table.ts';
import type { AdminEnv } from './admin.ts';
import { docsApp } from './docs.ts';
import { automationOpenApi, ORIGINS_CACHED, openApiView } from './openapi-view.ts';
import { livez } from './probes.ts';

/**
 * The engine's fetch handler: a request whose first path segment names a serving
 * automation goes to the one router of all automations with that automation's routes
 * (one Map lookup); everything else goes to the engine's own routes.
 */
export function createFetch(parts: {
  registry: AutomationRegistry;
  config: () => CouncilConfig;
  logger: Logger;
  admin: Hono<AdminEnv>;
  /** The web console, at /console. */
  console: Hono<ConsoleEnv>;
  mcp: McpEndpoint;
  health: (c: Context) => Promise<Response>;
  ready: (c: Context) => Promise<Response>;
  metrics: (c: Context) => Promise<Response>;
  /** Where each automation request is counted when answered; absent when neither metrics nor analytics are on. */
  usage?: Usage;
}) {
  const { registry, config, logger, admin, mcp, health, usage } = parts;
  const engineApp = new Hono();
  engineApp.route('/admin', admin);
  engineApp.route('/console', parts.console);
  const openapi = openApiView(registry, config);
  engineApp.all('/mcp', (c) => mcp.handle(c));
  // RFC 9728: what /mcp's 401 points at, for the server and for /mcp.
  engineApp.get(METADATA_PATH, (c) => mcp.metadata(c));
  engineApp.get(`${METADATA_PATH}/*`, (c) => mcp.metadata(c));
  engineApp.get('/health', health);
  engineApp.get('/livez', livez);
  engineApp.get('/readyz', parts.ready);
  engineApp.get('/metrics', parts.metrics);
  const origin = (c: Context) => requestOrigin(c, config().server.trustedProxies);
  engineApp.get('/openapi.json', (c) => c.json(openapi(origin(c))));
  // Swagger UI over the live document, its assets from the installed package (no CDN): each
  // page load fetches /openapi.json, so it shows what serves after every reload.
  engineApp.route('/docs', docsApp(config));
  // One automation's document: what a GPT Action imports. Built once per mounted version, config, origin (a few)
  // and what serves beside it (its words name what references reach).
  const specs = new WeakMap<MountedAutomation, { config: CouncilConfig; serving: number; docs: LRUCache<string, object> }>();
  engineApp.get('/automations/:name/openapi.json', (c) => {
    const mounted = registry.match(c.req.param('name'));
    if (!mounted) throw new HttpProblem('not-found', `no automation "${c.req.param('name')}" is serving; see /health`);
    let spec = specs.get(mounted);
    if (spec?.config !== config() || spec.serving !== registry.version) {
      spec = { config: config(), serving: registry.version, docs: new LRUCache({ max: ORIGINS_CACHED }) };
      specs.set(mounted, spec);
    }
    const from = origin(c);
    const key = config().server.publicUrl ? '' : (from ?? '');
    let doc = spec.docs.get(key);
    if (!doc) {
      const related = mounted.plan.references.length || registry.referrers(mounted.plan.name).length ? registry.serving() : [];
      doc = automationOpenApi(
        mounted.plan,
        config(),
        from,
        related.map((m) => m.plan),
      );
      spec.docs.set(key, doc);
    }
    return c.json(doc);
  });
  // TypeScript types of what serves now, so clients can regenerate after every reload.
  // A relation's type is imported from the referred automation's file: the versions serving of those count too.
  const types = new WeakMap<MountedAutomation, { version: string; source: Promise<string> }>();
  engineApp.get('/automations/:name/types.ts', async (c) => {
    const mounted = registry.match(c.req.param('name'));
    if (!mounted) throw new HttpProblem('not-found', `no automation "${c.req.param('name')}" is serving; see /health`);
    const referred = mounted.plan.references.map((r) => registry.match(r.automation));
    const version = [mounted.version, ...referred.map((m) => m?.version ?? '-')].join('.');
    let cached = types.get(mounted);
    if (cached?.version !== version) {
      const file = config().file;
      const root = file ? path.dirname(file) : process.cwd();
      const related = referred.flatMap((m) => (m ? [m.plan] : []));
      // Loaded on the first request for types: json-schema-to-typescript brings prettier, a third of a second at start.
      const source = import('../types/index.ts').then(({ generateTypes }) =>
        generateTypes(mounted.plan, path.relative(root, mounted.plan.file).split(path.sep).join('/'), { related }),
      );
      cached = { version, source };
      types.set(mounted, cached);
    }
    return c.body(await cached.source, 200, { 'content-type': 'text/plain; charset=utf-8', etag: `"${version}"` });
  });
  engineApp.get('/problems/:code', (c) => {
    const problem = describeProblem(c.req.param('code'));
    if (!problem) throw new HttpProblem('not-found', `no problem type "${c.req.param('code')}"`);
    return c.json(problem);
  });
  engineApp.notFound((c) => {
    const unserved = registry.unservedFailure(firstSegment(c.req.url));
    if (unserved?.state === 'unavailable') {
      // Its store could not be reached (or refused the change): say so, rather than "no such route".
      const name = c.req.path.split('/')[1];
      return unserved.retry
        ? new HttpProblem(
            'storage-unavailable',
            `${name} is not serving yet: its store cannot be reached and the engine keeps retrying; retry after the delay in Retry-After`,
            {
              headers: { 'retry-after': '5' },
            },
          ).toResponse()
        : new HttpProblem(
            'storage-unavailable',
            `${name} is not serving: its store is not available until an operator fixes its manifest or connection (see /health for why)`,
          ).toResponse();
    }
    const names = registry.serving().map((m) => m.plan.basePath);
    return new HttpProblem(
      'not-found',
      `no route ${c.req.path}; automations are served under ${names.join(', ') || '(none loaded)'}; see /openapi.json`,
    ).toResponse();
  });
  engineApp.onError((error, c) => {
    const requestId = requestIdOf(c);
    const response = renderError(error, logger, { requestId, method: c.req.method, path: c.req.path });
    response.headers.set('x-request-id', requestId);
    return response;
  });
  const automations = createAutomationsApp(logger, registry);
  // `/v1/accounts/...`: the same router, one segment deeper.
  const versionedApp = createAutomationsApp(logger, registry, '/:version');

  // `env` is what the Node adapter passes (the incoming socket, for the client's address).
  return (request: Request, env?: unknown): Response | Promise<Response> => {
    const first = firstSegment(request.url);
    const latest = registry.match(first);
    if (latest) return serve(latest, automations, request, env);
    if (!VERSION_SEGMENT.test(first)) return engineApp.fetch(request, env);
    const path = new URL(request.url).pathname;
    const named = registry.match(path.split('/')[2] ?? '');
    if (!named) return engineApp.fetch(request, env);
    const number = Number(first.slice(1));
    const mounted = named.plan.version.number === number ? named : named.earlier.get(number);
    if (!mounted) {
      const served = [named, ...named.earlier.values()].map((m) => `${m.plan.version.number} (${m.plan.basePath})`);
      return new HttpProblem(
        'not-found',
        `${named.plan.name} has no version ${number}; it serves versions ${served.join(', ')}`,
      ).toResponse();
    }
    const deprecation = mounted.plan.version.deprecation;
    if (!deprecation) return serve(mounted, versionedApp, request, env);
    if (pastSunset(deprecation)) return sunsetProblem(deprecation, path, mounted.plan.basePath, mounted.plan.name).toResponse();
    const headers = deprecationHeaders(deprecation, path, mounted.plan.basePath, mounted.loadedAt);
    const answer = serve(mounted, versionedApp, request, env);
    const mark = (response: Response) => {
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
      return response;
    };
    return answer instanceof Promise ? answer.then(mark) : mark(answer);
  };

  function serve(
    mounted: MountedAutomation,
    app: (request: Request, scope: RequestScope) => Response | Promise<Response>,
    request: Request,
    env?: unknown,
  ): Response | Promise<Response> {
    // Counted so a reload can tell when the version it replaced has finished its requests.
    mounted.traffic.active++;
    // Timed only when something reads durations: the clock is a call into Node each time.
    const started = usage || config().server.accessLog ? performance.now() : 0;
    const scope = new RequestScope(env as { incoming?: unknown; outgoing?: unknown } | undefined, mounted.routes, started);
    let response: Response | Promise<Response>;
    try {
      response = app(request, scope);
    } catch (error) {
      answered(mounted, scope, undefined);
      throw error;
    }
    if (!(response instanceof Promise)) return answered(mounted, scope, response) as Response;
    return response.then(
      (done) => answered(mounted, scope, done) as Response,
      (error: unknown) => {
        answered(mounted, scope, undefined);
        throw error;
      },
    );
  }

  /**
   * The usage record of an automation request, by the endpoint that answered or
   * `unmatched` (404, 405); and its access-log line when `server.accessLog` is on.
   * `response` is undefined when the handler threw past every error handler (a 500).
   * Leaves the version's traffic, and returns `response`.
   */
  function answered(mounted: MountedAutomation, scope: RequestScope, response: Response | undefined): Response | undefined {
    mounted.traffic.leave();
    const accessLog = config().server.accessLog;
    if (!usage && !accessLog) return response;
    const endpoint = scope.endpoint ?? unmatched(mounted.plan.name);
    const status = response?.status ?? 500;
    // 0: not timed (the access log was turned on by a reload while it ran).
    const seconds = scope.started === 0 ? 0 : (performance.now() - scope.started) / 1000;
    const caller = scope.caller ?? ANONYMOUS;
    const bytes = scope.body === undefined ? 0 : Buffer.byteLength(scope.body);
    usage?.record(endpoint, status, caller, seconds, bytes);
    if (accessLog) {
      const requestId = response?.headers.get('x-request-id');
      logger.info('request', {
        ...(requestId ? { requestId } : {}),
        automation: endpoint.automation,
        operation: endpoint.operation,
        status,
        durationMs: Math.round(seconds * 1e6) / 1000,
        key: caller,
        bytes,
      });
    }
    return response;
  }

  /** The label of a request under `automation` that no endpoint answered (404, 405). */
  function unmatched(automation: string): EndpointLabel {
    return usage?.label(automation, 'unmatched') ?? { automation, operation: 'unmatched' };
  }
}

/** `http://h/accounts/1?x` -> `accounts`, without building a URL object on the hot path. */
export function firstSegment(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2) + 1;
  if (start === 0) return '';
  let end = start;
  while (end < url.length) {
    const ch = url.charCodeAt(end);
    if (ch === 47 || ch === 63 || ch === 35) break; // '/', '?', '#'
    end++;
  }
  return url.slice(start, end);
}
