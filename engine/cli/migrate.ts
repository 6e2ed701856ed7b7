import { parseArgs } from 'node:util';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { storageRefusal } from '../manifest/storage-refusal.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { compileProject } from './compile-project.ts';
import { projectConfig, projectOptions } from './options.ts';
import { printIssues } from './print-issues.ts';

export const migrateUsage = 'council migrate [--dry-run] [--config FILE] [--automations DIR] [--data DIR]';

/**
 * Shows (`--dry-run`) or applies what each automation's store needs for the manifests as
 * they are: new tables, columns and indexes, and the changes that lose values, which run
 * only where `storage.migrations` allows them. The server does the same on start and on
 * every reload; this command lets a pull request show it first. Exit 1 if anything is
 * refused or a manifest is invalid.
 */
export async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...projectOptions, data: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  const config = projectConfig(values);
  const dryRun = values['dry-run'] === true;
  const { plans, manifests, ok } = compileProject(config);
  const pool = new ConnectionPool(config.connections, config.dataDir);
  let failed = !ok;
  try {
    for (const plan of plans) {
      const { connection: name, spec } = plan.storage;
      let connection: Awaited<ReturnType<ConnectionPool['get']>>;
      try {
        connection = await pool.get(name);
      } catch (error) {
        console.error(`${plan.file}:1:1: storage "${name}" is unavailable: ${(error as Error).message}`);
        failed = true;
        continue;
      }
      const result = await connection.plan(spec);
      console.log(`${plan.name} (${name}, ${result.target}): ${summary(result.steps.length, result.refused.length, dryRun)}`);
      for (const step of result.steps) console.log(`  ${step.why}\n    ${step.statement};`);
      // Every plan comes from a loaded manifest, which holds the positions.
      const manifest = manifests.get(plan.name) as LoadedManifest;
      printIssues(result.refused.map((r) => storageRefusal(manifest, r.field, `storage "${name}" refuses: ${r.message}`)));
      if (result.refused.length) failed = true;
      else if (!dryRun && result.steps.length) await connection.open(spec);
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
