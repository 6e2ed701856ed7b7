import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';

/**
 * What `GET /health` reports: every automation that is serving, invalid or unavailable,
 * and every configured connection (never its URL). Status is `degraded` when anything
 * is not serving or a used connection is down.
 */
export async function healthReport(registry: AutomationRegistry, connections: ConnectionPool) {
  const serving = registry.serving().map((m) => ({
    name: m.plan.name,
    state: 'serving' as const,
    file: m.plan.file,
    path: m.plan.basePath,
    backend: m.plan.storage.backend,
    connection: m.plan.storage.connection,
    loadedAt: m.loadedAt,
  }));
  const failed = registry.failures().map((f) => ({ ...(f.name ? { name: f.name } : {}), state: f.state, file: f.file, errors: f.errors }));
  const connectionStates = await connections.status();
  const healthy = failed.length === 0 && connectionStates.every((c) => c.state !== 'down');
  return { status: healthy ? 'ok' : 'degraded', automations: [...serving, ...failed], connections: connectionStates };
}
