import type { Context } from 'hono';
import type { Registry } from 'prom-client';
import { HttpProblem } from '../errors/problem.ts';
import { HISTOGRAM_BOUNDS, mergeSketch, newSketch } from '../observe/latency-sketch.ts';
import type { Monitor } from '../observe/monitor.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { ReloadOutcome } from '../reload/reloader.ts';
import { requestHeaders } from '../request/request-header.ts';
import type { Authenticator } from '../security/authenticator.ts';
import { authorizeAdmin } from './local-admin.ts';

/** What `/metrics` reads at each scrape. */
export interface MetricSources {
  readonly monitor: Monitor;
  readonly registry: AutomationRegistry;
  readonly connections: ConnectionPool;
  readonly reloads: () => Readonly<Record<ReloadOutcome, number>>;
  /** Audit entries recorded and not yet written. */
  readonly auditWaiting: () => number;
  readonly mcpSessions: () => number;
}

type Labels = Record<string, string | number>;
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/**
 * The Prometheus text of one engine. prom-client (loaded with the first scrape: it is not
 * needed by a server nobody scrapes) formats it and adds its default process metrics
 * (CPU, memory, event-loop lag, GC, handles); everything else is read from the engine's
 * own counts at scrape time, so the request path only adds numbers (observe/).
 */
export function metricsText(sources: MetricSources): () => Promise<{ body: string; contentType: string }> {
  let made: Promise<Registry> | undefined;
  return async () => {
    made ??= makeRegistry(sources);
    const registry = await made;
    return { body: await registry.metrics(), contentType: registry.contentType };
  };
}

async function makeRegistry(sources: MetricSources): Promise<Registry> {
  const { Registry, collectDefaultMetrics } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metric = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, values: () => Sample[] | Promise<Sample[]>) =>
    registry.registerMetric({
      name,
      help,
      type,
      get: async () => ({ name, help, type, values: await values(), aggregator: 'sum' }),
    } as never);
  const { monitor } = sources;

  metric(
    'council_requests_total',
    'counter',
    'Automation requests answered, by automation, operation (unmatched: no endpoint there, 404/405), status class and key name (anonymous without a key).',
    () =>
      [...monitor.usage.cells()].map((cell) => ({
        labels: { automation: cell.automation, operation: cell.operation, status_class: cell.statusClass, key: cell.key },
        value: cell.count,
      })),
  );
  metric('council_response_bytes_total', 'counter', 'Body bytes of automation answers, by automation and operation.', () =>
    byEndpoint(monitor).map(({ labels, bytes }) => ({ labels, value: bytes })),
  );
  metric(
    'council_request_duration_seconds',
    'histogram',
    'Time from a request reaching the engine to its answer being ready, by automation and operation.',
    () =>
      byEndpoint(monitor).flatMap(({ labels, latency, count, seconds }) => {
        let cumulative = 0;
        let from = 0;
        const buckets = HISTOGRAM_BOUNDS.map(({ seconds: le, bucket }) => {
          for (; from <= bucket; from++) cumulative += latency[from] as number;
          return { metricName: 'council_request_duration_seconds_bucket', labels: { ...labels, le }, value: cumulative };
        });
        return [
          ...buckets,
          { metricName: 'council_request_duration_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: count },
          { metricName: 'council_request_duration_seconds_sum', labels, value: seconds },
          { metricName: 'council_request_duration_seconds_count', labels, value: count },
        ];
      }),
  );
  metric('council_rate_limited_total', 'counter', 'Requests refused 429 by a rate limit, by automation (mcp: the /mcp endpoint).', () =>
    [...monitor.rateLimited.entries()].map(([automation, value]) => ({ labels: { automation }, value })),
  );
  metric(
    'council_idempotent_replays_total',
    'counter',
    'Writes answered with the kept answer of an earlier request with the same Idempotency-Key, by automation.',
    () => [...monitor.idempotentReplays.entries()].map(([automation, value]) => ({ labels: { automation }, value })),
  );
  metric(
    'council_store_calls_total',
    'counter',
    'Calls of automation handlers to their store, by connection, method and outcome (ok, or the error kind).',
    () =>
      [...monitor.storeCalls.counters()].flatMap(({ connection, method, ok, failed }) => [
        { labels: { connection, method, outcome: 'ok' }, value: ok },
        ...[...failed].map(([outcome, value]) => ({ labels: { connection, method, outcome }, value })),
      ]),
  );
  metric(
    'council_connection_up',
    'gauge',
    'Whether each configured connection answers a ping (1) or not (0); unused connections are not pinged.',
    async () =>
      (await sources.connections.status())
        .filter((c) => c.state !== 'unused')
        .map((c) => ({ labels: { connection: c.name }, value: c.state === 'down' ? 0 : 1 })),
  );
  metric(
    'council_connection_statements_in_flight',
    'gauge',
    'Statements running or waiting for a connection of the pool, by connection (PostgreSQL; above council_connection_pool_max, some wait).',
    async () => (await sources.connections.poolUsage()).map(({ name, inFlight }) => ({ labels: { connection: name }, value: inFlight })),
  );
  metric('council_connection_pool_max', 'gauge', 'The most connections each pool opens (PostgreSQL: pool.max; embedded: 1).', async () =>
    (await sources.connections.poolUsage()).map(({ name, max }) => ({ labels: { connection: name }, value: max })),
  );
  metric('council_reloads_total', 'counter', 'Manifest files handled by reloads since the start, by outcome.', () =>
    Object.entries(sources.reloads()).map(([outcome, value]) => ({ labels: { outcome }, value })),
  );
  metric('council_automations', 'gauge', 'Automations by state (serving, degraded, invalid, unavailable).', () => {
    const states: Record<string, number> = { serving: 0, degraded: 0, invalid: 0, unavailable: 0 };
    const serving = sources.registry.serving();
    const files = new Set(serving.map((m) => m.plan.file));
    for (const m of serving) {
      const state = sources.registry.failureOf(m.plan.file) ? 'degraded' : 'serving';
      states[state] = (states[state] ?? 0) + 1;
    }
    for (const f of sources.registry.failures()) if (!files.has(f.file)) states[f.state] = (states[f.state] ?? 0) + 1;
    return Object.entries(states).map(([state, value]) => ({ labels: { state }, value }));
  });
  metric('council_mcp_sessions', 'gauge', 'MCP sessions open.', () => [{ labels: {}, value: sources.mcpSessions() }]);
  metric(
    'council_mcp_tool_calls_total',
    'counter',
    'MCP tool calls, by tool and outcome (ok, error: the tool answered with a problem).',
    () =>
      [...monitor.toolCalls.entries()].map(([key, value]) => {
        const [tool = '', outcome = ''] = key.split('\0');
        return { labels: { tool, outcome }, value };
      }),
  );
  metric('council_audit_queue_entries', 'gauge', 'Audit entries recorded and not yet written to the system store.', () => [
    { labels: {}, value: sources.auditWaiting() },
  ]);
  return registry;
}

/** The cells of each endpoint summed over callers and status classes. */
function byEndpoint(monitor: Monitor) {
  const endpoints = new Map<string, { labels: Labels; count: number; seconds: number; bytes: number; latency: Uint32Array }>();
  for (const cell of monitor.usage.cells()) {
    const key = `${cell.automation}\0${cell.operation}`;
    let sum = endpoints.get(key);
    if (!sum) {
      sum = { labels: { automation: cell.automation, operation: cell.operation }, count: 0, seconds: 0, bytes: 0, latency: newSketch() };
      endpoints.set(key, sum);
    }
    sum.count += cell.count;
    sum.seconds += cell.seconds;
    sum.bytes += cell.bytes;
    mergeSketch(sum.latency, cell.latency);
  }
  return [...endpoints.values()];
}

/** `GET /metrics` when `metrics.enabled` is false. */
export async function metricsOff(): Promise<Response> {
  throw new HttpProblem('not-found', 'metrics are off on this server (metrics.enabled: false in its config)');
}

/**
 * `GET /metrics` on the server's own port: for an API key with scope `*` or the server's
 * local token only (401/403 otherwise, as everywhere), so it is never public by accident.
 * A Prometheus that cannot hold a key scrapes `server.metricsPort` instead (metrics-port.ts).
 */
export function metricsEndpoint(
  text: () => Promise<{ body: string; contentType: string }>,
  auth: Authenticator,
  localToken: string,
): (c: Context) => Promise<Response> {
  return async (c) => {
    await authorizeAdmin(requestHeaders(c), auth, localToken);
    const { body, contentType } = await text();
    return c.body(body, 200, { 'content-type': contentType });
  };
}
