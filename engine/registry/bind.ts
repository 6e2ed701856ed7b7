import type { AutomationPlan } from '../compile/plan.ts';
import { buildAutomationRouter, type RouterGuards } from '../http/automation-router.ts';
import type { Logger } from '../log.ts';
import type { ConnectionPool } from './connections.ts';
import type { MountedAutomation } from './registry.ts';
import { Traffic } from './traffic.ts';

/** Binds a compiled plan to its store (creating tables as needed) and builds its router. */
export async function bindAutomation(
  plan: AutomationPlan,
  connections: ConnectionPool,
  options: { bodyLimit: number; logger: Logger; version: string } & RouterGuards,
): Promise<MountedAutomation> {
  const connection = await connections.get(plan.storage.connection);
  const store = await connection.open(plan.storage.spec);
  // The memory store answers within the request's own turn: a deadline could never fire, so it costs for nothing.
  const router = buildAutomationRouter(plan, store, connection.backend === 'memory' ? { ...options, timeoutMs: 0 } : options);
  return Object.freeze({ plan, store, router, loadedAt: new Date().toISOString(), version: options.version, traffic: new Traffic() });
}
