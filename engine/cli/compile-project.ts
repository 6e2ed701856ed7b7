import { compileAutomation } from '../compile/compile.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import { loadManifests } from '../manifest/load.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { hasErrors } from '../source/issues.ts';
import { printIssues } from './print-issues.ts';

/** Loads and compiles the project's manifests without touching any store; prints issues. */
export function compileProject(config: CouncilConfig): { plans: AutomationPlan[]; manifests: Map<string, LoadedManifest>; ok: boolean } {
  const result = loadManifests([config.automations], connectionBackends(config));
  printIssues(result.issues);
  let ok = !hasErrors(result.issues);
  const plans: AutomationPlan[] = [];
  for (const manifest of result.manifests) {
    try {
      plans.push(compileAutomation(manifest, { pagination: config.pagination, consequentialWrites: config.gpt.consequentialWrites }));
    } catch (error) {
      console.error(`${manifest.file}:1:1: could not be compiled: ${(error as Error).message}`);
      ok = false;
    }
  }
  const manifests = new Map(result.manifests.map((m) => [m.manifest.name, m]));
  return { plans: plans.sort((a, b) => (a.name < b.name ? -1 : 1)), manifests, ok };
}
