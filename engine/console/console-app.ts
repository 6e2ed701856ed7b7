import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { StorageError } from '../../adapters/types.ts';
import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import type { CouncilConfig } from '../config/config.ts';
import type { FleetView } from '../fleet/heartbeat.ts';
import type { Logger } from '../log.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { AuditLog } from '../security/audit-log.ts';
import type { Authenticator } from '../security/authenticator.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import { assetFile } from './assets.ts';
import { addAutomationPages } from './automation-pages.ts';
import type { ConsoleEnv } from './console-env.ts';
import { addEditorPages, type ManifestEdits } from './editor-pages.ts';
import { guard } from './guard.ts';
import { addKeyPages } from './key-pages.ts';
import type { On } from './on.ts';
import { MessagePage } from './pages/layout.tsx';
import { render } from './render.ts';
import { CONSOLE_ROUTES } from './routes.ts';
import { securityHeaders } from './security-headers.ts';
import { serverTiming } from './server-timing.ts';
import { addSignIn } from './sign-in.ts';
import { consoleStores } from './stores.ts';
import { addUsagePages } from './usage-pages.ts';
import { addUserPages } from './user-pages.ts';

export interface ConsoleParts {
  readonly registry: AutomationRegistry;
  readonly config: () => CouncilConfig;
  readonly connections: ConnectionPool;
  readonly limiter: RateLimiter;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly edits: ManifestEdits;
  readonly auth: Authenticator;
  /** The engine's own routes (the try-it panel sends its requests through them). */
  readonly dispatch: (request: Request) => Promise<Response>;
  /** Absent when `analytics.enabled` is false. */
  readonly analytics?: UsageAnalytics;
  /** The instances sharing the system store; absent when it is embedded. */
  readonly fleet?: () => FleetView;
}

/** The largest form the console reads: a manifest's 512 KiB, with room for how forms encode it. */
export const CONSOLE_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * The web console, mounted at `/console`: server-rendered pages that work without
 * JavaScript, for console users signed in with a password (security/user-store.ts). Every
 * route is a line of CONSOLE_ROUTES and gets that line's guard (guard.ts).
 */
export function consoleApp(parts: ConsoleParts): Hono<ConsoleEnv> {
  const { registry, config, connections, limiter, audit, logger, edits, auth } = parts;
  const app = new Hono<ConsoleEnv>();
  const stores = consoleStores(connections, auth);
  const trustedProxies = () => config().server.trustedProxies;
  const registered = new Set<string>();
  const on: On = (key, handler) => {
    const [method, path] = key.split(' ') as [string, string];
    app.on(method, path, guard(CONSOLE_ROUTES[key], stores, audit, trustedProxies), handler);
    registered.add(key);
  };
  app.use('*', serverTiming);
  app.use('*', securityHeaders);
  app.use(
    '*',
    bodyLimit({
      maxSize: CONSOLE_BODY_LIMIT,
      onError: (c) =>
        render(
          c,
          MessagePage({ title: 'Too large', message: `A console form holds at most ${CONSOLE_BODY_LIMIT / 1024 / 1024} MiB.` }),
          413,
        ),
    }),
  );
  on('GET /assets/:file', async (c) => {
    const file = await assetFile(c.req.param('file') ?? '');
    if (!file) return c.text('no such file', 404);
    return c.body(file.body, 200, { 'content-type': file.type, 'cache-control': 'public, max-age=31536000, immutable' });
  });
  addSignIn(on, { stores, limiter, audit, trustedProxies });
  addAutomationPages(on, { registry, config, analytics: parts.analytics, stores, dispatch: parts.dispatch, fleet: parts.fleet });
  addEditorPages(on, { registry, config, edits, audit, connections, logger });
  addUsagePages(on, { registry, analytics: parts.analytics, audit });
  addKeyPages(on, { registry, auth, stores, audit, analytics: parts.analytics });
  addUserPages(on, { stores, audit });
  const missing = Object.keys(CONSOLE_ROUTES).filter((key) => !registered.has(key));
  if (missing.length > 0) throw new Error(`console routes without a handler: ${missing.join(', ')}`);
  app.all('*', (c) => render(c, MessagePage({ title: 'Not found', message: `The console has no page ${c.req.path}.` }), 404));
  app.onError((error, c) => {
    if (error instanceof StorageError && error.kind === 'unavailable') {
      logger.warn('console: the system store is unavailable', { path: c.req.path, error: error.message });
      c.header('retry-after', '5');
      return render(
        c,
        MessagePage({
          title: 'Unavailable',
          message: 'The system store (users and sessions) is not answering. Try again in a few seconds.',
        }),
        503,
      );
    }
    logger.error('console: request failed', { path: c.req.path, error: (error as Error).message });
    return render(
      c,
      MessagePage({ title: 'Something went wrong', message: 'The console could not answer this request. It is logged; try again.' }),
      500,
    );
  });
  return app;
}
