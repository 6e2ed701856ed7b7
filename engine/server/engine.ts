import { backendsWith, capabilities } from '../../adapters/capabilities.ts';
import { UsageRecorder } from '../analytics/recorder.ts';
import { usageReport } from '../analytics/report.ts';
import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import { USAGE_SPEC } from '../analytics/usage-rows.ts';
import type { CouncilConfig } from '../config/config.ts';
import { consoleApp } from '../console/console-app.ts';
import { Heartbeat, INSTANCES_SPEC } from '../fleet/heartbeat.ts';
import { IDEMPOTENCY_SPEC, Idempotency } from '../http/idempotency.ts';
import type { Logger } from '../log.ts';
import { type McpOptions, mcpEndpoint } from '../mcp/server.ts';
import { Monitor } from '../observe/monitor.ts';
import { type ConnectionPool, serverPool } from '../registry/connections.ts';
import type { DataDirLock } from '../registry/data-dir-lock.ts';
import { openOnce } from '../registry/open-once.ts';
import { OutageLog } from '../registry/outage-log.ts';
import { AutomationRegistry } from '../registry/registry.ts';
import { planBinder } from '../reload/bind.ts';
import { Reloader } from '../reload/reloader.ts';
import { dependencyDeadlineMs } from '../request/deadline.ts';
import { AuditLog } from '../security/audit-log.ts';
import { auditStoreOf } from '../security/audit-open.ts';
import { Authenticator } from '../security/authenticator.ts';
import { KeyStore, SYSTEM_CONNECTION } from '../security/key-store.ts';
import { MemoryRateLimiter, type RateLimiter } from '../security/rate-limit.ts';
import { adminRoutes } from './admin.ts';
import { withCors } from './cors.ts';
import { createFetch } from './fetch.ts';
import { healthEndpoint } from './health.ts';
import { newLocalToken } from './local-admin.ts';
import { metricsEndpoint, metricsOff, metricsText } from './metrics.ts';
import { openApiOptions } from './openapi-view.ts';
import { readyz } from './probes.ts';

export interface Engine {
  /** The config in effect (a config reload replaces it). */
  readonly config: CouncilConfig;
  readonly registry: AutomationRegistry;
  readonly connections: ConnectionPool;
  /** Loads, reloads and removes automations; see {@link Reloader}. */
  readonly reloader: Reloader;
  /** Checks API keys on every endpoint that is not public. */
  readonly auth: Authenticator;
  /** Writes, denied requests, key and manifest events, in the system store. */
  readonly audit: AuditLog;
  /** The admin key made at this start because the system store had none: shown once, never stored. */
  readonly bootstrapKey: string | undefined;
  /** Authorizes `/admin` for local tools (see local-admin.ts); never logged. */
  readonly localToken: string;
  /** The whole HTTP surface as a fetch handler (engine routes + every automation). */
  readonly fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  /** What it counts (requests, store calls, 429s, replays, tool calls), for analytics and tests. */
  readonly monitor: Monitor;
  /** The Prometheus text of this engine (what `/metrics` and `server.metricsPort` answer). */
  metrics(): Promise<{ body: string; contentType: string }>;
  /** Ends the MCP sessions and their event streams, which never end by themselves: at shutdown, before waiting on requests in flight. */
  closeSessions(): void;
  /** From now on /readyz answers 503 `server-stopping` (a shutdown has begun); everything else still serves. */
  stopTakingWork(): void;
  close(): Promise<void>;
}

/**
 * Loads every manifest, compiles the valid ones and binds them to their stores. An
 * invalid manifest, or one whose store cannot be prepared, is reported and skipped;
 * the others serve. Later changes go through `engine.reloader`.
 */
export async function startEngine(
  config: CouncilConfig,
  logger: Logger,
  options: {
    strict?: boolean;
    /** Replaces the limiter the config describes (the benchmark measures what limiting costs). */
    limiter?: RateLimiter;
    /** The data directory's lock the server took; without it the connection pool takes one when it opens an embedded store. */
    lock?: DataDirLock;
    /** The pool `listen` made to start opening the system store early; one of its own when not given. */
    connections?: ConnectionPool;
    /** The admin token local tools read from the lock file; a new one when not given. */
    localToken?: string;
    /** MCP session limits and clock (tests). */
    mcp?: McpOptions;
  } = {},
): Promise<Engine> {
  const registry = new AutomationRegistry();
  const connections =
    options.connections ?? serverPool(config, { strict: options.strict ?? false, logger, ...(options.lock ? { lock: options.lock } : {}) });
  // Calls to shared stores on the request path wait far less than the request itself.
  const dependencyMs = dependencyDeadlineMs(config.server.requestTimeoutSeconds);
  // Request-path lines: one warning per store outage, not one per 503.
  const requestLog = new OutageLog(logger, (name) => connections.ping(name));
  const auth = new Authenticator(async () => KeyStore.open(await connections.get(SYSTEM_CONNECTION)), requestLog, {
    timeoutMs: dependencyMs,
    label: connections.label(SYSTEM_CONNECTION),
  });
  const audit = new AuditLog(auditStoreOf(connections), logger, config.audit.enabled);
  // Opened while the server starts, not by the first write's entry.
  audit.prepare();
  const limiter = options.limiter ?? (await rateLimiter(config, logger));
  const idempotency = new Idempotency(
    async () => {
      const connection = await connections.get(config.idempotency.store ?? SYSTEM_CONNECTION);
      // Where the store expires records itself, keys go with their window; elsewhere a reused key past it is reclaimed.
      const ttl = capabilities[connection.backend]?.ttl ? { ttlSeconds: config.idempotency.windowSeconds } : {};
      return connection.open({ ...IDEMPOTENCY_SPEC, ...ttl });
    },
    config.idempotency.windowSeconds,
    { timeoutMs: dependencyMs, label: connections.label(config.idempotency.store ?? SYSTEM_CONNECTION) },
  );
  // Read at start only (a reload that changes them is told to restart): routes bound before and after would disagree.
  const monitor = new Monitor({
    requests: config.metrics.enabled || config.analytics.enabled,
    storeCalls: config.metrics.enabled,
  });
  const bind = planBinder(connections, requestLog, { auth, audit, limiter, idempotency, monitor, related: registry });
  const reloader = new Reloader(config, registry, connections, requestLog, { bind, audit });
  await reloader.reloadAll({ trigger: 'start' });
  const analytics = usageAnalytics(config, monitor, connections, logger);
  let stopping = false;
  const heartbeat = fleetHeartbeat(config, registry, connections, logger, () => stopping);
  // The first beat before serving: /health knows the fleet from the first request on.
  await heartbeat?.beat();
  heartbeat?.start();
  const bootstrapKey = await bootstrapIfLocked(registry, auth, logger);
  const localToken = options.localToken ?? newLocalToken();
  // MCP tool calls go through the engine's own routes (not through CORS: they come from this process).
  const mcp = mcpEndpoint({
    registry,
    auth,
    limiter,
    config: () => reloader.config,
    logger: requestLog,
    version: openApiOptions(config).version,
    dispatch: () => routes,
    monitor,
    ...(options.mcp ? { mcp: options.mcp } : {}),
  });
  const admin = adminRoutes(auth, audit, localToken, connections, () => registry.serving().map((m) => m.plan), analytics);
  const health = healthEndpoint({
    registry,
    connections,
    ...(heartbeat ? { fleet: () => heartbeat.view() } : {}),
    reloads: () => reloader.counts,
    config: () => reloader.config,
    auth,
    localToken,
  });
  const metrics = metricsText({
    monitor,
    registry,
    connections,
    reloads: () => reloader.counts,
    auditWaiting: () => audit.waiting,
    mcpSessions: () => mcp.sessionCount(),
  });
  const consolePages = consoleApp({
    registry,
    config: () => reloader.config,
    connections,
    limiter,
    audit,
    logger: requestLog,
    auth,
    ...(analytics ? { analytics } : {}),
    ...(heartbeat ? { fleet: () => heartbeat.view() } : {}),
    // Late-bound: the routes are made below, with the console among them.
    dispatch: async (request) => routes(request),
    edits: { check: (file, text) => reloader.check(file, text), reload: (files) => reloader.reload(files, { trigger: 'console' }) },
  });
  const routes = createFetch({
    registry,
    console: consolePages,
    config: () => reloader.config,
    logger: requestLog,
    admin,
    mcp,
    health,
    ready: readyz(
      connections,
      () => stopping,
      () => heartbeat?.view().missing ?? [],
    ),
    metrics: config.metrics.enabled ? metricsEndpoint(metrics, auth, localToken) : metricsOff,
    ...(monitor.counting.requests ? { usage: monitor.usage } : {}),
  });
  const fetch = withCors(routes, () => reloader.config.server.corsOrigins);
  const retries = retryUnreachable(reloader);
  return {
    get config() {
      return reloader.config;
    },
    registry,
    connections,
    reloader,
    auth,
    audit,
    bootstrapKey,
    localToken,
    fetch,
    monitor,
    metrics,
    closeSessions: () => mcp.close(),
    stopTakingWork: () => {
      stopping = true;
      // The others learn at once that this one is leaving.
      void heartbeat?.beat();
    },
    close: async () => {
      retries.stop();
      mcp.close();
      // What was recorded before the close is written, unless the store is gone (then it waits no longer than this).
      await Promise.race([
        Promise.all([audit.close(), auth.flush(), analytics?.close()]),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
      await heartbeat?.close();
      await limiter.close?.();
      requestLog.close();
      await connections.closeAll();
    },
  };
}

/**
 * The first start of a project that serves a locked endpoint makes an admin key (`*`),
 * so `npm start` can be tried at once; it is returned to be shown once, and stored only
 * as a hash. Projects whose endpoints are all public never open the system store here.
 */
async function bootstrapIfLocked(registry: AutomationRegistry, auth: Authenticator, logger: Logger): Promise<string | undefined> {
  const locked = registry.serving().some((m) => m.plan.endpoints.some((e) => !e.access.public));
  if (!locked) return undefined;
  try {
    const store = await auth.store();
    if (!(await store.isEmpty())) return undefined;
    return (await store.create({ name: 'bootstrap admin', scopes: ['*'] })).secret;
  } catch (error) {
    logger.error('could not open the system store (API keys); locked endpoints answer 503 until it opens', {
      error: (error as Error).message,
    });
    return undefined;
  }
}

/**
 * Counts in the redis connection `rateLimit.store` names, when it has a URL; in this process
 * otherwise. The Redis limiter (and with it the Redis driver) loads only then.
 */
async function rateLimiter(config: CouncilConfig, logger: Logger): Promise<RateLimiter> {
  const store = config.rateLimit.store;
  if (!store) return new MemoryRateLimiter();
  const settings = config.connections.get(store);
  if (settings && capabilities[settings.backend]?.sharedCounters && settings.url) {
    const { LIMITER_TIMEOUT_MS, RedisRateLimiter } = await import('../security/redis-rate-limiter.ts');
    return new RedisRateLimiter(settings.url, logger, config.rateLimit.timeoutMs ?? LIMITER_TIMEOUT_MS);
  }
  logger.warn(
    `rateLimit.store "${store}" is not a ${backendsWith((can) => can.sharedCounters === true)} connection with a url: each instance counts its own rate limits`,
  );
  return new MemoryRateLimiter();
}

/**
 * The usage analytics of this engine (unless `analytics.enabled` is false): its counts are
 * written to the system store every `analytics.flushSeconds`, from the first flush on.
 */
function usageAnalytics(config: CouncilConfig, monitor: Monitor, connections: ConnectionPool, logger: Logger): UsageAnalytics | undefined {
  if (!config.analytics.enabled) return undefined;
  const open = openOnce(async () => (await connections.get(SYSTEM_CONNECTION)).open(USAGE_SPEC));
  const recorder = new UsageRecorder(monitor.usage, open, { ...config.analytics, logger });
  recorder.start();
  return {
    async report(query) {
      // What this instance counted since its last flush is in the answer too.
      await recorder.flush();
      return usageReport(await open(), query);
    },
    close: () => recorder.close(),
  };
}

/** First wait, and the longest, between attempts to bind automations whose store was unreachable. */
export const RETRY_DELAYS_MS = { first: 2000, max: 60_000 };

/**
 * Retries automations whose store could not be reached, waiting twice as long after
 * each attempt that still leaves some unreachable (up to a minute), and starting again
 * from the shortest wait once none is.
 */
function retryUnreachable(reloader: Reloader): { stop(): void } {
  let delay = RETRY_DELAYS_MS.first;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(async () => {
      const report = await reloader.retryUnreachable().catch(() => undefined);
      const stillDown = report?.files.some((f) => f.outcome === 'rejected') ?? false;
      delay = stillDown ? Math.min(delay * 2, RETRY_DELAYS_MS.max) : RETRY_DELAYS_MS.first;
      schedule();
    }, delay);
    // Never what keeps the process alive.
    timer.unref();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * This instance's heartbeat among those sharing its system store, when that store is a
 * server (an embedded one has one instance at a time): what it serves, written every
 * `fleet.heartbeatSeconds` once started, and the fleet read back for /health and /readyz.
 */
function fleetHeartbeat(
  config: CouncilConfig,
  registry: AutomationRegistry,
  connections: ConnectionPool,
  logger: Logger,
  stopping: () => boolean,
): Heartbeat | undefined {
  if (!config.connections.get(SYSTEM_CONNECTION)?.url) return undefined;
  const open = openOnce(async () => (await connections.get(SYSTEM_CONNECTION)).open(INSTANCES_SPEC));
  const heartbeat = new Heartbeat(
    open,
    () => ({
      state: stopping() ? 'stopping' : 'ready',
      serving: registry.serving().map((m) => `${m.plan.name}@${m.version}`),
      failing: registry.failures().flatMap((f) => (f.name ? [f.name] : [])),
    }),
    { everyMs: (config.fleet?.heartbeatSeconds ?? 5) * 1000, logger, version: openApiOptions(config).version },
  );
  // A reload changes what it serves: the others learn at the next beat, or now.
  registry.onChange(() => void heartbeat.beat());
  return heartbeat;
}
