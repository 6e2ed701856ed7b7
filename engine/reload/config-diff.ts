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

/** Compares two configs (pure). Connections are compared by the pool itself (`ConnectionPool.reconfigure`). */
export function diffConfig(previous: CouncilConfig, next: CouncilConfig): ConfigDiff {
  const needRestart: string[] = [];
  for (const key of ['automations', 'dataDir'] as const) {
    if (previous[key] !== next[key]) needRestart.push(key);
  }
  if (previous.server.port !== next.server.port || previous.server.host !== next.server.host) needRestart.push('server.port/host');
  const everything =
    previous.server.bodyLimit !== next.server.bodyLimit ||
    JSON.stringify(previous.pagination) !== JSON.stringify(next.pagination) ||
    JSON.stringify(previous.rateLimit) !== JSON.stringify(next.rateLimit) ||
    JSON.stringify(previous.server.trustedProxies) !== JSON.stringify(next.server.trustedProxies);
  return { kept: { ...next, automations: previous.automations, dataDir: previous.dataDir }, everything, needRestart };
}
