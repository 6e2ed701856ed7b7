import { runsInProcess } from '../../adapters/index.ts';
import type { StagedStore, StorageConnection, StorageSpec } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import type { CouncilConfig } from '../config/config.ts';
import { buildAutomationRoutes, type RouterGuards } from '../http/automation-routes.ts';
import type { Logger } from '../log.ts';
import { countedShared, countedStore } from '../observe/counted-store.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { MountedAutomation } from '../registry/registry.ts';
import { Traffic } from '../registry/traffic.ts';
import { viewedStore } from '../registry/viewed-store.ts';

/** A plan bound to its store, and what the store left for once the version it replaces has drained. */
export interface BoundAutomation {
  readonly mounted: MountedAutomation;
  /** Set when the store deferred steps (see StorageConnection.stage); run its `finish` after the drain. */
  readonly staged?: StagedStore;
}

/**
 * Binds a compiled plan to its store (creating tables as needed) and builds its routes.
 * `beside`: another version of the automation is serving, so the store is only staged:
 * what would break that version's requests is left to `staged.finish`.
 */
export async function bindAutomation(
  plan: AutomationPlan,
  connections: ConnectionPool,
  options: { bodyLimit: number; logger: Logger; version: string; beside?: boolean } & RouterGuards,
): Promise<BoundAutomation> {
  const connection = await connections.get(plan.storage.connection);
  const staged = options.beside ? await stage(connection, plan.storage.spec) : undefined;
  const store = staged ? staged.store : await connection.open(plan.storage.spec);
  // Its handlers' calls to another service are counted by connection (/metrics). The
  // memory store answers within the request's own turn: its calls are the requests
  // themselves (council_requests_total), and a deadline could never fire, so neither
  // the count nor the deadline is paid for on it.
  const inProcess = runsInProcess(connection.backend);
  const counting = options.monitor.counting.storeCalls && !inProcess;
  const counted = counting ? countedStore(store, plan.storage.connection, options.monitor.storeCalls) : store;
  // Statements across this automation's table and others the connection opened (a join, one transaction).
  const { shared } = connection;
  const across = shared && counting ? countedShared(shared, plan.storage.connection, options.monitor.storeCalls) : shared;
  const loadedAt = new Date().toISOString();
  // Every version counts its requests as the automation's: a reload drains them all.
  const traffic = new Traffic();
  const mount = (served: AutomationPlan, earlier: ReadonlyMap<number, MountedAutomation>): MountedAutomation => {
    // Each version reads and writes the one store through its own view of the records.
    const store = served.view ? viewedStore(counted, served.view) : counted;
    const routes = buildAutomationRoutes(served, store, { ...options, ...(inProcess ? { timeoutMs: 0 } : {}), shared: across });
    // Counted too: other automations read it through references (expand, checks, cascades).
    return Object.freeze({ plan: served, store, routes, loadedAt, version: options.version, traffic, earlier });
  };
  const mounted = mount(plan, new Map(plan.earlier.map((p) => [p.version.number, mount(p, new Map())])));
  return staged?.deferred.length ? { mounted, staged } : { mounted };
}

/**
 * What the Reloader binds with: a plan, the config it is bound under, its version, and
 * whether another version serves beside it. The engine builds it once, closing over the
 * pool and the request guards, which the Reloader itself never needs.
 */
export type BindPlan = (
  plan: AutomationPlan,
  options: { readonly config: CouncilConfig; readonly version: string; readonly beside: boolean },
) => Promise<BoundAutomation>;

/** The {@link BindPlan} of an engine: its pool, its logger, its guards; limits and timeouts from the config given each time. */
export function planBinder(
  connections: ConnectionPool,
  logger: Logger,
  guards: Pick<RouterGuards, 'auth' | 'audit' | 'limiter' | 'idempotency' | 'monitor' | 'related'>,
): BindPlan {
  return (plan, { config, version, beside }) =>
    bindAutomation(plan, connections, {
      ...guards,
      bodyLimit: config.server.bodyLimit,
      logger,
      version,
      beside,
      defaultRateLimit: config.rateLimit,
      trustedProxies: config.server.trustedProxies,
      timeoutMs: config.server.requestTimeoutSeconds * 1000,
    });
}

/** A backend without `stage` never breaks a serving version: `open` does it all. */
async function stage(connection: StorageConnection, spec: StorageSpec): Promise<StagedStore> {
  if (connection.stage) return connection.stage(spec);
  return { store: await connection.open(spec), deferred: [], finish: () => Promise.resolve() };
}
