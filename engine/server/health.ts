import path from 'node:path';
import type { Context } from 'hono';
import type { CouncilConfig } from '../config/config.ts';
import type { FleetView } from '../fleet/heartbeat.ts';
import { automationStates } from '../registry/automation-states.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { ReloadOutcome } from '../reload/reloader.ts';
import { requestHeaders } from '../request/request-header.ts';
import { type Authenticator, presentedKey } from '../security/authenticator.ts';
import { authorizeAdmin } from './local-admin.ts';

/**
 * What `GET /health` reports: every automation (serving, degraded: serving an older
 * version because its file's latest text failed, invalid or unavailable), every
 * configured connection (never its URL) and the reload counters. Status is `degraded`
 * when anything is not serving its file's latest text, a used connection is down, or
 * there is no manifest at all (then `warnings` says so). File paths (also inside
 * `errors`) are relative to `root`, the project's folder.
 */
export async function healthReport(
  registry: AutomationRegistry,
  connections: ConnectionPool,
  reloads: Record<ReloadOutcome, number>,
  root: string,
) {
  const automations = automationStates(registry, root);
  const connectionStates = await connections.status();
  // A server with no manifest at all serves nothing anyone meant it to: say so rather than `ok`.
  const empty = automations.length === 0;
  const healthy = !empty && registry.failures().length === 0 && connectionStates.every((c) => c.state !== 'down');
  return {
    status: healthy ? ('ok' as const) : ('degraded' as const),
    ...(empty ? { warnings: ['no automation is loaded: the automations folder has no manifest (*.yaml)'] } : {}),
    automations,
    connections: connectionStates,
    reloads: { ...reloads },
  };
}

/**
 * `GET /health`. Without a key: the overall status and each automation's name and state,
 * which is what a load balancer or uptime check needs and tells an outsider nothing about
 * the project's files, errors or connections. With an admin key (scope `*`) or the server's
 * local token (in `<dataDir>/council.lock`): the whole {@link healthReport}. Any other key is
 * refused as everywhere: 401 when it is not valid, 403 when it lacks `*`.
 */
export function healthEndpoint(options: {
  registry: AutomationRegistry;
  connections: ConnectionPool;
  reloads: () => Record<ReloadOutcome, number>;
  config: () => CouncilConfig;
  /** The instances sharing the system store, as of the last heartbeat (absent: no fleet, an embedded system store). */
  fleet?: () => FleetView;
  auth: Authenticator;
  localToken: string;
}): (c: Context) => Promise<Response> {
  const { registry, connections, auth, localToken } = options;
  return async (c) => {
    const headers = requestHeaders(c);
    const key = presentedKey(headers);
    // Any credential asks for the details, and is checked as on every other route.
    const detailed = key !== undefined || headers.get('authorization') != null;
    if (detailed) await authorizeAdmin(headers, auth, localToken);
    const file = options.config().file;
    const report = await healthReport(registry, connections, options.reloads(), file ? path.dirname(file) : process.cwd());
    if (detailed) return c.json(options.fleet ? { ...report, fleet: fleetReport(options.fleet()) } : report);
    return c.json({
      status: report.status,
      ...(report.warnings ? { warnings: report.warnings } : {}),
      automations: report.automations.map((a) => ({ ...('name' in a ? { name: a.name } : {}), state: a.state })),
    });
  };
}

/** The fleet as /health shows it: each live instance and what it serves, and whether they agree. */
function fleetReport(view: FleetView) {
  return {
    agree: view.agree,
    ...(view.missing.length ? { missing: view.missing } : {}),
    at: view.at,
    instances: view.instances.map((i) => ({
      instance: i.instance,
      self: i.self,
      host: i.host,
      pid: i.pid,
      version: i.version,
      state: i.state,
      fingerprint: i.fingerprint,
      serving: i.serving,
      ...(i.failing.length ? { failing: i.failing } : {}),
      startedAt: i.startedAt,
      beatAt: i.beatAt,
    })),
  };
}
