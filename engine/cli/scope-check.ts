import { compileAutomation } from '../compile/compile.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import { loadManifests } from '../manifest/load.ts';
import { scopeWarnings } from '../security/scope-warnings.ts';

/**
 * `scopeWarnings` against the project's valid manifests, for `council keys create` when
 * no server runs (with one, the server answers from what it serves, without this load).
 */
export function projectScopeWarnings(config: CouncilConfig, scopes: readonly string[]): string[] {
  const { manifests } = loadManifests([config.automations], connectionBackends(config));
  if (manifests.length === 0)
    return [`no valid manifest in ${config.automations}, so the scopes could not be checked against any automation`];
  const plans = manifests.map((m) =>
    compileAutomation(m, { pagination: config.pagination, consequentialWrites: config.gpt.consequentialWrites }),
  );
  return scopeWarnings(plans, scopes);
}
