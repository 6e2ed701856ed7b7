import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { ReloadOutcome } from '../reload/reloader.ts';

/**
 * What `GET /health` reports: every automation (serving, degraded: serving an older
 * version because its file's latest text failed, invalid or unavailable), every
 * configured connection (never its URL) and the reload counters. Status is `degraded`
 * when anything is not serving its file's latest text, a used connection is down, or
 * there is no manifest at all (then `warnings` says so).
 */
export async function healthReport(registry: AutomationRegistry, connections: ConnectionPool, reloads: Record<ReloadOutcome, number>) {
  const mounted = registry.serving();
  const servingFiles = new Set(mounted.map((m) => m.plan.file));
  const serving = mounted.map((m) => {
    const failure = registry.failureOf(m.plan.file);
    return {
      name: m.plan.name,
      state: failure ? ('degraded' as const) : ('serving' as const),
      file: m.plan.file,
      path: m.plan.basePath,
      backend: m.plan.storage.backend,
      connection: m.plan.storage.connection,
      version: m.version,
      loadedAt: m.loadedAt,
      ...(failure ? { errors: failure.errors, failedAt: failure.at } : {}),
    };
  });
  const failed = registry
    .failures()
    .filter((f) => !servingFiles.has(f.file))
    .map((f) => ({ ...(f.name ? { name: f.name } : {}), state: f.state, file: f.file, errors: f.errors, failedAt: f.at }));
  const connectionStates = await connections.status();
  // A server with no manifest at all serves nothing anyone meant it to: say so rather than `ok`.
  const empty = mounted.length === 0 && registry.failures().length === 0;
  const healthy = !empty && registry.failures().length === 0 && connectionStates.every((c) => c.state !== 'down');
  return {
    status: healthy ? 'ok' : 'degraded',
    ...(empty ? { warnings: ['no automation is loaded: the automations folder has no manifest (*.yaml)'] } : {}),
    automations: [...serving, ...failed],
    connections: connectionStates,
    reloads: { ...reloads },
  };
}
