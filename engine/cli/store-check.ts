import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { embeddedDirectory } from '../../adapters/postgres/location.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import type { CouncilConfig } from '../config/config.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { storageRefusal } from '../manifest/storage-refusal.ts';
import { ConnectionPool, connectionMode } from '../registry/connections.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { planStore } from './store-plan.ts';
import { storeRoute } from './store-route.ts';

/** How long `council validate` waits for a store server; it must stay quick, and a store it cannot reach is only reported. */
export const SERVER_DEADLINE_MS = 3000;
/** How long for an embedded store (opening PGlite, or the server that holds it answering). */
export const EMBEDDED_DEADLINE_MS = 30_000;

/** What the stores said: refusals as issues at the manifest, and one line on what was asked and what could not be. */
export interface StoreCheck {
  readonly issues: ManifestIssue[];
  readonly summary: string;
}

/**
 * Asks each automation's store what it would refuse if the manifest were served as it is
 * (a column holding values dropped or retyped without `storage.migrations`), the way
 * `council migrate --dry-run` does, within a short deadline. Memory stores and embedded
 * stores not created yet hold nothing to refuse and are not asked; an embedded store a
 * server holds is asked through that server.
 */
export async function checkStores(
  config: CouncilConfig,
  checked: readonly { loaded: LoadedManifest; plan: AutomationPlan }[],
): Promise<StoreCheck> {
  const route = await storeRoute(config);
  const pool = new ConnectionPool(config.connections, config.dataDir);
  const issues: ManifestIssue[] = [];
  const asked: string[] = [];
  const empty: string[] = [];
  const unreachable: string[] = [];
  try {
    await Promise.all(
      checked.map(async ({ loaded, plan }) => {
        const { connection: name, spec } = plan.storage;
        const settings = config.connections.get(name);
        const mode = settings ? connectionMode(settings) : 'in-process';
        if (
          mode === 'in-process' ||
          mode === 'embedded: memory' ||
          (mode === 'embedded' && route.kind === 'direct' && !existsSync(embeddedDirectory(config.dataDir, name)))
        ) {
          empty.push(plan.name);
          return;
        }
        const ms = mode === 'embedded' ? EMBEDDED_DEADLINE_MS : SERVER_DEADLINE_MS;
        try {
          const planned = await withDeadline(planStore(config, route, pool, name, spec), ms, `${settings?.backend} connection "${name}"`);
          asked.push(planned.via ? `${plan.name} (through ${planned.via})` : plan.name);
          for (const r of planned.result.refused) issues.push(storageRefusal(loaded, r.field, `storage "${name}" refuses: ${r.message}`));
        } catch (error) {
          unreachable.push(`${plan.name} (${(error as Error).message})`);
        }
      }),
    );
  } finally {
    // A store that never answered may not close either: stop waiting for it (the command exits after this).
    await Promise.race([pool.closeAll(), sleep(1000, undefined, { ref: false })]);
  }
  const parts = [
    asked.length ? `asked ${sorted(asked)}` : 'none asked',
    ...(empty.length ? [`nothing stored for ${sorted(empty)}`] : []),
    ...(unreachable.length ? [`could not ask ${sorted(unreachable)}, so what they would refuse is not checked`] : []),
  ];
  return { issues, summary: `stores: ${parts.join('; ')}` };
}

function withDeadline<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} gave no answer within ${ms / 1000} s`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

function sorted(names: string[]): string {
  return [...names].sort().join(', ');
}
