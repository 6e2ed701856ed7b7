import { parseArgs } from 'node:util';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { storageRefusal } from '../manifest/storage-refusal.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { compileProject } from './compile-project.ts';
import { migrateFlags } from './flags.ts';
import { projectConfig } from './options.ts';
import { printIssues } from './print-issues.ts';
import { type PlannedStore, planStore } from './store-plan.ts';
import { inUse, isEmbedded, storeRoute } from './store-route.ts';

/**
 * Shows (`--dry-run`) or applies what each automation's store needs for the manifests as
 * they are: new tables, columns and indexes, and the changes that lose values, which run
 * only where `storage.migrations` allows them. The server does the same on start and on
 * every reload; this command lets a pull request show it first. Exit 1 if anything is
 * refused or a manifest is invalid. An embedded store a running server holds is asked
 * through that server (`--dry-run`), never opened behind its back.
 */
export async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: migrateFlags });
  const config = projectConfig(values);
  const dryRun = values['dry-run'] === true;
  const { plans, manifests, ok } = compileProject(config);
  const route = await storeRoute(config);
  // Applying to an embedded store another process holds is left to that process: a server applies a manifest when it reloads it.
  if (route.kind !== 'direct' && plans.some((p) => isEmbedded(config, p.storage.connection)) && (!dryRun || route.kind === 'busy')) {
    const why =
      route.kind === 'server'
        ? `${inUse(config, route.holder)}; that server applies manifest changes itself when it reloads them (it watches the automations folder; SIGHUP reloads all), and council migrate --dry-run shows them through it`
        : route.message;
    console.error(`council migrate: ${why}`);
    return 1;
  }
  const pool = new ConnectionPool(config.connections, config.dataDir);
  let failed = !ok;
  try {
    for (const plan of plans) {
      const { connection: name, spec } = plan.storage;
      let planned: PlannedStore;
      try {
        planned = await planStore(config, route, pool, name, spec);
      } catch (error) {
        console.error(`${plan.file}:1:1: storage "${name}" is unavailable: ${(error as Error).message}`);
        failed = true;
        continue;
      }
      const { result } = planned;
      const via = planned.via ? ` (asked ${planned.via})` : '';
      console.log(`${plan.name} (${name}, ${result.target}): ${summary(result.steps.length, result.refused.length, dryRun)}${via}`);
      for (const step of result.steps) console.log(`  ${step.why}\n    ${step.statement};`);
      // Every plan comes from a loaded manifest, which holds the positions.
      const manifest = manifests.get(plan.name) as LoadedManifest;
      printIssues(result.refused.map((r) => storageRefusal(manifest, r.field, `storage "${name}" refuses: ${r.message}`)));
      if (result.refused.length) failed = true;
      else if (!dryRun && result.steps.length) await planned.connection?.open(spec);
    }
  } finally {
    await pool.closeAll();
  }
  return failed ? 1 : 0;
}

function summary(steps: number, refused: number, dryRun: boolean): string {
  if (refused) return `${refused} change(s) refused, nothing ${dryRun ? 'would run' : 'ran'}`;
  if (!steps) return 'up to date';
  return dryRun ? `${steps} step(s) would run` : `${steps} step(s) applied`;
}
