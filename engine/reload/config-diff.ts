import type { CouncilConfig } from '../config/config.ts';

/** What a new config changes for the automations already serving, and what must wait for a restart. */
export interface ConfigDiff {
  /** The config to serve under: `next`, with what only a restart may change kept from `previous`. */
  readonly kept: CouncilConfig;
  /** Every automation is rebuilt: something each router or plan carries changed. */
  readonly everything: boolean;
  /** Changes that take effect only after a restart, in words for the log. */
  readonly needRestart: readonly string[];
}

/**
 * Compares two configs (pure). Connections are compared by the pool itself
 * (`ConnectionPool.reconfigure`). What the command line set (`previous.commandLine`) stays
 * as it is and is never reported: the file does not decide it while the process runs.
 */
export function diffConfig(previous: CouncilConfig, next: CouncilConfig): ConfigDiff {
  const fixed = new Set(previous.commandLine);
  const needRestart: string[] = [];
  for (const key of ['automations', 'dataDir'] as const) {
    if (!fixed.has(key) && previous[key] !== next[key]) needRestart.push(key);
  }
  const port = fixed.has('server.port') ? previous.server.port : next.server.port;
  if (previous.server.port !== port || previous.server.host !== next.server.host) needRestart.push('server.port/host');
  if (previous.server.metricsPort !== next.server.metricsPort || previous.server.metricsHost !== next.server.metricsHost) {
    needRestart.push('server.metricsPort/metricsHost');
  }
  // What is counted and how the analytics write are fixed when the engine starts (observe/monitor.ts, analytics/recorder.ts).
  if (previous.metrics.enabled !== next.metrics.enabled) needRestart.push('metrics.enabled');
  if (JSON.stringify(previous.analytics) !== JSON.stringify(next.analytics)) needRestart.push('analytics');
  const everything =
    previous.server.bodyLimit !== next.server.bodyLimit ||
    JSON.stringify(previous.pagination) !== JSON.stringify(next.pagination) ||
    JSON.stringify(previous.rateLimit) !== JSON.stringify(next.rateLimit) ||
    JSON.stringify(previous.server.trustedProxies) !== JSON.stringify(next.server.trustedProxies);
  // What serves: the new settings, except where the server listens and what it was started on.
  const { metricsPort: _listensUntilRestart, ...server } = next.server;
  const kept: CouncilConfig = {
    ...next,
    automations: previous.automations,
    dataDir: previous.dataDir,
    metrics: previous.metrics,
    analytics: previous.analytics,
    server: {
      ...server,
      port: previous.server.port,
      host: previous.server.host,
      metricsHost: previous.server.metricsHost,
      ...(previous.server.metricsPort === undefined ? {} : { metricsPort: previous.server.metricsPort }),
    },
    ...(previous.commandLine ? { commandLine: previous.commandLine } : {}),
  };
  return { kept, everything, needRestart };
}
